/**
 * The agent's one MQTT connection, shared by presence and the pusher: a small MQTT 3.1.1
 * client over `node:net` (or `node:tls` for mqtts://) and our own packet codec (packet.ts).
 * It replaces mqtt.js, whose import alone cost 13 MB of private memory (docs/agent.md).
 *
 * - **Session.** `clean: false` (configurable) with a stable client id (`edgeprom-<agent id>`
 *   unless configured), so the broker keeps our ack subscription while we are away and
 *   redelivers QoS 1 acks published meanwhile. Subscriptions are requested again at every
 *   connect anyway (a broker may have lost the session).
 * - **QoS 1 publishes** are kept until their PUBACK. If the connection drops first, the
 *   publish promise rejects (its sender learns of the loss at once, as before) but the
 *   message stays in the outgoing store and is sent again with DUP set, under its original
 *   packet identifier, right after the next CONNACK (MQTT-4.4.0-1), before anything new.
 *   The pusher also resends from its oldest unacked sample; the aggregator drops the
 *   overlap by seq (wire-format §8), so a duplicate costs bytes, never data.
 * - **Outgoing bound.** At most `maxInflight` unacknowledged QoS 1 messages and
 *   `maxOutgoingBytes` of them plus unsent socket data (a single message always fits when
 *   nothing else is queued); beyond that `publish` rejects with `ERR_MQTT_QUEUE_FULL` instead
 *   of growing memory without bound.
 * - **Keepalive.** When nothing was sent or nothing was received for `keepalive` seconds a
 *   PINGREQ goes out; if nothing at all comes back within `pingTimeoutMs` the connection is
 *   declared dead and closed (a half-open TCP connection, a broker that hangs). No CONNACK
 *   within `connectTimeoutMs` of starting a connection closes it the same way.
 * - **Reconnect** with exponential backoff (1 s doubling to 60 s, ±20 % jitter) on the
 *   injected Clock, after any close: refused, reset, timed out or a protocol error.
 * - **CONNACK refusals** are logged with the broker's reason ("bad user name or password")
 *   and kept in `lastError`; the agent keeps retrying, since the broker's config may change.
 * - **Malformed packets** from the broker close the connection with an `ERR_MQTT_PROTOCOL`
 *   error naming the packet and the rule broken (then the usual reconnect); they never throw
 *   out of a socket callback.
 * - **Last will** is fixed at creation (presence builds it with the boot seq of this start),
 *   QoS 1, retained.
 * - **stop()** waits (at most `graceMs`) for unacknowledged publishes, then sends DISCONNECT,
 *   so the broker discards the will.
 * - The password (inline, from `password_file`, or inside the URL) is never logged: the
 *   URL is shown redacted.
 */
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { AGENT_MQTT_TLS_SCHEMES, agentMqttUrlError, EdgepromError, RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import { silentLogger, type Logger } from '../logger.js';
import {
  DISCONNECT,
  PINGREQ,
  PacketReader,
  checkTopicName,
  connackReason,
  encodeConnect,
  encodePuback,
  encodePubcomp,
  encodePublish,
  encodePubrec,
  encodeSubscribe,
  type ConnectPacket,
  type ServerPacket,
} from './packet.js';

export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  clientId?: string;
  /** `''` or ending with `/`. Default `edgeprom/`. */
  topicPrefix: string;
}

export interface LastWill {
  topic: string;
  payload: Uint8Array;
}

export interface MqttConnectionOptions {
  settings: MqttSettings;
  agentId: string;
  will?: LastWill;
  clock?: Clock;
  logger?: Logger;
  /** Backoff bounds (ms). Defaults 1 s and 60 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** For jitter; default Math.random. */
  random?: () => number;
  /** Persistent session (default) or a clean one. */
  clean?: boolean;
  /** Keepalive in seconds; 0 switches it off. Default 60. */
  keepaliveSec?: number;
  /** How long to wait for any packet after a PINGREQ. Default half the keepalive. */
  pingTimeoutMs?: number;
  /** From starting a connection to its CONNACK. Default 10 s. */
  connectTimeoutMs?: number;
  /** Unacknowledged QoS 1 publishes kept at most. Default 32. */
  maxInflight?: number;
  /** Bytes of unacknowledged publishes plus unsent socket data at most. Default 1 MiB. */
  maxOutgoingBytes?: number;
  /** Largest packet accepted from the broker. Default 1 MiB. */
  maxPacketBytes?: number;
  /** For mqtts://: trusted CA certificates (PEM) instead of the system's. */
  tlsCa?: string | Buffer;
}

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

