/**
 * MQTT presence (wire-format §6): a retained `online` message on `<prefix>presence/<agent>`
 * at every (re)connect, an `offline` one as the connection's last will, and an explicit
 * retained `offline` before a graceful disconnect (SIGTERM).
 *
 * Every message of one agent start carries that start's `bootSeq` (boot-seq.ts), so an
 * aggregator holding an online presence of start N ignores an offline will of start N−1
 * that the broker publishes late (the old TCP connection lingered until the new one took
 * its client id over). A late will of *this* start (the broker noticed a dead connection
 * after we had already reconnected) carries our own bootSeq: we see it on our own presence
 * topic and publish `online` again, so the retained message ends up true. Because a will
 * can also land in our persistent session's queue while the broker is still taking the
 * client id over (then we only get it at the next reconnect), `online` is also published
 * again every `refreshMs` (10 minutes) while connected: a few dozen bytes, and the
 * retained message is never wrong for longer than that.
 */
import { RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import { decodeMessage, encodePresence, type PresenceInput, type Topics } from '@edgeprom/shared/wire';
import { silentLogger, type Logger } from '../logger.js';
import type { LastWill, MqttConnection } from '../mqtt/connection.js';

export interface PresenceInfo {
  agent: string;
  /** The buffer's boot id (the one batches carry). */
  boot: string;
  bootSeq: number;
  version: string;
  metricsPath?: string;
  addresses?: string[];
  port?: number;
}

export interface PresenceOptions {
  info: PresenceInfo;
  topics: Topics;
  clock?: Clock;
  logger?: Logger;
  /** How often `online` is published again while connected. Default 10 minutes. */
  refreshMs?: number;
}

export const DEFAULT_PRESENCE_REFRESH_MS = 10 * 60_000;

export class Presence {
  readonly #info: PresenceInfo;
  readonly #topic: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #conn: MqttConnection | undefined;
  #stopping = false;
  #published = 0;
  readonly #offs: (() => void)[] = [];
  readonly #refreshMs: number;
  #refresh: TimerHandle | undefined;

  constructor(opts: PresenceOptions) {
    this.#info = opts.info;
    this.#topic = opts.topics.presence(opts.info.agent);
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#refreshMs = opts.refreshMs ?? DEFAULT_PRESENCE_REFRESH_MS;
  }

  get topic(): string {
    return this.#topic;
  }

  /** Online presence messages published so far. */
  get published(): number {
    return this.#published;
  }

  encode(state: 'online' | 'offline'): Uint8Array {
    const p: PresenceInput = { ...this.#info, state, ts: this.#clock.now() };
    return encodePresence(p);
  }

  /** The last will to give the connection before it connects. */
  will(): LastWill {
    return { topic: this.#topic, payload: this.encode('offline') };
  }

  /** Publishes online on every connect and repairs a late will of this start. */
  attach(conn: MqttConnection): void {
    this.#conn = conn;
    this.#offs.push(conn.onConnect(() => void this.#publishOnline('connected')));
    this.#offs.push(conn.onMessage((topic, payload) => this.#onMessage(topic, payload)));
    conn.subscribe(this.#topic, 1);
    if (conn.connected) void this.#publishOnline('attached');
    this.#refresh = this.#clock.setInterval(() => {
      if (conn.connected) void this.#publishOnline('refresh');
    }, this.#refreshMs);
  }

  async #publishOnline(why: string): Promise<void> {
    if (this.#stopping || !this.#conn) return;
    try {
      await this.#conn.publish(this.#topic, this.encode('online'), { qos: 1, retain: true });
      this.#published++;
      this.#logger.debug({ topic: this.#topic, boot_seq: this.#info.bootSeq, why }, 'presence: online');
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'presence: online not published (will retry on reconnect)');
    }
  }

  #onMessage(topic: string, payload: Uint8Array): void {
    if (topic !== this.#topic || this.#stopping) return;
    let m;
    try {
      m = decodeMessage(payload);
    } catch {
      return;
    }
    if (m.type !== 'presence' || m.state !== 'offline') return;
    if (m.bootSeq > this.#info.bootSeq) {
      this.#logger.warn({ topic, boot_seq: m.bootSeq, ours: this.#info.bootSeq }, 'presence: a newer start of this agent id went offline; is the id used twice?');
      return;
    }
    this.#logger.info({ topic, boot_seq: m.bootSeq, ours: this.#info.bootSeq }, 'presence: a stale offline presence was retained; publishing online again');
    void this.#publishOnline('stale will');
  }

  /** Publishes the retained offline presence (before a graceful disconnect). */
  async goodbye(): Promise<void> {
    this.#stopping = true;
    for (const off of this.#offs.splice(0)) off();
    if (this.#refresh) this.#clock.clearTimeout(this.#refresh);
    const conn = this.#conn;
    if (!conn?.connected) return;
    try {
      await conn.publish(this.#topic, this.encode('offline'), { qos: 1, retain: true });
      this.#logger.info({ topic: this.#topic, boot_seq: this.#info.bootSeq }, 'presence: offline published');
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'presence: offline not published; the broker publishes the last will instead');
    }
  }
}
