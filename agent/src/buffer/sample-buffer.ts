/**
 * The buffer's policy, over any BufferStore: seq assignment, batched flushes, reads, acks
 * and the bounds. LevelSampleBuffer and MemorySampleBuffer only choose the store. Every
 * operation that touches the store runs in one queue, so a flush, a drop round, a read and
 * an ack never interleave; append() is synchronous and only fills the pending columns.
 */
import { RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_BOOT_ID_PATH } from './boot-id.js';
import { ChunkIndex, type ChunkMeta } from './chunk-index.js';
import { bootKey, chunkKey, decodeChunk, decodeHeld, encodeBoot, encodeChunk, encodeHeld, heldKey, seriesKey, type BootRecord, type ChunkColumns } from './codec.js';
import { copyValue, emptyColumns, gather, liveSummary } from './columns.js';
import { BufferError } from './errors.js';
import type { BufferPosition, BufferStats, BufferedRun, DropReason, HeldDropReason, HeldRelease, SampleBuffer } from './interface.js';
import { loadBuffer } from './load.js';
import { bufferFamilies } from './metrics.js';
import { Pending } from './pending.js';
import { LOW_WATER_RATIO, MAX_WINDOW_BYTES, WINDOW_FACTOR, chooseVictims } from './policy.js';
import { SeriesDictionary } from './series-dictionary.js';
import { opBytes, type BufferStore, type StoreOp } from './store.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 5_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface SampleBufferOptions {
  clock?: Clock;
  logger?: Logger;
  /** Default 5 s: how long samples wait in memory before one batched write. */
  flushIntervalMs?: number;
  /** Default 64 MiB. */
  maxBytes?: number;
  /** Default 7 days. */
  maxAgeMs?: number;
  /** Default /proc/sys/kernel/random/boot_id. */
  bootIdPath?: string;
  /** Samples kept in memory while flushes fail before the oldest are dropped. Default 100 000. */
  maxPendingSamples?: number;
  /** Largest chunk (one store entry). Default 4096 samples. */
  maxChunkSamples?: number;
  /**
   * Samples stamped before this are never dropped for age: a board without RTC boots in
   * 1970, and its samples must not look 56 years old once NTP sets the clock. Default 2020-01-01.
   */
  minPlausibleTimestampMs?: number;
}

/** A stored held chunk (samples collected while the clock was untrusted), in hold order. */
export interface HeldMeta {
  holdSeq: number;
  n: number;
  bytes: number;
  /** The clock domain its monotonic timestamps belong to. */
  domain: string;
}

const EMPTY: ChunkColumns = emptyColumns(0);

/** Held chunks re-based per atomic write when the clock becomes trusted. */
const RELEASE_BATCH_BYTES = 1 << 20;

export interface BootState extends BootRecord {
  /** Stored size of the boot record. */
  bytes: number;
}

export class StoredSampleBuffer implements SampleBuffer {
  readonly #store: BufferStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #bootIdPath: string;
  readonly #maxPending: number;
  readonly #maxChunk: number;
  readonly #minPlausibleT: number;

  #state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<Clock['setInterval']> | undefined;

  #boots: BootState[] = [];
  #current: BootState | undefined;
  #nextSeq = 1;
  readonly #pending = new Pending();
  readonly #series = new SeriesDictionary();
  readonly #chunks = new ChunkIndex();
  /** Held samples: pending ones (seqs column = hold seqs, timestamps = monotonic ms) and stored chunks. */
  readonly #heldPending = new Pending();
  #heldDomain = '';
  #held: HeldMeta[] = [];
  #heldBytes = 0;
  #nextHoldSeq = 1;
  #heldReleased = 0;
  /** Held samples taken by a flush whose write has not resolved (still counted as held). */
  #heldFlushing = 0;
  #heldFlushingDomain = '';
  readonly #heldDropped: Record<HeldDropReason, number> = { reboot: 0, size: 0, corrupt: 0 };
  /** > 0 while releaseHeld runs: appends and holds wait in #deferred so released samples get the earlier seqs. */
  #releasing = 0;
  #deferred: (() => void)[] = [];