export const DEFAULT_KEEPALIVE_SEC = 60;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_INFLIGHT = 32;
export const DEFAULT_MAX_OUTGOING_BYTES = 1 << 20;

/** `mqtt://user:xxxxx@host/` for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = 'xxxxx';
    return u.href;
  } catch {
    return '<invalid url>';
  }
}

export async function readPassword(s: MqttSettings): Promise<string | undefined> {
  if (s.password !== undefined && s.password !== '') return s.password;
  if (s.passwordFile === undefined || s.passwordFile === '') return undefined;
  try {
    return (await readFile(s.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new EdgepromError('ERR_MQTT_PASSWORD_FILE', `cannot read mqtt password_file ${s.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

interface Endpoint {
  tls: boolean;
  host: string;
  port: number;
}

/** mqtt:// and tcp:// over TCP (port 1883), mqtts://, tls:// and ssl:// over TLS (8883). */
export function parseBrokerUrl(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EdgepromError('ERR_MQTT_URL', `mqtt url ${JSON.stringify(redactUrl(url))} is not a URL`);
  }
  const scheme = u.protocol.slice(0, -1);
  const tls = AGENT_MQTT_TLS_SCHEMES.includes(scheme);
  const why = agentMqttUrlError(url);
  if (why) throw new EdgepromError('ERR_MQTT_URL', `mqtt url ${redactUrl(url)}: ${why}`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { tls, host, port: u.port !== '' ? Number(u.port) : tls ? 8883 : 1883 };
}

interface Outgoing {
  id: number;
  packet: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}

export class MqttConnection {
  readonly #opts: MqttConnectionOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #minBackoff: number;
  readonly #maxBackoff: number;
  readonly #random: () => number;
  readonly #keepaliveMs: number;
  readonly #pingTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxInflight: number;
  readonly #maxOutgoingBytes: number;
  #connect: ConnectPacket | undefined;
  #endpoint: Endpoint | undefined;
  #socket: net.Socket | undefined;
  #reader: PacketReader | undefined;
  #backoff: number;
  #reconnectTimer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #keepaliveTimer: TimerHandle | undefined;
  #pingTimer: TimerHandle | undefined;
  #attempt = 0;
  /** The current socket was closed by #fail (lastError says why). */
  #failed = false;
  #lastSent = 0;
  #lastReceived = 0;
  #started = false;
  #stopped = false;
  #connected = false;
  #connects = 0;
  #nextId = 1;
  /** Unacknowledged QoS 1 publishes by packet id, in publish order. */
  readonly #outgoing = new Map<number, Outgoing>();
  #outgoingBytes = 0;
  /** Incoming QoS 2 packet ids between PUBLISH and PUBREL (delivered once). */
  readonly #incomingQos2 = new Set<number>();
  /** SUBSCRIBE ids waiting for their SUBACK, with their filters. */
  readonly #pendingSubs = new Map<number, string[]>();
  readonly #subscriptions = new Map<string, 0 | 1>();
  readonly #handlers = new Set<MessageHandler>();
  readonly #connectListeners = new Set<() => void>();
  readonly #closeListeners = new Set<() => void>();
  readonly #drainWaiters = new Set<() => void>();
  #lastError: EdgepromError | undefined;
  #lastLogged: string | undefined;

