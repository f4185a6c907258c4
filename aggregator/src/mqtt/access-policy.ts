/**
 * Who may connect to the embedded broker and which topics each may use. Pure: no aedes, no
 * sockets, so every rule is tested directly (access-policy.test.ts); broker.ts adapts it to
 * aedes's authenticate / authorizePublish / authorizeSubscribe hooks.
 *
 * Principals:
 *  - internal: the aggregator's own client (ingest, discovery, notifier). Its credentials
 *    are random per start and never leave the process. It may use every topic.
 *  - device: a configured username/password. It may publish `<prefix>presence/<agent>` and
 *    `<prefix>push/<agent>` and subscribe to `<prefix>ack/<agent>` and `<prefix>presence/<agent>`
 *    for its own agent id,
 *    plus the extra filters of its `acl`.
 *  - anonymous (only when allowed): treated as a device whose agent id is its MQTT client
 *    id, or that id without the `edgeprom-` prefix the agent puts in front of its agent id
 *    by default (agent/src/mqtt/connection.ts), with no extra filters. It cannot touch any other agent's topics without taking
 *    that agent's client id, which disconnects the real one (visible in the broker log);
 *    use per-device credentials wherever that matters.
 *
 * Passwords are compared in constant time over SHA-256 digests (so the length does not leak
 * either), and an unknown username costs the same comparison as a known one.
 */
import crypto from 'node:crypto';
import { isValidAgentId, type Topics } from '@edgeprom/shared/wire';

/** off: credentials required; loopback: anonymous from 127.0.0.0/8 and ::1 only; any: anyone. */
export type AnonymousPolicy = 'off' | 'loopback' | 'any';

export interface DeviceCredential {
  username: string;
  /** The secret, as bytes. Never logged. */
  password: Uint8Array;
  agentId: string;
  /** Extra topic filters from the device's `acl`. */
  publish?: readonly string[];
  subscribe?: readonly string[];
}

export type Principal =
  | { kind: 'internal' }
  | { kind: 'device'; agentId: string; username: string; publish: readonly string[]; subscribe: readonly string[] }
  | { kind: 'anonymous'; agentIds: readonly string[] };

/** The agent's default MQTT client id is `edgeprom-<agent id>`. */
export const AGENT_CLIENT_ID_PREFIX = 'edgeprom-';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'bad-credentials' | 'anonymous-refused' | 'bad-client-id' };

export interface AccessPolicyOptions {
  topics: Topics;
  devices: readonly DeviceCredential[];
  anonymous: AnonymousPolicy;
  internal: { username: string; password: Uint8Array };
}

const digest = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest();
const DUMMY = digest('edgeprom: no such user');

export class AccessPolicy {
  readonly #topics: Topics;
  #devices = new Map<string, { digest: Buffer; principal: Principal }>();
  #anonymous: AnonymousPolicy;
  readonly #internalUser: string;
  readonly #internalDigest: Buffer;

  constructor(opts: AccessPolicyOptions) {
    this.#topics = opts.topics;
    this.#anonymous = opts.anonymous;
    this.#internalUser = opts.internal.username;
    this.#internalDigest = digest(opts.internal.password);
    this.reconfigure(opts);
  }

  /**
   * Replaces the devices and the anonymous policy (config reload). New connections use the
   * new rules at once; connected clients do on their next publish or subscribe: a device
   * whose username was removed, or now speaks for another agent id, may no longer publish or
   * subscribe to anything, a changed ACL applies as it is, and anonymous clients lose every
   * right when anonymous access is turned off. (Their connections stay open; they fail on
   * their next connect if their credentials are no longer valid.) A changed password only
   * applies to new connections.
   */
  reconfigure(opts: Pick<AccessPolicyOptions, 'devices' | 'anonymous'>): void {
    const devices = new Map<string, { digest: Buffer; principal: Principal }>();
    for (const d of opts.devices) {
      devices.set(d.username, {
        digest: digest(d.password),
        principal: { kind: 'device', agentId: d.agentId, username: d.username, publish: d.publish ?? [], subscribe: d.subscribe ?? [] },
      });
    }
    this.#devices = devices;
    this.#anonymous = opts.anonymous;
  }

  /** The principal as the current rules see it; undefined when it has lost every right. */
  #current(p: Exclude<Principal, { kind: 'internal' }>): Exclude<Principal, { kind: 'internal' }> | undefined {
    if (p.kind === 'anonymous') return this.#anonymous === 'off' ? undefined : p;
    const now = this.#devices.get(p.username)?.principal;
    if (now === undefined || now.kind !== 'device' || now.agentId !== p.agentId) return undefined;
    return now;
  }

  authenticate(username: string | undefined, password: Uint8Array | undefined, clientId: string, remoteAddress: string | undefined): AuthResult {
    if (username === undefined || username === '') {
      if (password !== undefined && password.length > 0) return { ok: false, reason: 'bad-credentials' };
      if (this.#anonymous === 'off' || (this.#anonymous === 'loopback' && !isLoopback(remoteAddress))) {
        return { ok: false, reason: 'anonymous-refused' };
      }
      const ids = [clientId];
      if (clientId.startsWith(AGENT_CLIENT_ID_PREFIX)) ids.push(clientId.slice(AGENT_CLIENT_ID_PREFIX.length));
      const agentIds = ids.filter((id) => isValidAgentId(id));
      if (agentIds.length === 0) return { ok: false, reason: 'bad-client-id' };
      return { ok: true, principal: { kind: 'anonymous', agentIds } };
    }
    const given = digest(password ?? new Uint8Array(0));
    if (username === this.#internalUser) {
      return crypto.timingSafeEqual(given, this.#internalDigest) ? { ok: true, principal: { kind: 'internal' } } : { ok: false, reason: 'bad-credentials' };
    }
    const dev = this.#devices.get(username);
    const same = crypto.timingSafeEqual(given, dev?.digest ?? DUMMY);
    return dev !== undefined && same ? { ok: true, principal: dev.principal } : { ok: false, reason: 'bad-credentials' };
  }

  canPublish(principal: Principal, topic: string): boolean {
    if (principal.kind === 'internal') return true;
    const p = this.#current(principal);
    if (p === undefined) return false;
    const own = this.#topics.parse(topic);
    if (own !== undefined && ownedBy(p, own.id) && (own.kind === 'push' || own.kind === 'presence')) return true;
    return p.kind === 'device' && p.publish.some((f) => filterCovers(f, topic));
  }

  canSubscribe(principal: Principal, filter: string): boolean {
    if (principal.kind === 'internal') return true;
    const p = this.#current(principal);
    if (p === undefined) return false;
    const own = this.#topics.parse(filter);
    // Its own presence too: the agent watches it to re-publish "online" over a late last
    // will from its previous connection (agent/src/presence).
    if (own !== undefined && (own.kind === 'ack' || own.kind === 'presence') && ownedBy(p, own.id)) return true;
    return p.kind === 'device' && p.subscribe.some((f) => filterCovers(f, filter));
  }
}

function ownedBy(p: Exclude<Principal, { kind: 'internal' }>, agent: string): boolean {
  return p.kind === 'device' ? p.agentId === agent : p.agentIds.includes(agent);
}

/**
 * Whether every topic `requested` (a topic or a filter) can match is also matched by
 * `allowed`. A wildcard in `requested` is covered only by a wildcard at least as wide in
 * `allowed`. As in MQTT, a leading wildcard never covers a `$`-topic.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  if (requested.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

export function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return v4.startsWith('127.') || addr === '::1';
}
