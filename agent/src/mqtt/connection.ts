/**
 * The agent's one MQTT connection, shared by presence and the pusher.
 *
 * - **Session.** `clean: false` with a stable client id (`edgeprom-<agent id>` unless
 *   configured), so the broker keeps our ack subscription while we are away and redelivers
 *   QoS 1 acks published meanwhile.
 * - **Reconnect** with exponential backoff (1 s doubling to 60 s, ±20 % jitter) on the
 *   injected Clock; mqtt.js's own fixed-period reconnect is switched off. A reconnect
 *   starts with a fresh outgoing store: the pusher resends from the oldest unacked sample
 *   itself (wire-format §8.3), so mqtt.js does not redeliver a second copy of the batch.
 * - **Last will** is fixed at creation (presence builds it with the boot seq of this start).
 * - The password (inline, from `password_file`, or inside the URL) is never logged: the
 *   URL is shown redacted.
 */
import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { EdgepromError, RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import { silentLogger, type Logger } from '../logger.js';

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
}

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

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

function withoutUserinfo(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href;
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

export class MqttConnection {
  readonly #opts: MqttConnectionOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #minBackoff: number;
  readonly #maxBackoff: number;
  readonly #random: () => number;
  #client: MqttClient | undefined;
  #backoff: number;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #connected = false;
  #connects = 0;
  readonly #subscriptions = new Map<string, 0 | 1>();
  readonly #handlers = new Set<MessageHandler>();
  readonly #connectListeners = new Set<() => void>();
  readonly #closeListeners = new Set<() => void>();
  #lastError: string | undefined;

  constructor(opts: MqttConnectionOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#minBackoff = opts.minBackoffMs ?? 1000;
    this.#maxBackoff = opts.maxBackoffMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
    this.#backoff = this.#minBackoff;
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

  /** Keeps `topic` subscribed across reconnects. */
  subscribe(topic: string, qos: 0 | 1 = 1): void {
    this.#subscriptions.set(topic, qos);
    if (this.#connected) this.#client?.subscribe(topic, { qos });
  }

  onMessage(h: MessageHandler): () => void {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }

  /** Called on every (re)connect, after subscriptions are requested. */
  onConnect(l: () => void): () => void {
    this.#connectListeners.add(l);
    return () => this.#connectListeners.delete(l);
  }

  onClose(l: () => void): () => void {
    this.#closeListeners.add(l);
    return () => this.#closeListeners.delete(l);
  }

  /** Starts connecting; returns at once (the broker may be down: we keep retrying). */
  async start(): Promise<void> {
    if (this.#client) return;
    const s = this.#opts.settings;
    const password = await readPassword(s);
    const options: IClientOptions = {
      clientId: this.clientId,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
      resubscribe: false,
      protocolVersion: 4,
    };
    // Configured credentials win over `user:password@` in the URL.
    const u = new URL(s.url);
    const username = s.username ?? (u.username !== '' ? decodeURIComponent(u.username) : undefined);
    const pw = password ?? (u.password !== '' ? decodeURIComponent(u.password) : undefined);
    if (username !== undefined) options.username = username;
    if (pw !== undefined) options.password = pw;
    const will = this.#opts.will;
    if (will) options.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true };
    this.#logger.info({ broker: redactUrl(s.url), client_id: options.clientId }, 'mqtt: connecting');
    const client = mqtt.connect(withoutUserinfo(s.url), options);
    this.#client = client;
    client.on('connect', () => this.#onConnect());
    client.on('close', () => this.#onClose());
    client.on('error', (err) => {
      if (this.#stopped) return;
      const msg = (err as NodeJS.ErrnoException).code ?? err.message;
      if (msg !== this.#lastError) this.#logger.warn({ broker: redactUrl(s.url), err: msg }, 'mqtt: connection error');
      this.#lastError = msg;
    });
    client.on('message', (topic, payload) => {
      for (const h of this.#handlers) {
        try {
          h(topic, payload);
        } catch (err) {
          this.#logger.error({ err: (err as Error).message, topic }, 'mqtt: message handler failed');
        }
      }
    });
  }

  #onConnect(): void {
    this.#connected = true;
    this.#connects++;
    this.#backoff = this.#minBackoff;
    this.#lastError = undefined;
    this.#logger.info({ broker: redactUrl(this.#opts.settings.url) }, 'mqtt: connected');
    for (const [topic, qos] of this.#subscriptions) this.#client?.subscribe(topic, { qos });
    for (const l of this.#connectListeners) l();
  }

  #onClose(): void {
    const was = this.#connected;
    this.#connected = false;
    // reconnect() starts with fresh stores, so publishes still waiting for a PUBACK will never
    // get one; drop them, or a later graceful end() would wait for them forever. (Their
    // senders already learnt of the loss through onClose.)
    const client = this.#client;
    if (client) for (const id of Object.keys(client.outgoing ?? {})) client.removeOutgoingMessage(Number(id));
    if (was && !this.#stopped) {
      this.#logger.warn({ broker: redactUrl(this.#opts.settings.url) }, 'mqtt: connection lost');
    }
    if (was) for (const l of this.#closeListeners) l();
    if (this.#stopped || this.#timer) return;
    const jitter = 1 + (this.#random() * 0.4 - 0.2);
    const delay = Math.round(this.#backoff * jitter);
    this.#backoff = Math.min(this.#maxBackoff, this.#backoff * 2);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) this.#client?.reconnect();
    }, delay);
  }

  /**
   * Publishes; resolves on PUBACK (QoS 1) or when written (QoS 0). Rejects when not connected
   * or when the connection drops first.
   */
  publish(topic: string, payload: Uint8Array, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected) return Promise.reject(new EdgepromError('ERR_MQTT_NOT_CONNECTED', 'not connected to the MQTT broker'));
    return new Promise((resolve, reject) => {
      const dropped = () => reject(new EdgepromError('ERR_MQTT_NOT_CONNECTED', 'connection lost before the broker acknowledged'));
      const off = this.onClose(dropped);
      client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: opts.qos, retain: opts.retain ?? false }, (err) => {
        off();
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /**
   * Stops reconnecting and disconnects: with a DISCONNECT packet (so the broker discards our
   * will) when connected, else by closing the socket. Waits at most `graceMs` for the
   * broker to take what we sent.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const force = this.#clock.setTimeout(() => client.end(true, () => resolve()), graceMs);
      client.end(!this.#connected, () => {
        this.#clock.clearTimeout(force);
        resolve();
      });
    });
    this.#connected = false;
  }
}