  constructor(opts: MqttConnectionOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#minBackoff = opts.minBackoffMs ?? 1000;
    this.#maxBackoff = opts.maxBackoffMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
    this.#backoff = this.#minBackoff;
    this.#keepaliveMs = (opts.keepaliveSec ?? DEFAULT_KEEPALIVE_SEC) * 1000;
    this.#pingTimeoutMs = opts.pingTimeoutMs ?? Math.max(1000, this.#keepaliveMs / 2);
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#maxInflight = Math.min(opts.maxInflight ?? DEFAULT_MAX_INFLIGHT, 0xffff);
    this.#maxOutgoingBytes = opts.maxOutgoingBytes ?? DEFAULT_MAX_OUTGOING_BYTES;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Successful connects so far (1 after the first). */
  get connects(): number {
    return this.#connects;
  }

  get clientId(): string {
    return this.#opts.settings.clientId ?? `edgeprom-${this.#opts.agentId}`;
  }

  /** Why the last connection attempt failed or the last connection ended; cleared on connect. */
  get lastError(): EdgepromError | undefined {
    return this.#lastError;
  }

  /** QoS 1 publishes waiting for their PUBACK (kept across reconnects). */
  get inflight(): number {
    return this.#outgoing.size;
  }

  /** Keeps `topic` subscribed across reconnects. */
  subscribe(topic: string, qos: 0 | 1 = 1): void {
    this.#subscriptions.set(topic, qos);
    if (this.#connected) this.#sendSubscribe([[topic, qos]]);
  }

  onMessage(h: MessageHandler): () => void {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }

  /** Called on every (re)connect, after subscriptions are requested and unacked publishes resent. */
  onConnect(l: () => void): () => void {
    this.#connectListeners.add(l);
    return () => this.#connectListeners.delete(l);
  }

  /** Called when an established connection ends. */
  onClose(l: () => void): () => void {
    this.#closeListeners.add(l);
    return () => this.#closeListeners.delete(l);
  }

  /**
   * Starts connecting; returns at once (the broker may be down: we keep retrying). Rejects
   * only for what retrying cannot fix: an unreadable password file, an unsupported URL.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const s = this.#opts.settings;
    this.#endpoint = parseBrokerUrl(s.url);
    const password = await readPassword(s);
    // Configured credentials win over `user:password@` in the URL.
    const u = new URL(s.url);
    const username = s.username ?? (u.username !== '' ? decodeURIComponent(u.username) : undefined);
    const pw = password ?? (u.password !== '' ? decodeURIComponent(u.password) : undefined);
    const will = this.#opts.will;
    this.#connect = {
      clientId: this.clientId,
      clean: this.#opts.clean ?? false,
      keepalive: this.#keepaliveMs / 1000,
      ...(username !== undefined ? { username } : {}),
      ...(pw !== undefined ? { password: Buffer.from(pw, 'utf8') } : {}),
      ...(will ? { will: { topic: will.topic, payload: will.payload, qos: 1 as const, retain: true } } : {}),
    };
    // Fails here, once, rather than at every attempt.
    encodeConnect(this.#connect);
    this.#logger.info({ broker: redactUrl(s.url), client_id: this.clientId }, 'mqtt: connecting');
    if (!this.#stopped) this.#open();
  }

  #open(): void {
    const ep = this.#endpoint!;
    const attempt = ++this.#attempt;
    this.#connectTimer = this.#clock.setTimeout(() => {
      this.#connectTimer = undefined;
      if (!this.#connected && attempt === this.#attempt) this.#fail(new EdgepromError('ERR_MQTT_TIMEOUT', `no CONNACK from the broker within ${this.#connectTimeoutMs} ms`));
    }, this.#connectTimeoutMs);
    if (!ep.tls) {
      this.#wire(net.connect({ host: ep.host, port: ep.port }), 'connect');
      return;
    }
    // node:tls only when asked for: it costs memory a plain connection does not need.
    import('node:tls').then(
      (tls) => {
        if (this.#stopped || attempt !== this.#attempt) return;
        const ca = this.#opts.tlsCa;
        this.#wire(tls.connect({ host: ep.host, port: ep.port, servername: net.isIP(ep.host) ? undefined : ep.host, ...(ca !== undefined ? { ca } : {}) }), 'secureConnect');
      },
      (err: unknown) => {
        this.#lastError = new EdgepromError('ERR_MQTT_TLS', `cannot load node:tls: ${(err as Error).message}`);
        if (attempt === this.#attempt) this.#onClose();
      },
    );
  }

  #wire(socket: net.Socket, ready: 'connect' | 'secureConnect'): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new PacketReader({ maxPacketBytes: this.#opts.maxPacketBytes });
    this.#reader = reader;
    socket.once(ready, () => {
      if (this.#socket !== socket) return;
      this.#write(encodeConnect(this.#connect!));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      let packets: ServerPacket[];
      try {
        packets = reader.push(chunk);
      } catch (err) {
        this.#fail(err as EdgepromError);
        return;
      }
      this.#lastReceived = this.#clock.monotonic();
      this.#clearPingTimer();
      for (const p of packets) {
        if (this.#socket !== socket || socket.destroyed) return;
        this.#onPacket(p);
      }
    });
    socket.on('drain', () => this.#notifyDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket !== socket) return;
      this.#lastError = new EdgepromError('ERR_MQTT_SOCKET', `${err.code ?? err.message} (${this.#endpoint!.host}:${this.#endpoint!.port})`, { cause: err });
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#onClose();
    });
  }

  /** Ends the current connection attempt because of `err`; the close handler logs and reconnects. */
  #fail(err: EdgepromError): void {
    this.#lastError = err;
    this.#failed = true;
    const s = this.#socket;
    if (s) s.destroy();
    else if (!this.#stopped) {
      // TLS still loading: abandon this attempt.
      this.#attempt++;
      this.#onClose();
    }
  }

  #write(b: Buffer, cb?: (err?: Error | null) => void): boolean {
    const s = this.#socket;
    if (!s || s.destroyed) return false;
    this.#lastSent = this.#clock.monotonic();
    return s.write(b, cb);
  }