  #bytesWritten = 0;
  #appended = 0;
  #flushes = 0;
  #flushErrors = 0;
  #lastFlushError: string | undefined;
  readonly #dropped: Record<DropReason, number> = { size: 0, age: 0, corrupt: 0, write_error: 0 };

  constructor(store: BufferStore, opts: SampleBufferOptions = {}) {
    this.#store = store;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#bootIdPath = opts.bootIdPath ?? DEFAULT_BOOT_ID_PATH;
    this.#maxPending = opts.maxPendingSamples ?? 100_000;
    this.#maxChunk = opts.maxChunkSamples ?? 4096;
    this.#minPlausibleT = opts.minPlausibleTimestampMs ?? Date.UTC(2020, 0, 1);
    for (const [what, v] of [['flushIntervalMs', this.#flushIntervalMs], ['maxBytes', this.#maxBytes], ['maxAgeMs', this.#maxAgeMs], ['maxPendingSamples', this.#maxPending], ['maxChunkSamples', this.#maxChunk]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new BufferError('ERR_INVALID_ARGUMENT', `buffer ${what} must be a positive number, got ${v}`);
    }
  }

  // ---- lifecycle ----

  async open(): Promise<void> {
    if (this.#state !== 'new') throw new BufferError('ERR_INVALID_ARGUMENT', `buffer open() called twice (state ${this.#state})`);
    this.#state = 'opening';
    try {
      await this.#store.open();
      const loaded = await loadBuffer({ store: this.#store, logger: this.#logger, bootIdPath: this.#bootIdPath, series: this.#series, chunks: this.#chunks });
      this.#boots = loaded.boots;
      this.#held = loaded.held;
      this.#heldBytes = loaded.held.reduce((n, h) => n + h.bytes, 0);
      this.#nextHoldSeq = loaded.nextHoldSeq;
      this.#heldDropped.corrupt += loaded.corruptHeldSamples;
      this.#current = loaded.current;
      this.#dropped.corrupt += loaded.corruptSamples;
      this.#nextSeq = loaded.current.lastSeq + 1;
      await this.#write(loaded.ops);
      await this.#enforceBounds();
    } catch (err) {
      this.#state = 'closed';
      await this.#store.close().catch(() => undefined);
      throw err;
    }
    this.#state = 'open';
    this.#logger.info(
      { path: this.#store.location, boot: this.#current.id, next_seq: this.#nextSeq, samples: this.#chunks.liveSamples(), held_samples: this.#heldSamples(), size_bytes: this.#sizeBytes(), series: this.#series.size },
      'buffer opened',
    );
    this.#timer = this.#clock.setInterval(() => {
      this.flush().catch(() => undefined); // logged in #flushNow
    }, this.#flushIntervalMs);
  }

  async close(): Promise<void> {
    if (this.#state !== 'open') {
      this.#state = 'closed';
      return;
    }
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    let flushErr: unknown;
    await this.flush().catch((err: unknown) => (flushErr = err));
    this.#state = 'closed';
    await this.#queue.catch(() => undefined);
    await this.#store.close();
    if (flushErr) throw flushErr;
  }

  #check(): BootState {
    if (this.#state === 'open') return this.#current!;
    throw this.#state === 'closed'
      ? new BufferError('ERR_BUFFER_CLOSED', 'buffer is closed')
      : new BufferError('ERR_BUFFER_NOT_OPEN', 'buffer is not open yet');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // ---- append and flush ----

  append(families: readonly MetricFamily[], timestampMs: number): void {
    const current = this.#check();
    if (this.#releasing > 0) {
      this.#deferred.push(() => this.append(families, timestampMs));
      return;
    }
    for (const f of families) {
      for (const s of f.samples) {
        this.#pending.push(this.#nextSeq++, this.#series.acquire(s.labels), Math.trunc(s.timestampMs ?? timestampMs), s.value);
        this.#appended++;
      }
    }
    if (this.#pending.n > this.#maxPending) {
      // Flushes keep failing (a full or dead SD card): memory is the next thing to run out.
      const n = this.#dropPendingOldest(this.#pending, this.#pending.n - Math.floor(this.#maxPending * 0.9));
      this.#countDrop('write_error', current, n);
      this.#logger.error({ dropped: n }, 'buffer: flushes keep failing; dropped the oldest unflushed samples');
    }
  }

  hold(families: readonly MetricFamily[], timestampMs: number, monotonicMs: number, domain: string): void {
    this.#check();
    if (this.#releasing > 0) {
      this.#deferred.push(() => this.hold(families, timestampMs, monotonicMs, domain));
      return;
    }
    if (this.#heldPending.n > 0 && domain !== this.#heldDomain) {
      throw new BufferError('ERR_INVALID_ARGUMENT', `hold: clock domain changed from ${this.#heldDomain} to ${domain} with samples pending`);
    }
    this.#heldDomain = domain;
    const mono = Math.trunc(monotonicMs);
    for (const f of families) {
      for (const s of f.samples) {
        // A sample's own timestamp keeps its distance from the collection's (same bad clock).
        const t = s.timestampMs === undefined ? mono : mono + Math.trunc(s.timestampMs - timestampMs);
        this.#heldPending.push(this.#nextHoldSeq++, this.#series.acquire(s.labels), t, s.value);
      }
    }
    if (this.#heldPending.n > this.#maxPending) {
      const n = this.#dropPendingOldest(this.#heldPending, this.#heldPending.n - Math.floor(this.#maxPending * 0.9));
      this.#heldDropped.size += n;
      this.#logger.error({ dropped: n }, 'buffer: flushes keep failing; dropped the oldest unflushed held samples');
    }
  }

  /** Drops the oldest k samples of a pending set, releasing their series. */
  #dropPendingOldest(p: Pending, k: number): number {
    k = Math.min(k, p.n);
    for (let i = 0; i < k; i++) this.#series.release(p.series[i]);
    return p.dropOldest(k);
  }

  releaseHeld(domain: string, offsetMs: number): HeldRelease {
    this.#check();
    if (!Number.isFinite(offsetMs)) throw new BufferError('ERR_INVALID_ARGUMENT', `releaseHeld: offsetMs must be finite, got ${offsetMs}`);
    // The held samples of `domain` known now get the next seqs, reserved at once; appends
    // and holds wait until the release is done (so the chunk index stays in seq order).
    let seqs = this.#heldDomain === domain ? this.#heldPending.n : 0;
    if (this.#heldFlushingDomain === domain) seqs += this.#heldFlushing;
    for (const h of this.#held) if (h.domain === domain) seqs += h.n;
    const first = this.#nextSeq;
    this.#nextSeq += seqs;
    this.#releasing++;
    const run = this.#serial(() => this.#releaseNow(domain, Math.trunc(offsetMs), first, seqs));
    const done = () => {
      if (--this.#releasing > 0 || this.#state !== 'open') return;
      const deferred = this.#deferred;
      this.#deferred = [];
      for (const fn of deferred) fn();
    };
    run.then(done, done);
    return { seqs, done: run };
  }

  async #releaseNow(domain: string, offsetMs: number, first: number, reserved: number): Promise<{ released: number; dropped: number }> {
    // Pending samples (appended before this call) take their seqs first; pending held
    // samples become a stored held chunk, so everything below reads from the store.
    await this.#flushNow();
    const cur = this.#current!;
    const all = this.#held;
    const done = new Set<HeldMeta>();
    let released = 0;
    let dropped = 0;
    let next = first;
    try {
      // Batches of up to RELEASE_BATCH_BYTES of held chunks, each one atomic write (put the
      // re-based chunks, delete the held ones, boot record): few fsyncs, few chunks.
      for (let i = 0; i < all.length; ) {
        const batch: HeldMeta[] = [];
        for (let bytes = 0; i < all.length && (batch.length === 0 || bytes + all[i].bytes <= RELEASE_BATCH_BYTES); i++) {
          batch.push(all[i]);
          bytes += all[i].bytes;
        }
        const ops: StoreOp[] = [];
        const keep: ChunkColumns[] = [];
        const gone: Record<'reboot' | 'corrupt', number> = { reboot: 0, corrupt: 0 };
        for (const meta of batch) {
          const key = heldKey(meta.holdSeq);
          ops.push({ type: 'del', key });
          try {
            const value = await this.#store.get(key);
            if (!value) throw new BufferError('ERR_BUFFER_CORRUPT', 'held chunk is missing from the store');
            const d = decodeHeld(meta.holdSeq, value);
            if (d.domain === domain) {
              keep.push(d.cols);
            } else {
              this.#releaseSeries(d.cols);
              gone.reboot += d.cols.n;
            }
          } catch (err) {
            this.#logger.error({ path: this.#store.location, hold_seq: meta.holdSeq, err: (err as Error).message }, 'held buffer chunk does not decode; dropping it');
            gone.corrupt += meta.n;
          }
        }
        const cols = keep.length === 1 ? keep[0] : gather(keep, () => true);
        const prevLast = cur.lastSeq;
        if (next + cols.n > first + reserved) throw new BufferError('ERR_INVALID_ARGUMENT', `releaseHeld: ${next + cols.n - first} samples held, ${reserved} seqs reserved`);
        for (let k = 0; k < cols.n; k++) {
          cols.seqs[k] = next++;
          cols.timestamps[k] += offsetMs;
        }
        if (cols.n > 0) cur.lastSeq = cols.seqs[cols.n - 1];
        const metas = this.#chunkOps(cur.ord, cols, ops);
        ops.push(this.#bootOp(cur));
        try {
          await this.#write(ops);
        } catch (err) {
          // The reserved seqs not written stay unused (a gap); what is still held is
          // released, with new seqs, by a later call.
          cur.lastSeq = prevLast;
          throw err;
        }
        for (const m of batch) {
          done.add(m);
          this.#heldBytes -= m.bytes;
        }
        for (const m of metas) this.#chunks.push(m);
        released += cols.n;
        this.#heldReleased += cols.n;
        dropped += gone.reboot + gone.corrupt;
        this.#heldDropped.reboot += gone.reboot;
        this.#heldDropped.corrupt += gone.corrupt;
      }
    } finally {
      this.#held = all.filter((h) => !done.has(h));
    }
    if (dropped > 0) this.#logger.warn({ dropped, domain }, 'buffer: dropped held samples from another boot; their monotonic times cannot be re-based');
    if (released > 0) this.#logger.info({ released, offset_ms: offsetMs }, 'buffer: re-based held samples and moved them to the buffer');
    await this.#enforceBounds();
    return { released, dropped };
  }

  flush(): Promise<void> {
    this.#check();
    return this.#serial(() => this.#flushNow());
  }

  async #flushNow(): Promise<void> {
    const cur = this.#current!;
    const cols = this.#pending.take();
    const held = this.#heldPending.n > 0 ? this.#heldPending.take() : EMPTY;
    const heldDomain = this.#heldDomain;
    const newSeries = this.#series.takeUnsaved();
    const removed = this.#series.takeRemoved();
    const ops: StoreOp[] = [];
    for (const id of newSeries) {
      const value = this.#series.encodedFor(id);
      if (value) ops.push({ type: 'put', key: seriesKey(id), value });
    }
    for (const id of removed) ops.push({ type: 'del', key: seriesKey(id) });
    const metas = this.#chunkOps(cur.ord, cols, ops);
    const heldMetas = this.#heldOps(heldDomain, held, ops);
    const prevLast = cur.lastSeq;
    if (cols.n > 0) cur.lastSeq = cols.seqs[cols.n - 1];
    if (ops.length === 0) return;
    ops.push(this.#bootOp(cur));
    this.#heldFlushing = held.n;
    this.#heldFlushingDomain = heldDomain;
    try {
      await this.#write(ops);
    } catch (err) {
      this.#heldFlushing = 0;
      cur.lastSeq = prevLast;
      this.#pending.restore(cols);
      if (held.n > 0) this.#heldPending.restore(held);
      this.#series.restoreUnsaved(newSeries);
      this.#series.restoreRemoved(removed);
      this.#flushErrors++;
      const msg = (err as Error).message;
      if (msg !== this.#lastFlushError) this.#logger.error({ path: this.#store.location, err: msg, pending: this.#pending.n }, 'buffer flush failed; keeping the samples in memory and retrying');
      this.#lastFlushError = msg;
      throw err;
    }
    if (this.#lastFlushError !== undefined) this.#logger.info({ path: this.#store.location }, 'buffer flush works again');
    this.#lastFlushError = undefined;
    this.#flushes++;
    this.#heldFlushing = 0;
    for (const m of metas) this.#chunks.push(m);
    for (const m of heldMetas) {
      this.#held.push(m);
      this.#heldBytes += m.bytes;
    }
    await this.#enforceBounds();
  }

  /** Puts held samples as held chunks of at most maxChunk samples. */
  #heldOps(domain: string, cols: ChunkColumns, ops: StoreOp[]): HeldMeta[] {
    const metas: HeldMeta[] = [];
    for (let from = 0; from < cols.n; from += this.#maxChunk) {
      const to = Math.min(cols.n, from + this.#maxChunk);
      const key = heldKey(cols.seqs[from]);
      const value = encodeHeld(domain, cols.seqs[from], cols, from, to);
      ops.push({ type: 'put', key, value });
      metas.push({ holdSeq: cols.seqs[from], n: to - from, bytes: key.length + value.length, domain });
    }
    return metas;
  }

  /** Puts `cols` (samples of boot `ord`, seq order) as chunks of at most maxChunk samples. */
  #chunkOps(ord: number, cols: ChunkColumns, ops: StoreOp[]): ChunkMeta[] {
    const metas: ChunkMeta[] = [];
    for (let from = 0; from < cols.n; from += this.#maxChunk) {
      const to = Math.min(cols.n, from + this.#maxChunk);
      const key = chunkKey(ord, cols.seqs[from]);
      const value = encodeChunk(cols.seqs[from], cols, from, to);
      ops.push({ type: 'put', key, value });
      let minT = Infinity;
      let maxT = -Infinity;
      for (let i = from; i < to; i++) {
        minT = Math.min(minT, cols.timestamps[i]);
        maxT = Math.max(maxT, cols.timestamps[i]);
      }
      metas.push({ ord, keySeq: cols.seqs[from], lastSeq: cols.seqs[to - 1], n: to - from, bytes: key.length + value.length, minT, maxT });
    }
    return metas;
  }

  #bootOp(b: BootState): StoreOp {
    const key = bootKey(b.ord);
    const value = encodeBoot(b);
    b.bytes = key.length + value.length;
    return { type: 'put', key, value };
  }

  async #write(ops: StoreOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.#store.write(ops);
    this.#bytesWritten += opBytes(ops);
  }

  #countDrop(reason: DropReason, boot: BootState, n: number): void {
    if (n <= 0) return;
    this.#dropped[reason] += n;
    boot.dropped += n;
  }

  // ---- bounds ----

  async #enforceBounds(): Promise<void> {
    await this.#dropByAge();
    if (this.#sizeBytes() <= this.#maxBytes) return;
    const target = Math.floor(this.#maxBytes * LOW_WATER_RATIO);
    // Bounded, in case the dictionary alone outgrows maxBytes (then only a restart's cleanup helps).
    for (let round = 0; round < 10_000 && this.#sizeBytes() > target && this.#chunks.length > 0; round++) {
      await this.#dropBySize(Math.min(this.#sizeBytes() - target, MAX_WINDOW_BYTES / WINDOW_FACTOR));
    }
    // Held samples go last: they are the only record of an untrusted-clock period.
    if (this.#sizeBytes() > target && this.#held.length > 0) await this.#dropHeld(this.#sizeBytes() - target);
  }

  /** Drops the oldest held chunks until `need` bytes are freed. */
  async #dropHeld(need: number): Promise<void> {
    const ops: StoreOp[] = [];
    const gone = new Set<HeldMeta>();
    let freed = 0;
    let n = 0;
    for (const meta of this.#held) {
      if (freed >= need) break;
      const key = heldKey(meta.holdSeq);
      try {
        const value = await this.#store.get(key);
        if (value) {
          const { cols } = decodeHeld(meta.holdSeq, value);
          for (let i = 0; i < cols.n; i++) this.#series.release(cols.series[i]);
        }
      } catch {
        // undecodable: its series references stay until the next open recounts them
      }
      ops.push({ type: 'del', key });
      gone.add(meta);
      freed += meta.bytes;
      n += meta.n;
    }
    await this.#write(ops);
    this.#held = this.#held.filter((h) => !gone.has(h));
    this.#heldBytes -= freed;
    this.#heldDropped.size += n;
    this.#logger.warn({ dropped: n, size_bytes: this.#sizeBytes(), max_bytes: this.#maxBytes }, 'buffer full: dropped the oldest samples held while the clock was untrusted');
  }

  /** Releases the series of every sample in `cols` (they left the buffer). */
  #releaseSeries(cols: ChunkColumns, keep?: (i: number) => boolean): void {
    for (let i = 0; i < cols.n; i++) if (!keep?.(i)) this.#series.release(cols.series[i]);
  }

  /** Whole chunks whose newest sample is older than maxAge (a chunk spans one flush interval). */
  async #dropByAge(): Promise<void> {
    const cutoff = this.#clock.now() - this.#maxAgeMs;
    const old = this.#chunks.list.filter((c) => c.maxT < cutoff && c.maxT >= this.#minPlausibleT);
    if (old.length === 0) return;
    const ops: StoreOp[] = [];
    const touched = new Set<BootState>();
    for (const c of old) {
      const key = chunkKey(c.ord, c.keySeq);
      // Decoded only to release its series; one that does not decode is counted as corrupt.
      const cols = await this.#readChunk(c, key, ops);
      if (!cols) continue;
      this.#releaseSeries(cols);
      ops.push({ type: 'del', key });
      const boot = this.#bootByOrd(c.ord);
      this.#countDrop('age', boot, c.n);
      touched.add(boot);
    }
    this.#chunks.replace(new Set(old));
    await this.#write(ops.concat([...touched].map((b) => this.#bootOp(b))));
  }

  /**
   * One drop round (policy.ts): decode the oldest window, choose victims family-fairly, and
   * write each boot's survivors back packed into as few chunks as possible, so survivors of
   * many rounds do not each pay a chunk's overhead.
   */
  async #dropBySize(need: number): Promise<void> {
    const window: ChunkMeta[] = [];
    let windowBytes = 0;
    for (const meta of this.#chunks.list) {
      if (windowBytes >= need * WINDOW_FACTOR) break;
      window.push(meta);
      windowBytes += meta.bytes;
    }
    const dels: StoreOp[] = [];
    const parts: { meta: ChunkMeta; cols: ChunkColumns }[] = [];
    for (const meta of window) {
      const key = chunkKey(meta.ord, meta.keySeq);
      dels.push({ type: 'del', key });
      const cols = await this.#readChunk(meta, key, dels);
      if (cols) parts.push({ meta, cols });
    }
    const total = parts.reduce((n, p) => n + p.cols.n, 0);
    const groups = new Uint32Array(total);
    let g = 0;
    for (const p of parts) for (let i = 0; i < p.cols.n; i++) groups[g++] = this.#series.group(p.cols.series[i]);
    const k = total === 0 ? 0 : Math.min(total, Math.ceil(need / (windowBytes / total)));
    const mask = chooseVictims(groups, k);
    g = 0;
    for (const p of parts) for (let i = 0; i < p.cols.n; i++, g++) if (mask[g]) this.#series.release(p.cols.series[i]);

    const puts: StoreOp[] = [];
    const fresh: ChunkMeta[] = [];
    const touched = new Set<BootState>();
    let offset = 0;
    for (let i = 0; i < parts.length; ) {
      const ord = parts[i].meta.ord;
      const same: ChunkColumns[] = [];
      const starts: number[] = [];
      for (; i < parts.length && parts[i].meta.ord === ord; i++) {
        starts.push(offset);
        same.push(parts[i].cols);
        offset += parts[i].cols.n;
      }
      const survivors = gather(same, (p, j) => !mask[starts[p] + j]);
      const boot = this.#bootByOrd(ord);
      this.#countDrop('size', boot, same.reduce((n, c) => n + c.n, 0) - survivors.n);
      touched.add(boot);
      fresh.push(...this.#chunkOps(ord, survivors, puts));
    }
    this.#chunks.replace(new Set(window), fresh);
    await this.#write([...dels, ...puts, ...[...touched].map((b) => this.#bootOp(b))]);
    this.#logger.warn({ dropped: k, size_bytes: this.#sizeBytes(), max_bytes: this.#maxBytes }, 'buffer full: dropped the oldest samples, largest families first');
  }

  /** A chunk's live samples; one that no longer decodes is deleted and counted. */
  async #readChunk(meta: ChunkMeta, key: Uint8Array, ops: StoreOp[]): Promise<ChunkColumns | undefined> {
    const boot = this.#bootByOrd(meta.ord);
    try {
      const value = await this.#store.get(key);
      if (!value) throw new BufferError('ERR_BUFFER_CORRUPT', 'chunk is missing from the store');
      const cols = decodeChunk(meta.keySeq, value);
      return liveSummary(cols, boot.ackedSeq).n === cols.n ? cols : gather([cols], (_, i) => cols.seqs[i] > boot.ackedSeq);
    } catch (err) {
      this.#logger.error({ path: this.#store.location, boot: boot.id, seq: meta.keySeq, err: (err as Error).message }, 'buffer chunk does not decode; dropping it');
      this.#countDrop('corrupt', boot, meta.n);
      ops.push({ type: 'del', key }, this.#bootOp(boot));
      return undefined;
    }
  }

  #bootByOrd(ord: number): BootState {
    const b = this.#boots.find((x) => x.ord === ord);
    if (!b) throw new BufferError('ERR_BUFFER_CORRUPT', `no boot record ${ord}`);
    return b;
  }

  // ---- reading and acks ----

  readFrom(after: BufferPosition | undefined, maxSamples: number): Promise<BufferedRun[]> {
    this.#check();
    if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new BufferError('ERR_INVALID_ARGUMENT', `readFrom: maxSamples must be a positive integer, got ${maxSamples}`);
    return this.#serial(async () => {
      const start = after ? this.#boots.find((b) => b.id === after.boot) : undefined;
      const startOrd = start?.ord ?? 0;
      const startSeq = start ? after!.seq : 0;
      const runs: BufferedRun[] = [];
      const ops: StoreOp[] = [];
      const gone = new Set<ChunkMeta>();
      let left = maxSamples;
      let parts: { cols: ChunkColumns; i: number }[] = [];
      let runBoot: BootState | undefined;
      const finish = () => {
        if (!runBoot || parts.length === 0) return;
        const n = parts.length;
        const out: BufferedRun = { boot: runBoot.id, seqs: new Float64Array(n), timestamps: new Float64Array(n), values: new Float64Array(n), labels: [], dropped: runBoot.dropped };
        parts.forEach((p, j) => {
          out.seqs[j] = p.cols.seqs[p.i];
          out.timestamps[j] = p.cols.timestamps[p.i];
          copyValue(p.cols.values, p.i, out.values, j);
          out.labels.push(this.#series.labels(p.cols.series[p.i])!);
        });
        runs.push(out);
        parts = [];
      };
      for (const meta of this.#chunks.list) {
        if (left === 0) break;
        if (meta.ord < startOrd || (meta.ord === startOrd && meta.lastSeq <= startSeq)) continue;
        const cols = await this.#readChunk(meta, chunkKey(meta.ord, meta.keySeq), ops);
        if (!cols) {
          gone.add(meta);
          continue;
        }
        const boot = this.#bootByOrd(meta.ord);
        if (runBoot !== boot) {
          finish();
          runBoot = boot;
        }
        for (let i = 0; i < cols.n && left > 0; i++) {
          if (meta.ord === startOrd && cols.seqs[i] <= startSeq) continue;
          if (!this.#series.labels(cols.series[i])) continue; // dictionary entry lost: cannot label it
          parts.push({ cols, i });
          left--;
        }
      }
      finish();
      this.#chunks.replace(gone);
      await this.#write(ops);
      return runs;
    });
  }

  ack(boot: string, seqTo: number): Promise<number> {
    this.#check();
    if (!Number.isSafeInteger(seqTo) || seqTo < 0) throw new BufferError('ERR_INVALID_ARGUMENT', `ack: seqTo must be a non-negative integer, got ${seqTo}`);
    return this.#serial(async () => {
      const b = this.#boots.find((x) => x.id === boot);
      if (!b) return 0;
      const to = Math.min(seqTo, b.lastSeq);
      if (to <= b.ackedSeq) return 0;
      const ops: StoreOp[] = [];
      const gone = new Set<ChunkMeta>();
      let trimmed = 0;
      for (const meta of this.#chunks.list) {
        if (meta.ord !== b.ord || meta.keySeq > to) continue;
        // Decoded to release the series of the acked samples (the dictionary forgets series
        // nothing refers to any more).
        const cols = await this.#readChunk(meta, chunkKey(meta.ord, meta.keySeq), ops);
        if (!cols) {
          gone.add(meta);
          continue;
        }
        this.#releaseSeries(cols, (i) => cols.seqs[i] > to);
        if (meta.lastSeq <= to) {
          ops.push({ type: 'del', key: chunkKey(meta.ord, meta.keySeq) });
          gone.add(meta);
          trimmed += meta.n;
          continue;
        }
        // Partly acked: the chunk stays as written (an ack costs no rewrite); its live count shrinks.
        const live = liveSummary(cols, to);
        trimmed += meta.n - live.n;
        Object.assign(meta, { n: live.n, minT: live.minT, maxT: live.maxT });
      }
      this.#chunks.replace(gone);
      b.ackedSeq = to;
      if (b !== this.#current && !this.#chunks.hasBoot(b.ord)) {
        ops.push({ type: 'del', key: bootKey(b.ord) });
        this.#boots = this.#boots.filter((x) => x !== b);
      } else {
        ops.push(this.#bootOp(b));
      }
      await this.#write(ops);
      return trimmed;
    });
  }

  // ---- numbers ----

  #heldSamples(): number {
    let n = this.#heldPending.n + this.#heldFlushing;
    for (const h of this.#held) n += h.n;
    return n;
  }

  #sizeBytes(): number {
    let n = this.#chunks.bytes + this.#series.bytes + this.#heldBytes;
    for (const b of this.#boots) n += b.bytes;
    return n;
  }

  stats(): BufferStats {
    const perBoot = new Map<number, number>();
    let oldest = Infinity;
    for (const c of this.#chunks.list) {
      perBoot.set(c.ord, (perBoot.get(c.ord) ?? 0) + c.n);
      if (c.n > 0 && c.minT < oldest) oldest = c.minT;
    }
    return {
      boot: this.#current?.id ?? '',
      bootOrdinal: this.#current?.ord ?? 0,
      samples: this.#chunks.liveSamples(),
      pendingSamples: this.#pending.n,
      sizeBytes: this.#sizeBytes(),
      oldestTimestampMs: oldest === Infinity ? undefined : oldest,
      bytesWritten: this.#bytesWritten,
      appended: this.#appended,
      flushes: this.#flushes,
      flushErrors: this.#flushErrors,
      dropped: { ...this.#dropped },
      series: this.#series.size,
      boots: this.#boots.map((b) => ({ boot: b.id, ordinal: b.ord, lastSeq: b.lastSeq, ackedSeq: b.ackedSeq, dropped: b.dropped, samples: perBoot.get(b.ord) ?? 0 })),
      held: {
        samples: this.#heldSamples(),
        pendingSamples: this.#heldPending.n,
        sizeBytes: this.#heldBytes,
        released: this.#heldReleased,
        dropped: { ...this.#heldDropped },
      },
    };
  }

  metrics(): MetricFamily[] {
    return bufferFamilies(this.stats());
  }
}
