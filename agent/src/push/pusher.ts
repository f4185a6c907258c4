/**
 * The pusher: sends buffered samples as CBOR batches over MQTT QoS 1 to
 * `<prefix>push/<agent>` and trims the buffer only when the aggregator acks them on
 * `<prefix>ack/<agent>` (wire-format §8).
 *
 * Delivery: oldest first (older boots before the current one), at most one unacked batch in
 * flight. A batch always starts at the oldest unacked sample, so a resend after an ack
 * timeout or a reconnect overlaps what the aggregator may already have; it drops those by
 * seq. Acks for other boots, for seqs we have not sent, or below an earlier ack are ignored.
 * Batches are at most `maxBatchBytes`, and the bytes sent are paced to `rateLimit` bytes/s.
 *
 * ## What gets pushed (`mode`)
 * - `push`: everything, always. Scrapes change nothing.
 * - `pull`: nothing. The buffer keeps its bounded history (as without MQTT).
 * - `auto` (default). A sample is pushed unless a scrape delivered it. Precisely:
 *   1. **Gap.** When /metrics has not been scraped for `pushAfter` (monotonic time; since
 *      start when never scraped), a gap is open: everything buffered is pushed, oldest
 *      first, as it becomes durable.
 *   2. **Resume.** The first scrape after a gap closes it. It served one collection cycle
 *      (scrape-window.ts); every sample of the current boot *before* that cycle is the
 *      gap's backlog: the pusher keeps pushing until it is acked ("catch-up"), even while
 *      scrapes continue. Samples from that cycle on were delivered by scrapes.
 *   3. **Start.** Whatever the buffer holds when the agent starts (the unscraped tail of the
 *      last run, older boots) is backlog too, as is any older boot's data at any time.
 *   3b. **Owed.** Held samples (untrusted clock) that the gate releases, when a held cycle
 *      went unscraped: `owe(seqTo)` makes them backlog like a gap's (scrape-window.ts).
 *   4. **Pulled.** With no gap and no backlog, samples that scrapes delivered are trimmed
 *      from the buffer locally (an `ack` of our own up to the last scraped cycle; at most
 *      every `localTrimIntervalMs`, and on stop), so that the next gap starts with exactly
 *      the samples nobody scraped and history that Prometheus already has is not sent twice.
 *   A scrape counts as delivery whoever made it: an agent scraped by someone else than the
 *   aggregator should run in `push` mode.
 */
import { RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import { decodeMessage, DEFAULT_MAX_WIRE_BYTES, type Topics } from '@edgeprom/shared/wire';
import type { SampleBuffer } from '../buffer/interface.js';
import { silentLogger, type Logger } from '../logger.js';
import type { MqttConnection } from '../mqtt/connection.js';
import type { ScrapeStats } from '../web/scrape-stats.js';
import { BatchSizer, encodeFitting, type EncodedBatch } from './batch.js';
import type { ScrapeWindow } from './scrape-window.js';
import type { FamilyMetadata } from './family-metadata.js';

export type PushMode = 'auto' | 'pull' | 'push';
export const PUSH_MODES: readonly PushMode[] = ['auto', 'pull', 'push'];

export const DEFAULT_ACK_TIMEOUT_MS = 30_000;
export const DEFAULT_LOCAL_TRIM_INTERVAL_MS = 5 * 60_000;
/** How often the pusher looks for new durable samples and gaps when nothing else wakes it. */
export const DEFAULT_TICK_MS = 5_000;

export interface PushSettings {
  mode: PushMode;
  pushAfterMs: number;
  /** Default DEFAULT_MAX_WIRE_BYTES. */
  maxBatchBytes?: number;
  /** Bytes per second; 0 or undefined: no limit. */
  rateLimitBytesPerSec?: number;
}

export interface PusherOptions {
  agentId: string;
  buffer: SampleBuffer;
  conn: MqttConnection;
  topics: Topics;
  scrapeStats: ScrapeStats;
  window: ScrapeWindow;
  /** The collector's `lastCollectionMs` (which cycle a scrape serves). */
  lastCollectionMs: () => number | undefined;
  settings: PushSettings;
  clock?: Clock;
  logger?: Logger;
  ackTimeoutMs?: number;
  localTrimIntervalMs?: number;
  tickMs?: number;
  /** Family metadata to send along with batches (family-metadata.ts); none without it. */
  metadata?: FamilyMetadata;
}

export type BatchResult = 'acked' | 'timeout' | 'disconnected' | 'error';

export interface PushStats {
  mode: PushMode;
  active: boolean;
  connected: boolean;
  batches: Record<BatchResult, number>;
  /** Samples in acked batches (each counted once). */
  samples: number;
  ackedSeq: number;
  ackedBoot: string | undefined;
  backlog: number;
  /** Local trims of scraped samples (auto mode). */
  localTrims: number;
  /** A batch is waiting for its ack. */
  inFlight: boolean;
}

interface InFlight {
  batch: EncodedBatch;
  done: (r: BatchResult) => void;
}

export class Pusher {
  readonly #o: PusherOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #ackTopic: string;
  readonly #pushTopic: string;
  #settings: PushSettings;
  #sizer: BatchSizer;
  readonly #startMono: number;
  #gapOpen = false;
  /** Catch-up target in the current boot: push every sample with seq <= this. */
  #catchUpTo: number | undefined;
  #inflight: InFlight | undefined;
  /** Highest seq sent and highest acked, per boot (acks above what we sent are clamped). */
  readonly #sent = new Map<string, number>();
  readonly #acked = new Map<string, number>();
  #servedLast: number | undefined;
  #lastLocalTrimMono = -Infinity;
  #nextSendMono = 0;
  #wake: (() => void) | undefined;
  #tick: TimerHandle | undefined;
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  readonly #offs: (() => void)[] = [];
  readonly #stats: PushStats;

  constructor(o: PusherOptions) {
    this.#o = o;
    this.#clock = o.clock ?? new RealClock();
    this.#logger = o.logger ?? silentLogger();
    this.#settings = o.settings;
    this.#sizer = new BatchSizer(this.#maxBytes);
    this.#ackTopic = o.topics.ack(o.agentId);
    this.#pushTopic = o.topics.push(o.agentId);
    this.#startMono = this.#clock.monotonic();
    this.#stats = { mode: o.settings.mode, active: false, connected: false, batches: { acked: 0, timeout: 0, disconnected: 0, error: 0 }, samples: 0, ackedSeq: 0, ackedBoot: undefined, backlog: 0, localTrims: 0, inFlight: false };
    // Rule 3: what the buffer holds at start has not been delivered as far as we know.
    const cur = o.buffer.stats().boots.find((b) => b.boot === o.window.boot);
    if (cur && o.window.startHighWater > cur.ackedSeq) this.#catchUpTo = o.window.startHighWater;
  }

  get #maxBytes(): number {
    return this.#settings.maxBatchBytes ?? DEFAULT_MAX_WIRE_BYTES;
  }

  get settings(): PushSettings {
    return this.#settings;
  }

  start(): void {
    if (this.#loop) return;
    const { conn } = this.#o;
    conn.subscribe(this.#ackTopic, 1);
    this.#offs.push(conn.onMessage((topic, payload) => topic === this.#ackTopic && this.#onAck(payload)));
    this.#offs.push(conn.onConnect(() => this.#poke()));
    this.#offs.push(conn.onClose(() => this.#inflight?.done('disconnected')));
    if (this.#o.metadata) this.#offs.push(conn.onConnect(() => this.#o.metadata!.reset()));
    this.#offs.push(this.#o.scrapeStats.onScrape((prev) => this.#onScrape(prev)));
    this.#tick = this.#clock.setInterval(() => this.#poke(), this.#o.tickMs ?? DEFAULT_TICK_MS);
    this.#loop = this.#run().catch((err: unknown) => this.#logger.error({ err: (err as Error).message }, 'pusher stopped on an error'));
  }

  /** Mode, push_after, batch size and rate take effect at once (SIGHUP). */
  applySettings(next: PushSettings): void {
    const prev = this.#settings;
    this.#settings = next;
    if (next.maxBatchBytes !== prev.maxBatchBytes) this.#sizer = new BatchSizer(this.#maxBytes);
    // Leaving push mode: whatever was collected meanwhile was meant to be pushed; finish that.
    if (prev.mode === 'push' && next.mode === 'auto') this.#catchUpTo = Math.max(this.#catchUpTo ?? 0, this.#o.window.highWater);
    this.#stats.mode = next.mode;
    this.#poke();
  }

  /**
   * Samples of the current boot up to `seqTo` are owed: in auto mode they are pushed (and
   * nothing is trimmed locally before they are acked), whatever scrapes did. The agent calls
   * it when the clock gate released held samples that include cycles nobody scraped.
   */
  owe(seqTo: number): void {
    if (this.#catchUpTo !== undefined && this.#catchUpTo >= seqTo) return;
    this.#catchUpTo = seqTo;
    if (this.#settings.mode === 'auto') this.#logger.info({ catch_up_to: seqTo }, 'push: re-based samples include cycles nobody scraped; pushing them');
    this.#poke();
  }

  /** Stops sending; in auto mode with nothing owed, trims what scrapes delivered. */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#tick) this.#clock.clearTimeout(this.#tick);
    for (const off of this.#offs.splice(0)) off();
    this.#inflight?.done('disconnected');
    this.#poke();
    await this.#loop;
    await this.#localTrim(true).catch(() => undefined);
  }

  stats(): PushStats {
    this.#stats.active = this.#active();
    this.#stats.connected = this.#o.conn.connected;
    this.#stats.backlog = this.#backlog();
    this.#stats.inFlight = this.#inflight !== undefined;
    return { ...this.#stats, batches: { ...this.#stats.batches } };
  }

  // ---- deciding ----

  #sinceScrape(): number {
    return this.#o.scrapeStats.sinceLastScrapeMs() ?? this.#clock.monotonic() - this.#startMono;
  }

  #olderBootBacklog(): number {
    let n = 0;
    for (const b of this.#o.buffer.stats().boots) if (b.boot !== this.#o.window.boot) n += b.samples;
    return n;
  }

  #active(): boolean {
    switch (this.#settings.mode) {
      case 'pull':
        return false;
      case 'push':
        return true;
      case 'auto':
        if (!this.#gapOpen && this.#sinceScrape() > this.#settings.pushAfterMs) {
          this.#gapOpen = true;
          // The gap starts right after the last scraped cycle: trim what scrapes delivered
          // since the last periodic local trim, or it would be pushed a second time. (Buffer
          // operations run in order, so the next read already sees this.)
          if (this.#catchUpTo === undefined && this.#servedLast !== undefined) {
            try {
              this.#o.buffer.ack(this.#o.window.boot, this.#servedLast).catch(() => undefined);
            } catch {
              // buffer closed: stopping
            }
          }
        }
        return this.#gapOpen || this.#catchUpTo !== undefined || this.#olderBootBacklog() > 0;
    }
  }

  /** Samples the pusher still owes (approximate for a catch-up: by seq distance). */
  #backlog(): number {
    const s = this.#o.buffer.stats();
    if (this.#settings.mode === 'pull') return 0;
    let n = 0;
    for (const b of s.boots) {
      if (b.boot !== this.#o.window.boot || this.#settings.mode === 'push' || this.#gapOpen) n += b.samples;
      else if (this.#catchUpTo !== undefined) n += Math.min(b.samples, Math.max(0, this.#catchUpTo - b.ackedSeq));
    }
    return n;
  }

  #onScrape(previousSinceMs: number | undefined): void {
    const served = this.#o.window.served(this.#o.lastCollectionMs());
    this.#servedLast = served && served.boot === this.#o.window.boot ? served.last : undefined;
    if (this.#settings.mode !== 'auto') return;
    const since = previousSinceMs ?? this.#clock.monotonic() - this.#startMono;
    if (this.#gapOpen || since > this.#settings.pushAfterMs) {
      // Rule 2: the gap's backlog ends right before the cycle this scrape served.
      const end = served ? served.first - 1 : this.#o.window.highWater;
      this.#catchUpTo = Math.max(this.#catchUpTo ?? 0, end);
      this.#gapOpen = false;
      this.#logger.info({ catch_up_to: this.#catchUpTo }, 'push: scraped again; pushing the samples nobody scraped, then back to pull');
    }
    if (this.#catchUpTo === undefined) void this.#localTrim(false).catch(() => undefined);
  }

  /** Rule 4: trims samples scrapes delivered, when nothing before them is owed. */
  async #localTrim(force: boolean): Promise<void> {
    if (this.#settings.mode !== 'auto' || this.#gapOpen || this.#catchUpTo !== undefined || this.#servedLast === undefined) return;
    const now = this.#clock.monotonic();
    if (!force && now - this.#lastLocalTrimMono < (this.#o.localTrimIntervalMs ?? DEFAULT_LOCAL_TRIM_INTERVAL_MS)) return;
    this.#lastLocalTrimMono = now;
    const n = await this.#o.buffer.ack(this.#o.window.boot, this.#servedLast);
    if (n > 0) this.#stats.localTrims++;
  }

  // ---- sending ----

  #poke(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      // #active() first: it also notices a gap opening while the broker is unreachable.
      if (!this.#active() || !this.#o.conn.connected) {
        await this.#sleep();
        continue;
      }
      const batch = await this.#nextBatch();
      if (signal.aborted) break;
      if (!batch) {
        await this.#sleep();
        continue;
      }
      const wait = this.#nextSendMono - this.#clock.monotonic();
      if (wait > 0) {
        try {
          await this.#clock.sleep(wait, signal);
        } catch {
          break;
        }
        continue; // re-read: acks, scrapes or a reconnect may have changed what to send
      }
      await this.#send(batch);
    }
  }

  /** The next batch, from the oldest unacked sample; undefined when nothing is owed now. */
  async #nextBatch(): Promise<EncodedBatch | undefined> {
    const runs = await this.#o.buffer.readFrom(undefined, this.#sizer.next);
    const run = runs[0];
    if (!run) return undefined;
    let n = run.seqs.length;
    const limited = this.#settings.mode === 'auto' && !this.#gapOpen && run.boot === this.#o.window.boot;
    if (limited) {
      const to = this.#catchUpTo;
      let k = 0;
      if (to !== undefined) while (k < n && run.seqs[k] <= to) k++;
      if (k === 0) {
        if (to !== undefined) this.#logger.info({ seq: to }, 'push: caught up; samples from here on were scraped');
        this.#catchUpTo = undefined;
        void this.#localTrim(true).catch(() => undefined);
        return undefined;
      }
      n = k;
    }
    try {
      const meta = this.#o.metadata?.pending(Math.floor(this.#maxBytes / 4));
      const b = encodeFitting(this.#o.agentId, run, n, this.#maxBytes, meta);
      this.#sizer.learn(b);
      return b;
    } catch (err) {
      // The encoder applies the receiver's rules, so this batch could never be accepted:
      // waiting would block every later sample. Dropped loudly, never silently.
      this.#stats.batches.error++;
      this.#logger.error({ err: (err as Error).message, boot: run.boot, seq_from: run.seqs[0], seq_to: run.seqs[n - 1] }, 'push: cannot encode these samples; dropping them');
      await this.#o.buffer.ack(run.boot, run.seqs[n - 1]);
      return undefined;
    }
  }

  async #send(batch: EncodedBatch): Promise<void> {
    const result = new Promise<BatchResult>((resolve) => {
      this.#inflight = { batch, done: resolve };
    });
    const timer = this.#clock.setTimeout(() => this.#inflight?.done('timeout'), this.#o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS);
    this.#sent.set(batch.boot, Math.max(this.#sent.get(batch.boot) ?? 0, batch.seqTo));
    const rate = this.#settings.rateLimitBytesPerSec ?? 0;
    if (rate > 0) this.#nextSendMono = this.#clock.monotonic() + (batch.bytes.length / rate) * 1000;
    this.#o.conn.publish(this.#pushTopic, batch.bytes, { qos: 1 }).catch((err: unknown) => {
      this.#logger.debug({ err: (err as Error).message }, 'push: publish not acknowledged by the broker');
      // Lost before it left (the connection dropped between the check and the send): no
      // close event will come for it, so do not wait for the ack timeout.
      if (!this.#o.conn.connected && this.#inflight?.batch === batch) this.#inflight.done('disconnected');
    });
    const r = await result;
    this.#clock.clearTimeout(timer);
    this.#inflight = undefined;
    this.#stats.batches[r]++;
    if (r === 'acked') {
      this.#stats.samples += batch.samples;
      if (batch.meta) this.#o.metadata?.delivered(batch.meta);
    } else if (r === 'timeout' && batch.meta) {
      // The aggregator may refuse our metadata (its wire limits are lower, or it is older
      // and stricter): never let metadata hold samples back. The resend goes without it.
      this.#o.metadata?.delivered(batch.meta);
      this.#logger.warn({ families: batch.meta.length }, 'push: batch with family metadata not acked; resending without it');
    }
    else this.#logger.info({ result: r, boot: batch.boot, seq_from: batch.seqFrom, seq_to: batch.seqTo }, 'push: batch not acked; resending from the oldest unacked sample');
  }

  #onAck(payload: Uint8Array): void {
    let m;
    try {
      m = decodeMessage(payload);
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'push: ignoring an undecodable ack');
      return;
    }
    if (m.type !== 'ack' || m.agent !== this.#o.agentId) return;
    const sent = this.#sent.get(m.boot);
    if (sent === undefined) return; // another boot, or a previous run's ack: nothing of ours
    const to = Math.min(m.seqTo, sent);
    if (to <= (this.#acked.get(m.boot) ?? 0)) return; // stale (a redelivered earlier ack)
    this.#acked.set(m.boot, to);
    const inflight = this.#inflight;
    this.#o.buffer.ack(m.boot, to).then(
      () => {
        this.#stats.ackedSeq = to;
        this.#stats.ackedBoot = m.boot;
        if (inflight && inflight.batch.boot === m.boot && to >= inflight.batch.seqTo) inflight.done('acked');
      },
      (err: unknown) => this.#logger.error({ err: (err as Error).message }, 'push: trimming the buffer on ack failed'),
    );
  }
}