  #onPacket(p: ServerPacket): void {
    if (!this.#connected && p.cmd !== 'connack') {
      this.#fail(new EdgepromError('ERR_MQTT_PROTOCOL', `${p.cmd.toUpperCase()} from the broker before its CONNACK (MQTT-3.2.0-1)`));
      return;
    }
    switch (p.cmd) {
      case 'connack':
        this.#onConnack(p.returnCode, p.sessionPresent);
        return;
      case 'publish':
        this.#onPublish(p.topic, p.payload, p.qos, p.messageId);
        return;
      case 'puback': {
        const o = this.#outgoing.get(p.messageId);
        if (!o) return; // a late PUBACK for a publish a DUP resend already settled
        this.#outgoing.delete(p.messageId);
        this.#outgoingBytes -= o.packet.length;
        if (!o.settled) {
          o.settled = true;
          o.resolve();
        }
        this.#notifyDrain();
        return;
      }
      case 'pubrel':
        this.#incomingQos2.delete(p.messageId);
        this.#write(encodePubcomp(p.messageId));
        return;
      case 'suback': {
        const topics = this.#pendingSubs.get(p.messageId);
        this.#pendingSubs.delete(p.messageId);
        if (!topics) return;
        p.granted.forEach((rc, i) => {
          if (rc === 0x80) this.#logger.warn({ topic: topics[i] }, 'mqtt: the broker refused this subscription (check its ACL)');
        });
        return;
      }
      case 'pingresp':
      case 'unsuback':
      case 'pubrec':
      case 'pubcomp':
        // We never send QoS 2 or UNSUBSCRIBE; a stray acknowledgement is harmless.
        return;
    }
  }

  #onConnack(code: number, sessionPresent: boolean): void {
    if (this.#connected) {
      this.#fail(new EdgepromError('ERR_MQTT_PROTOCOL', 'a second CONNACK from the broker (MQTT-3.2.0-1)'));
      return;
    }
    if (this.#connectTimer) this.#clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (code !== 0) {
      const reason = connackReason(code);
      const err = new EdgepromError('ERR_MQTT_CONNACK', `the broker refused the connection: ${reason} (CONNACK return code ${code}; client id ${this.clientId}${this.#connect?.username !== undefined ? `, username ${this.#connect.username}` : ''})`);
      (err as EdgepromError & { returnCode?: number }).returnCode = code;
      this.#fail(err);
      return;
    }
    this.#connected = true;
    this.#connects++;
    this.#backoff = this.#minBackoff;
    this.#lastError = undefined;
    this.#lastLogged = undefined;
    this.#logger.info({ broker: redactUrl(this.#opts.settings.url), session_present: sessionPresent, resending: this.#outgoing.size }, 'mqtt: connected');
    if (this.#subscriptions.size > 0) this.#sendSubscribe([...this.#subscriptions]);
    for (const o of this.#outgoing.values()) {
      o.packet[0] |= 0x08; // DUP
      this.#write(o.packet);
    }
    this.#scheduleKeepalive();
    for (const l of this.#connectListeners) l();
  }

  #onPublish(topic: string, payload: Uint8Array, qos: number, id: number | undefined): void {
    if (qos === 2 && id !== undefined) {
      const seen = this.#incomingQos2.has(id);
      if (!seen && this.#incomingQos2.size < 0xffff) this.#incomingQos2.add(id);
      this.#write(encodePubrec(id));
      if (seen) return;
    }
    for (const h of this.#handlers) {
      try {
        h(topic, payload);
      } catch (err) {
        this.#logger.error({ err: (err as Error).message, topic }, 'mqtt: message handler failed');
      }
    }
    if (qos === 1 && id !== undefined) this.#write(encodePuback(id));
  }

  #sendSubscribe(subs: [string, 0 | 1][]): void {
    const id = this.#allocId();
    if (id === undefined) return;
    this.#pendingSubs.set(id, subs.map(([t]) => t));
    try {
      this.#write(encodeSubscribe(id, subs.map(([topic, qos]) => ({ topic, qos }))));
    } catch (err) {
      this.#pendingSubs.delete(id);
      this.#logger.error({ err: (err as Error).message }, 'mqtt: cannot subscribe');
    }
  }

  #allocId(): number | undefined {
    for (let i = 0; i < 0xffff; i++) {
      const id = this.#nextId;
      this.#nextId = id === 0xffff ? 1 : id + 1;
      if (!this.#outgoing.has(id) && !this.#pendingSubs.has(id)) return id;
    }
    return undefined;
  }

  // ---- keepalive ----

  #scheduleKeepalive(): void {
    if (this.#keepaliveMs <= 0) return;
    if (this.#keepaliveTimer) this.#clock.clearTimeout(this.#keepaliveTimer);
    this.#keepaliveTimer = this.#clock.setInterval(() => this.#keepaliveTick(), Math.max(250, this.#keepaliveMs / 4));
  }

  #keepaliveTick(): void {
    if (!this.#connected || this.#pingTimer) return;
    const now = this.#clock.monotonic();
    if (now - this.#lastSent < this.#keepaliveMs && now - this.#lastReceived < this.#keepaliveMs) return;
    this.#write(PINGREQ);
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#pingTimer = undefined;
      this.#logger.warn({ broker: redactUrl(this.#opts.settings.url), timeout_ms: this.#pingTimeoutMs }, 'mqtt: no answer to PINGREQ; the connection is dead');
      this.#fail(new EdgepromError('ERR_MQTT_KEEPALIVE', `no answer from the broker within ${this.#pingTimeoutMs} ms of a PINGREQ`));
    }, this.#pingTimeoutMs);
  }

  #clearPingTimer(): void {
    if (this.#pingTimer) this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  // ---- close and reconnect ----

  #onClose(): void {
    const was = this.#connected;
    this.#connected = false;
    // A close with no error of ours or the socket's: the broker hung up.
    if (!this.#stopped && this.#socket && !this.#socket.errored && !this.#failed) {
      this.#lastError = new EdgepromError('ERR_MQTT_CLOSED', was ? 'the broker closed the connection' : 'the broker closed the connection before its CONNACK');
    }
    this.#failed = false;
    this.#socket = undefined;
    this.#reader = undefined;
    for (const t of [this.#connectTimer, this.#keepaliveTimer]) if (t) this.#clock.clearTimeout(t);
    this.#connectTimer = undefined;
    this.#keepaliveTimer = undefined;
    this.#clearPingTimer();
    this.#pendingSubs.clear();
    this.#incomingQos2.clear();
    // Senders learn of the loss now; the messages stay for the DUP resend after reconnect.
    for (const o of this.#outgoing.values()) {
      if (o.settled) continue;
      o.settled = true;
      o.reject(new EdgepromError('ERR_MQTT_NOT_CONNECTED', 'connection lost before the broker acknowledged'));
    }
    if (was) for (const l of this.#closeListeners) l();
    if (this.#stopped) {
      this.#notifyDrain();
      return;
    }
    if (was) this.#logger.warn({ broker: redactUrl(this.#opts.settings.url), err: this.#lastError?.message }, 'mqtt: connection lost');
    else this.#logAttemptFailure();
    if (this.#opts.clean) this.#dropOutgoing();
    if (this.#stopped || this.#reconnectTimer) return;
    const jitter = 1 + (this.#random() * 0.4 - 0.2);
    const delay = Math.round(this.#backoff * jitter);
    this.#backoff = Math.min(this.#maxBackoff, this.#backoff * 2);
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#stopped) this.#open();
    }, delay);
  }

  /** One line per distinct failure, not one per retry. */
  #logAttemptFailure(): void {
    const err = this.#lastError;
    const msg = err?.message ?? 'the broker closed the connection before its CONNACK';
    if (msg === this.#lastLogged) return;
    this.#lastLogged = msg;
    const fields = { broker: redactUrl(this.#opts.settings.url), err: msg, code: err?.code };
    if (err?.code === 'ERR_MQTT_CONNACK') this.#logger.error(fields, 'mqtt: connection refused by the broker');
    else this.#logger.warn(fields, 'mqtt: connection error');
  }

  #dropOutgoing(): void {
    this.#outgoing.clear();
    this.#outgoingBytes = 0;
  }

  #notifyDrain(): void {
    for (const w of [...this.#drainWaiters]) w();
  }

  /**
   * Publishes; resolves on PUBACK (QoS 1) or when written (QoS 0). Rejects when not connected,
   * when the outgoing bound is reached, or when the connection drops first (a QoS 1 message
   * is then still resent after the reconnect).
   */
  publish(topic: string, payload: Uint8Array, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    if (!this.#connected || !this.#socket) return Promise.reject(new EdgepromError('ERR_MQTT_NOT_CONNECTED', 'not connected to the MQTT broker'));
    try {
      checkTopicName(topic);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const retain = opts.retain ?? false;
    const unsent = this.#socket.writableLength;
    if (opts.qos === 0) {
      const packet = encodePublish({ topic, payload, qos: 0, retain, dup: false });
      if (this.#overBound(unsent, packet.length)) return Promise.reject(this.#full(packet.length));
      return new Promise((resolve, reject) => {
        this.#write(packet, (err) => (err ? reject(new EdgepromError('ERR_MQTT_NOT_CONNECTED', `publish not written: ${err.message}`)) : resolve()));
      });
    }
    if (this.#outgoing.size >= this.#maxInflight) return Promise.reject(this.#full(0));
    const id = this.#allocId();
    if (id === undefined) return Promise.reject(this.#full(0));
    let packet: Buffer;
    try {
      packet = encodePublish({ topic, payload, qos: 1, retain, dup: false, messageId: id });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.#overBound(unsent, packet.length)) return Promise.reject(this.#full(packet.length));
    return new Promise((resolve, reject) => {
      this.#outgoing.set(id, { id, packet, resolve, reject, settled: false });
      this.#outgoingBytes += packet.length;
      this.#write(packet);
    });
  }

  /** Over `maxOutgoingBytes`; one message alone always fits, or a large batch could never go. */
  #overBound(unsent: number, bytes: number): boolean {
    const queued = unsent + this.#outgoingBytes;
    return queued > 0 && queued + bytes > this.#maxOutgoingBytes;
  }

  #full(bytes: number): EdgepromError {
    return new EdgepromError(
      'ERR_MQTT_QUEUE_FULL',
      `MQTT outgoing queue full: ${this.#outgoing.size} unacknowledged publishes (max ${this.#maxInflight}), ${this.#outgoingBytes + (this.#socket?.writableLength ?? 0)} bytes queued + ${bytes} (max ${this.#maxOutgoingBytes})`,
    );
  }

  /**
   * Stops reconnecting and disconnects: when connected, waits (at most `graceMs`) for the
   * PUBACKs of what we sent, then sends DISCONNECT (so the broker discards our will);
   * otherwise just closes the socket.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#reconnectTimer) this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const socket = this.#socket;
    if (!socket) {
      this.#dropOutgoing();
      return;
    }
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.#drainWaiters.delete(check);
        this.#clock.clearTimeout(force);
        resolve();
      };
      const force = this.#clock.setTimeout(() => {
        socket.destroy();
        finish();
      }, graceMs);
      socket.once('close', finish);
      const check = () => {
        if (!this.#connected) {
          socket.destroy();
          return;
        }
        if (this.#outgoing.size > 0) return;
        this.#drainWaiters.delete(check);
        this.#write(DISCONNECT);
        socket.end();
      };
      this.#drainWaiters.add(check);
      check();
    });
    this.#connected = false;
    this.#dropOutgoing();
    for (const t of [this.#connectTimer, this.#keepaliveTimer]) if (t) this.#clock.clearTimeout(t);
    this.#clearPingTimer();
  }
}
