import { ManualClock } from '@edgeprom/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../storage/memory.js';
import { hashPassword, parseScryptHash, safeEqual } from './auth.js';
import { createPushGateway } from './gateway.js';
import { harness, rawRequest, serve, type Harness } from './test-util.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('security by default', () => {
  it('is off unless enabled: it handles nothing', async () => {
    const push = createPushGateway({ storage: new MemoryStorage(), clock: new ManualClock() });
    expect(push.enabled).toBe(false);
    const srv = await serve((req, res) => push.handle(req, res));
    try {
      expect((await rawRequest(srv.port, 'PUT', '/metrics/job/j', 'a 1\n')).status).toBe(404);
    } finally {
      await srv.close();
    }
  });

  it('refuses to be enabled without credentials unless insecure is explicit', () => {
    const storage = new MemoryStorage();
    expect(() => createPushGateway({ enabled: true, storage })).toThrow(/without authentication/);
    expect(() => createPushGateway({ enabled: true, storage, auth: { insecure: true } })).not.toThrow();
    expect(() => createPushGateway({ enabled: true, storage, auth: { bearerTokens: [''] } })).toThrow(/must not be empty/);
    expect(() => createPushGateway({ enabled: true, storage, auth: { basicUsers: [{ username: 'a', password: '' }] } })).toThrow(/empty password/);
  });

  it('requires the bearer token', async () => {
    h = await harness();
    const none = await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="edgeprom push"');
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await rawRequest(h.port, 'GET', '/api/v1/metrics')).status).toBe(401);
    expect((await h.request('PUT', '/metrics/job/j', 'a 1\n')).status).toBe(200);
    expect(h.push.groups()).toHaveLength(1);
  });

  it('accepts basic auth users', async () => {
    h = await harness({ auth: { basicUsers: [{ username: 'ci', password: 's3cret' }, { username: 'cron', password: 'other' }] } });
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('ci', 's3cret'))).status).toBe(200);
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('cron', 'other'))).status).toBe(200);
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('ci', 'other'))).status).toBe(401);
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('ci', 's3cre'))).status).toBe(401);
    const r = await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="edgeprom push"');
  });

  it('accepts basic auth users with scrypt-hashed passwords, and refuses bad hashes', async () => {
    const hash = await hashPassword('s3cret', 10);
    expect(hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(hash).not.toContain('s3cret');
    h = await harness({ auth: { basicUsers: [{ username: 'ci', passwordHash: hash }, { username: 'plain', password: 'pw' }] } });
    for (let i = 0; i < 2; i++) {
      // The second round is answered from the cache of verified pairs: same outcome.
      expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('ci', 's3cret'))).status).toBe(200);
      expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('ci', 's3cre'))).status).toBe(401);
      expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('nobody', 's3cret'))).status).toBe(401);
      expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('plain', 'pw'))).status).toBe(200);
      expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('plain', hash))).status).toBe(401);
    }
    const storage = new MemoryStorage();
    const bad = (passwordHash: string) => () => createPushGateway({ enabled: true, storage, auth: { basicUsers: [{ username: 'u', passwordHash }] } });
    expect(bad('$2b$10$abcdefghijklmnopqrstuv')).toThrow(/user "u": not an scrypt hash/);
    expect(bad(hash.replace('ln=10', 'ln=30'))).toThrow(/ln=30 is outside 10\.\.20/);
    expect(() => createPushGateway({ enabled: true, storage, auth: { basicUsers: [{ username: 'u', password: 'p', passwordHash: hash }] } })).toThrow(/exactly one/);
    expect(parseScryptHash(hash).N).toBe(1024);
  });

  it('insecure mode takes pushes without credentials', async () => {
    h = await harness({ auth: { insecure: true } });
    expect((await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n')).status).toBe(200);
  });

  it('never logs credentials', async () => {
    const lines: string[] = [];
    const rec = (obj: object, msg?: string) => lines.push(JSON.stringify(obj) + (msg ?? ''));
    h = await harness({ logger: { error: rec, warn: rec, info: rec, debug: rec }, auth: { basicUsers: [{ username: 'u', password: 'pw-XYZ' }] } });
    await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1 5\n', basic('u', 'pw-XYZ'));
    await rawRequest(h.port, 'PUT', '/metrics/job/j/__x/y', 'a 1\n', basic('u', 'pw-XYZ'));
    await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 1\n', basic('u', 'guess-ABC'));
    const all = lines.join('\n');
    expect(all).not.toContain('pw-XYZ');
    expect(all).not.toContain('guess-ABC');
    expect(all).not.toContain(Buffer.from('u:pw-XYZ').toString('base64'));
  });
});

describe('constant-time comparison', () => {
  it('compares by content whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
