/**
 * The embedded MQTT broker: aedes behind a net.Server, with the AccessPolicy as its hooks and,
 * when a persistence directory is given, retained messages, sessions and wills kept in LevelDB
 * (aedes-persistence-level) so presence survives a restart.
 *
 *   const broker = createBroker({ listen: ':1883', devices, anonymous: 'off', persistenceDir });
 *   await broker.start();             // listening; broker.port is the bound port
 *   broker.internalCredentials        // for the aggregator's own (privileged) client
 *   await broker.stop();              // closes clients, the server and the database
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import type { MetricFamily } from '@edgeprom/shared';
import { topics as makeTopics, type Topics } from '@edgeprom/shared/wire';
import { exactDedupe } from './aedes-dedupe.js';
import { AccessPolicy, type AnonymousPolicy, type DeviceCredential, type Principal } from './access-policy.js';
import { MqttError, parseListenAddress } from './errors.js';
import { BrokerMetrics } from './broker-metrics.js';
import { silentLogger, type MqttLogger } from './logger.js';

export interface BrokerOptions {
  /** host:port; `:1883` (every interface) by default. */
  listen?: string;
  topicPrefix?: string;
  devices?: readonly DeviceCredential[];
  /** Default 'off'. See AnonymousPolicy. */
  anonymous?: AnonymousPolicy;
  /** Directory for the LevelDB persistence; unset keeps everything in memory. */
  persistenceDir?: string;
  logger?: MqttLogger;
}

export interface InternalCredentials {
  username: string;
  password: string;
}

/** Reserved for the aggregator's own client; a device configured with it can never log in. */
export const INTERNAL_USERNAME = '$edgeprom-aggregator';

/** aedes's error for a packet written to a client whose connection is already closed (lib/write.js). */
const CONNECTION_CLOSED = 'connection closed';

const CONNACK_REFUSED: Record<string, number> = {
  'bad-credentials': 4, // bad user name or password
  'anonymous-refused': 5, // not authorized
  'bad-client-id': 2, // identifier rejected
};

export class EmbeddedBroker {
  readonly topics: Topics;
  readonly internalCredentials: InternalCredentials;
  /** Counters for /metrics (see broker-metrics.ts). */
  readonly metrics = new BrokerMetrics();
  readonly #opts: BrokerOptions;
  readonly #logger: MqttLogger;
  readonly #policy: AccessPolicy;
  readonly #principals = new WeakMap<object, Principal>();
  #aedes: Aedes | undefined;
  #server: net.Server | undefined;
  #db: Level<string, Buffer> | undefined;
  /** stop() has begun: client errors from then on are the shutdown's, logged at debug. */
  #stopping = false;
  #port = 0;
  #host: string | undefined;

