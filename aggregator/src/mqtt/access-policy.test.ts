import { describe, expect, it } from 'vitest';
import { topics } from '@edgeprom/shared/wire';
import { AccessPolicy, filterCovers, isLoopback } from './access-policy.js';

const policy = (anonymous: 'off' | 'loopback' | 'any' = 'off') =>
  new AccessPolicy({
    topics: topics('edgeprom/'),
    anonymous,
    internal: { username: '$internal', password: Buffer.from('tok') },
    devices: [{ username: 'u', password: Buffer.from('pw'), agentId: 'a', publish: ['site/a/#'], subscribe: ['edgeprom/alerts/+'] }],
  });

describe('AccessPolicy', () => {
  it('authenticates devices, the internal client and anonymous clients per policy', () => {
    const p = policy();
    expect(p.authenticate('u', Buffer.from('pw'), 'x', '10.0.0.1')).toMatchObject({ ok: true, principal: { kind: 'device', agentId: 'a' } });
    expect(p.authenticate('u', Buffer.from('pw2'), 'x', undefined)).toEqual({ ok: false, reason: 'bad-credentials' });
    expect(p.authenticate('u', undefined, 'x', undefined)).toEqual({ ok: false, reason: 'bad-credentials' });
    expect(p.authenticate('$internal', Buffer.from('tok'), 'x', undefined)).toMatchObject({ ok: true, principal: { kind: 'internal' } });
    expect(p.authenticate(undefined, undefined, 'a', '127.0.0.1')).toEqual({ ok: false, reason: 'anonymous-refused' });
    const lo = policy('loopback');
    expect(lo.authenticate(undefined, undefined, 'a', '::ffff:127.0.0.1')).toMatchObject({ ok: true, principal: { kind: 'anonymous', agentIds: ['a'] } });
    // The agent's default client id is edgeprom-<agent id>.
    const anon = lo.authenticate(undefined, undefined, 'edgeprom-pi-1', '127.0.0.1');
    expect(anon).toMatchObject({ ok: true, principal: { kind: 'anonymous', agentIds: ['edgeprom-pi-1', 'pi-1'] } });
    if (!anon.ok) throw new Error('auth');
    expect(lo.canPublish(anon.principal, 'edgeprom/push/pi-1')).toBe(true);
    expect(lo.canSubscribe(anon.principal, 'edgeprom/ack/pi-1')).toBe(true);
    expect(lo.canPublish(anon.principal, 'edgeprom/push/pi-2')).toBe(false);
    expect(lo.canSubscribe(anon.principal, 'edgeprom/ack/+')).toBe(false);
    expect(lo.authenticate(undefined, undefined, 'a', '192.168.1.5')).toEqual({ ok: false, reason: 'anonymous-refused' });
    expect(policy('any').authenticate(undefined, undefined, 'a/b', '192.168.1.5')).toEqual({ ok: false, reason: 'bad-client-id' });
  });

  it('reconfigure (reload) applies new devices, ACLs and anonymous policy, also to connected clients', () => {
    const p = policy('loopback');
    const dev = p.authenticate('u', Buffer.from('pw'), 'x', undefined);
    const anon = p.authenticate(undefined, undefined, 'edgeprom-pi-1', '127.0.0.1');
    if (!dev.ok || !anon.ok) throw new Error('auth');
    expect(p.canPublish(dev.principal, 'site/a/x')).toBe(true);
    p.reconfigure({ anonymous: 'off', devices: [{ username: 'u', password: Buffer.from('new'), agentId: 'a', publish: [] }, { username: 'v', password: Buffer.from('pv'), agentId: 'b' }] });
    // The connected device keeps its own topics, loses the ACL entry that was removed.
    expect(p.canPublish(dev.principal, 'edgeprom/push/a')).toBe(true);
    expect(p.canPublish(dev.principal, 'site/a/x')).toBe(false);
    // Anonymous access turned off: a connected anonymous client loses every right.
    expect(p.canPublish(anon.principal, 'edgeprom/push/pi-1')).toBe(false);
    expect(p.canSubscribe(anon.principal, 'edgeprom/ack/pi-1')).toBe(false);
    expect(p.authenticate(undefined, undefined, 'edgeprom-pi-1', '127.0.0.1')).toEqual({ ok: false, reason: 'anonymous-refused' });
    // New credentials for new connections; the added device can log in.
    expect(p.authenticate('u', Buffer.from('pw'), 'x', undefined)).toEqual({ ok: false, reason: 'bad-credentials' });
    expect(p.authenticate('v', Buffer.from('pv'), 'y', undefined)).toMatchObject({ ok: true, principal: { agentId: 'b' } });
    // A removed device, or one now speaking for another agent, can do nothing.
    p.reconfigure({ anonymous: 'off', devices: [{ username: 'u', password: Buffer.from('new'), agentId: 'z' }] });
    expect(p.canPublish(dev.principal, 'edgeprom/push/a')).toBe(false);
    expect(p.canSubscribe(dev.principal, 'edgeprom/ack/a')).toBe(false);
  });

  it('grants a device its own topics and its acl, nothing else', () => {
    const p = policy();
    const r = p.authenticate('u', Buffer.from('pw'), 'x', undefined);
    if (!r.ok) throw new Error('auth');
    const d = r.principal;
    expect(p.canPublish(d, 'edgeprom/push/a')).toBe(true);
    expect(p.canPublish(d, 'edgeprom/presence/a')).toBe(true);
    expect(p.canPublish(d, 'edgeprom/ack/a')).toBe(false);
    expect(p.canPublish(d, 'edgeprom/push/b')).toBe(false);
    expect(p.canPublish(d, 'edgeprom/push/a/x')).toBe(false);
    expect(p.canPublish(d, 'site/a/temp')).toBe(true);
    expect(p.canSubscribe(d, 'edgeprom/ack/a')).toBe(true);
    expect(p.canSubscribe(d, 'edgeprom/ack/+')).toBe(false);
    expect(p.canSubscribe(d, 'edgeprom/presence/a')).toBe(true);
    expect(p.canSubscribe(d, 'edgeprom/presence/b')).toBe(false);
    expect(p.canSubscribe(d, 'edgeprom/presence/+')).toBe(false);
    expect(p.canSubscribe(d, 'edgeprom/#')).toBe(false);
    expect(p.canSubscribe(d, 'edgeprom/alerts/x')).toBe(true);
    expect(p.canSubscribe(d, 'edgeprom/alerts/+')).toBe(true);
    expect(p.canSubscribe(d, 'edgeprom/alerts/#')).toBe(false);
    expect(p.canPublish({ kind: 'internal' }, 'anything/at/all')).toBe(true);
  });

  it('filterCovers follows MQTT wildcard rules', () => {
    expect(filterCovers('a/#', 'a')).toBe(true);
    expect(filterCovers('a/+', 'a/b')).toBe(true);
    expect(filterCovers('a/+', 'a/b/c')).toBe(false);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
    expect(filterCovers('#', '$SYS/x')).toBe(false);
    expect(filterCovers('a/b', 'a/+')).toBe(false);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