  constructor(opts: BrokerOptions = {}) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger;
    this.topics = makeTopics(opts.topicPrefix ?? 'edgeprom/');
    this.internalCredentials = { username: INTERNAL_USERNAME, password: crypto.randomBytes(32).toString('base64url') };
    this.#policy = new AccessPolicy({
      topics: this.topics,
      devices: (opts.devices ?? []).filter((d) => d.username !== INTERNAL_USERNAME),
      anonymous: opts.anonymous ?? 'off',
      internal: { username: INTERNAL_USERNAME, password: Buffer.from(this.internalCredentials.password) },
    });
    if ((opts.devices ?? []).some((d) => d.username === INTERNAL_USERNAME)) {
      this.#logger.warn({ username: INTERNAL_USERNAME }, 'mqtt: a device uses the reserved username; it is ignored');
    }
  }

  /**
   * Replaces the device credentials and the anonymous policy (config reload; see
   * AccessPolicy.reconfigure for connected clients).
   */
  setAccess(devices: readonly DeviceCredential[], anonymous: AnonymousPolicy): void {
    this.#policy.reconfigure({ devices: devices.filter((d) => d.username !== INTERNAL_USERNAME), anonymous });
    this.#logger.info({ devices: devices.length, anonymous }, 'mqtt: access rules replaced');
  }

  /** edgeprom_mqtt_* for /metrics. */
  collectMetrics(): MetricFamily[] {
    return this.metrics.families(this.#aedes?.connectedClients ?? 0);
  }

  /** The bound port (after start); useful with port 0. */
  get port(): number {
    return this.#port;
  }

  /** A URL the aggregator's own client can connect to. */
  get url(): string {
    const h = this.#host === undefined || this.#host === '0.0.0.0' || this.#host === '::' ? '127.0.0.1' : this.#host;
    return `mqtt://${h.includes(':') ? `[${h}]` : h}:${this.#port}`;
  }

  get aedes(): Aedes | undefined {
    return this.#aedes;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const { host, port } = parseListenAddress(this.#opts.listen ?? ':1883');
    let persistence: unknown;
    if (this.#opts.persistenceDir !== undefined) {
      fs.mkdirSync(this.#opts.persistenceDir, { recursive: true });
      this.#db = new Level<string, Buffer>(this.#opts.persistenceDir, { valueEncoding: 'buffer' });
      await this.#db.open();
      persistence = aedesPersistenceLevel(this.#db);
    }
    try {
      const aedes = await Aedes.createBroker({
        persistence,
        // aedes-dedupe.ts: without it a client can lose a retained message (an agent's
        // presence) that a later publish overtook.
        preConnect: (client, _packet, done) => {
          exactDedupe(client);
          done(null, true);
        },
        authenticate: (client, username, password, done) => {
          const remote = (client.conn as net.Socket).remoteAddress;
          const r = this.#policy.authenticate(username, password, client.id, remote);
          if (r.ok) {
            this.metrics.connections++;
            this.#principals.set(client, r.principal);
            return done(null, true);
          }
          // The username is fine to log; the password never is.
          this.metrics.authFailures.inc([r.reason]);
          this.#logger.warn({ clientId: client.id, username: username ?? null, remote, reason: r.reason }, 'mqtt: connection refused');
          const err = new Error(r.reason) as AuthenticateError;
          err.returnCode = CONNACK_REFUSED[r.reason] as AuthenticateError['returnCode'];
          done(err, false);
        },
        authorizePublish: (client, packet, done) => {
          if (client === null) return done(null); // the broker's own messages
          const p = this.#principals.get(client);
          if (p !== undefined && this.#policy.canPublish(p, packet.topic)) return done(null);
          this.metrics.aclDenied.inc(['publish']);
          this.#logger.warn({ clientId: client.id, topic: packet.topic }, 'mqtt: publish refused by ACL');
          done(new Error('publish not authorized'));
        },
        authorizeSubscribe: (client, sub, done) => {
          const p = this.#principals.get(client);
          if (p !== undefined && this.#policy.canSubscribe(p, sub.topic)) return done(null, sub);
          this.metrics.aclDenied.inc(['subscribe']);
          this.#logger.warn({ clientId: client.id, topic: sub.topic }, 'mqtt: subscription refused by ACL');
          // A null subscription makes aedes answer SUBACK 0x80 (failure) and keep the client.
          done(null, null);
        },
        authorizeForward: (_client, packet) => {
          this.metrics.forwarded(packet);
          return packet;
        },
      });
      aedes.on('publish', (packet, client) => {
        if (client !== null) this.metrics.published(packet);
      });
      // A metric must not stop the broker: an unreadable store only leaves the count low.
      await this.metrics
        .seedRetained((aedes as unknown as { persistence: RetainedSource }).persistence.createRetainedStream('#'))
        .catch((e: unknown) => this.#logger.warn({ err: (e as Error).message }, 'mqtt: cannot count retained messages'));
      aedes.on('clientError', (client, err) => {
        // aedes reports a delivery that lost the race with the client's close (a QoS 1 copy of
        // a message written just after the client's DISCONNECT, e.g. an agent's own offline
        // presence forwarded back to it) as an error of that client. It is none: the client
        // left, the copy stays in its session (clean: false) or goes with it (MQTT-3.1.2-6),
        // and an abnormal close is reported by its own error.
        // Stopping: aedes has closed its clients, and a session write still on its way fails
        // once the store is closed ("Database is not open").
        if ((client.closed && err.message === CONNECTION_CLOSED) || this.#stopping) {
          this.#logger.debug?.({ clientId: client.id, err: err.message }, 'mqtt: message not delivered: the client or the broker was closing');
          return;
        }
        this.#logger.warn({ clientId: client.id, err: err.message }, 'mqtt: client error');
      });
      aedes.on('connectionError', (client, err) => this.#logger.warn({ clientId: client?.id ?? null, err: err.message }, 'mqtt: connection error'));
      this.#aedes = aedes;
      const server = net.createServer(aedes.handle);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new MqttError('ERR_MQTT_LISTEN', `mqtt: cannot listen on ${this.#opts.listen ?? ':1883'}: ${e.message}`, { cause: e })));
        server.listen({ host, port }, () => resolve());
      });
      server.on('error', (e) => this.#logger.error({ err: e.message }, 'mqtt: server error'));
      this.#server = server;
      const addr = server.address() as net.AddressInfo;
      this.#port = addr.port;
      this.#host = host;
      this.#logger.info({ address: `${addr.address}:${addr.port}`, persistence: this.#opts.persistenceDir ?? 'memory', anonymous: this.#opts.anonymous ?? 'off' }, 'mqtt: embedded broker listening');
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Disconnects every client, closes the listener and the persistence. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const server = this.#server;
    const aedes = this.#aedes;
    const db = this.#db;
    this.#server = undefined;
    this.#aedes = undefined;
    this.#db = undefined;
    const closing = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    // aedes.close() closes every client connection, which lets server.close() finish.
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    await closing;
    if (db && db.status !== 'closed') await db.close();
  }
}

/** The part of aedes's persistence the retained count is seeded from. */
interface RetainedSource {
  createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer | string; retain?: boolean }>;
}

export function createBroker(opts: BrokerOptions = {}): EmbeddedBroker {
  return new EmbeddedBroker(opts);
}
