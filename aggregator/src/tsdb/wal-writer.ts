/**
 * The WAL writer: appends each commit's records to the current segment and tells the
 * commit when they are durable, per the fsync policy.
 *
 * Encoding is synchronous and happens inside commit (so records are in commit order);
 * I/O is one loop that takes everything encoded so far, writes it, syncs it if the policy
 * says so, and resolves the commits that were in that batch. Commits arriving while a write
 * or fsync is in flight pile up in the next batch: under load, many commits share one
 * fsync (group commit) without any timer or added latency when idle.
 *
 * Segments are never appended to after a restart (the writer always starts a new one) and
 * never preallocated, so a crash can only leave a short last frame (see wal-reader.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Clock, Labels, TimerHandle } from '@edgeprom/shared';
import { tsdbClosed, walWriteFailed } from './tsdb-errors.js';
import { segmentName, syncDir } from './wal-files.js';
import { ByteSink, encodeSeries, lastFrameStart, markCommit, RecordType, SamplesEncoder } from './wal-record.js';

/** The part of pino's Logger the TSDB uses; pino loggers satisfy it. */
export interface TsdbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: TsdbLogger = { info() {}, warn() {}, error() {} };

/**
 * When commit() resolves:
 *  - always: after the records are written and fdatasync'ed (group commit under load);
 *  - interval: after the write(); a timer syncs every fsyncIntervalMs, so a power loss
 *    loses at most that much acknowledged data (a process crash loses nothing written);
 *  - never: after the write(); the OS syncs when it likes.
 */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface WalWriterOptions {
  /** The `wal` directory. */
  dir: string;
  /** Index of the segment to start with (one past the last existing one). */
  firstSegment: number;
  /** Segment size before a new one is started. Default 128 MiB. */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  /** For fsync: 'interval'. Default 1000. */
  fsyncIntervalMs?: number;
  clock: Clock;
}

/** Self metrics, as plain counters until the aggregator's registry exists. */
export interface WalMetrics {
  fsyncs: number;
  /** Sum of fsync durations (ms, Clock.monotonic); the count is `fsyncs`. */
  fsyncMsSum: number;
  /** Largest single fsync, ms. */
  fsyncMsMax: number;
  /** Write batches (each one write() per segment touched). */
  writes: number;
  bytesWritten: number;
  records: number;
  seriesRecords: number;
  samplesLogged: number;
  /** Out-of-order samples logged (in ooo samples records; not in samplesLogged). */
  oooSamplesLogged: number;
  commits: number;
  segmentsCreated: number;
  /** Torn or corrupt frames found at replay (and cut off). */
  corruptions: number;
  writeErrors: number;
}

export const DEFAULT_SEGMENT_BYTES = 128 * 2 ** 20;

export class WalWriter {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly policy: FsyncPolicy;
  readonly metrics: WalMetrics = {
    fsyncs: 0,
    fsyncMsSum: 0,
    fsyncMsMax: 0,
    writes: 0,
    bytesWritten: 0,
    records: 0,
    seriesRecords: 0,
    samplesLogged: 0,
    oooSamplesLogged: 0,
    commits: 0,
    segmentsCreated: 0,
    corruptions: 0,
    writeErrors: 0,
  };
  readonly #clock: Clock;

  // Transaction being encoded (between begin() and end()).
  #txn = new ByteSink(16 * 1024);
  readonly #txnSamples = new SamplesEncoder();
  // Out-of-order samples of the transaction: their own records, after the in-order ones.
  #txnOoo = new ByteSink(1024);
  readonly #txnOooSamples = new SamplesEncoder();
  readonly #txnRefs: number[] = [];
  readonly #txnLabels: Labels[] = [];
  #txnOpen = false;

  // Encoded, not yet written: bytes, the offsets where a new segment starts, and the commits
  // waiting for them.
  #pending = new ByteSink();
  #spare = new ByteSink();
  #cuts: number[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #spareWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Bytes of the current segment, written and pending: decides where cuts go. */
  #segFill = 0;

  // I/O state, owned by the flush loop.
  #fh: FileHandle | undefined;
  #segment: number;
  #pos = 0;
  #dirty = false;
  #syncRequested = false;
  #flushing: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #failed: unknown;
  #closed = false;

  private constructor(opts: WalWriterOptions) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.policy = opts.fsync ?? 'always';
    this.#clock = opts.clock;
    this.#segment = opts.firstSegment;
  }

  static async open(opts: WalWriterOptions): Promise<WalWriter> {
    const seg = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isInteger(seg) || seg < 1024) {
      throw new RangeError(`segmentBytes must be an integer >= 1024, got ${seg}`);
    }
    const w = new WalWriter(opts);
    w.#fh = await w.#createSegment(w.#segment);
    if (w.policy === 'interval') {
      const ms = opts.fsyncIntervalMs ?? 1000;
      if (!(ms > 0)) throw new RangeError(`fsyncIntervalMs must be positive, got ${ms}`);
      w.#timer = opts.clock.setInterval(() => w.#requestSync(), ms);
    }
    return w;
  }

  /** Index of the segment being written. */
  get segment(): number {
    return this.#segment + this.#cuts.length;
  }

  // --- Encoding one transaction (synchronous, called from the head's commit) ---

  /** Throws if commits cannot be taken, so the head refuses the commit before applying it. */
  begin(): void {
    if (this.#closed) throw tsdbClosed();
    if (this.#failed !== undefined) throw walWriteFailed(this.#failed);
    this.#txn.reset();
    this.#txnSamples.begin(this.#txn);
    this.#txnOoo.reset();
    this.#txnOooSamples.begin(this.#txnOoo, RecordType.OooSamples);
    this.#txnRefs.length = 0;
    this.#txnLabels.length = 0;
    this.#txnOpen = true;
  }

  series(walRef: number, labels: Labels): void {
    this.#txnRefs.push(walRef);
    this.#txnLabels.push(labels);
  }

  sample(walRef: number, t: number, v: number): void {
    this.#txnSamples.add(walRef, t, v);
    this.metrics.samplesLogged++;
  }

  oooSample(walRef: number, t: number, v: number): void {
    this.#txnOooSamples.add(walRef, t, v);
    this.metrics.oooSamplesLogged++;
  }

  /** Queues the transaction's records; resolves when they are durable per the policy. */
  end(): Promise<void> | undefined {
    if (!this.#txnOpen) throw new Error('WalWriter.end() without begin()');
    this.#txnOpen = false;
    this.#txnSamples.end();
    this.#txnOooSamples.end();
    this.metrics.commits++;
    const hasSeries = this.#txnRefs.length > 0;
    if (this.#txnOoo.len > 0) {
      // In-order records first, then out-of-order ones: replay puts each kind where it was,
      // so their order across kinds within a commit does not matter.
      this.#txn.ensure(this.#txnOoo.len);
      this.#txnOoo.buf.copy(this.#txn.buf, this.#txn.len, 0, this.#txnOoo.len);
      this.#txn.len += this.#txnOoo.len;
      if (this.#txnOoo.buf.length > 4 * 2 ** 20) this.#txnOoo = new ByteSink(1024);
    }
    if (!hasSeries && this.#txn.len === 0) return undefined; // nothing appended, nothing to wait for
    const pending = this.#pending;
    const size = this.#txn.len + (hasSeries ? 64 * this.#txnRefs.length : 0);
    // A transaction goes whole into one segment; a new one is started if it would overflow
    // (a transaction bigger than a segment gets a segment of its own).
    if (this.#segFill > 0 && this.#segFill + size > this.segmentBytes) {
      this.#cuts.push(pending.len);
      this.#segFill = 0;
    }
    const before = pending.len;
    if (hasSeries) {
      encodeSeries(pending, this.#txnRefs, this.#txnLabels);
      this.metrics.records++;
      this.metrics.seriesRecords++;
    }
    if (this.#txn.len > 0) {
      pending.ensure(this.#txn.len);
      this.#txn.buf.copy(pending.buf, pending.len, 0, this.#txn.len);
      pending.len += this.#txn.len;
      this.metrics.records += countFrames(this.#txn);
    }
    // Replay applies a commit's frames only together, once it has read the flagged last one.
    markCommit(pending.buf, lastFrameStart(pending.buf, before, pending.len));
    this.#segFill += pending.len - before;
    // Keep a backfill's huge transaction buffer from living forever.
    if (this.#txn.buf.length > 4 * 2 ** 20) this.#txn = new ByteSink(16 * 1024);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#kick();
    });
  }

  // --- I/O ---

  #kick(): void {
    if (this.#flushing !== undefined) return;
    // A microtask, not a timer: commits made in the same tick join this batch for free.
    this.#flushing = new Promise<void>((done) => queueMicrotask(() => void this.#flushLoop().finally(done)));
  }

  #requestSync(): void {
    if (!this.#dirty) return;
    this.#syncRequested = true;
    this.#kick();
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#failed === undefined && (this.#pending.len > 0 || this.#syncRequested)) {
        // Swap buffers: commits encoded from now on go to the other one.
        const batch = this.#pending;
        const cuts = this.#cuts;
        const waiters = this.#waiters;
        this.#pending = this.#spare;
        this.#waiters = this.#spareWaiters;
        this.#cuts = [];
        try {
          if (batch.len > 0) await this.#writeBatch(batch, cuts);
          if (this.policy === 'always' || this.#syncRequested) {
            this.#syncRequested = false;
            await this.#sync();
          }
        } catch (e) {
          this.metrics.writeErrors++;
          this.#failed = e;
          const err = walWriteFailed(e);
          for (const w of waiters) w.reject(err);
          for (const w of this.#waiters) w.reject(err);
          this.#waiters.length = 0;
          waiters.length = 0;
          break;
        }
        for (const w of waiters) w.resolve();
        waiters.length = 0;
        batch.reset();
        this.#spare = batch;
        this.#spareWaiters = waiters;
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #writeBatch(batch: ByteSink, cuts: number[]): Promise<void> {
    let from = 0;
    for (let i = 0; i <= cuts.length; i++) {
      const to = i < cuts.length ? cuts[i] : batch.len;
      if (to > from) {
        let off = from;
        while (off < to) {
          const { bytesWritten } = await this.#fh!.write(batch.buf, off, to - off, this.#pos);
          off += bytesWritten;
          this.#pos += bytesWritten;
        }
        this.metrics.writes++;
        this.metrics.bytesWritten += to - from;
        this.#dirty = true;
      }
      if (i < cuts.length) await this.#nextSegment();
      from = to;
    }
  }

  /** Closes the current segment (synced, whatever the policy) and opens the next. */
  async #nextSegment(): Promise<void> {
    if (this.#dirty) await this.#sync();
    const old = this.#fh!;
    this.#fh = undefined;
    await old.close();
    this.#segment++;
    this.#fh = await this.#createSegment(this.#segment);
    this.#pos = 0;
  }

  async #createSegment(index: number): Promise<FileHandle> {
    const fh = await fsp.open(path.join(this.dir, segmentName(index)), 'wx');
    // The new name must survive a crash too, or the records in it would be lost with it.
    if (this.policy !== 'never') await syncDir(this.dir);
    this.metrics.segmentsCreated++;
    return fh;
  }

  async #sync(): Promise<void> {
    if (!this.#dirty) return;
    const t0 = this.#clock.monotonic();
    this.#dirty = false;
    await this.#fh!.datasync();
    const ms = this.#clock.monotonic() - t0;
    this.metrics.fsyncs++;
    this.metrics.fsyncMsSum += ms;
    if (ms > this.metrics.fsyncMsMax) this.metrics.fsyncMsMax = ms;
  }

  /** Waits until everything encoded so far is written (and synced, per policy). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined || (this.#pending.len > 0 && this.#failed === undefined)) {
      this.#kick();
      await this.#flushing;
    }
  }

  /**
   * Ends the current segment now (synced) and starts the next one, so that every segment
   * below `segment` is complete: what a checkpoint needs. Returns the last complete segment.
   */
  async cut(): Promise<number> {
    if (this.#closed) throw tsdbClosed();
    // Commits may slip in between flush() settling and this code resuming: loop until the
    // writer is idle at a moment this code runs, then take the file handle synchronously.
    for (;;) {
      await this.flush();
      if (this.#failed !== undefined) throw walWriteFailed(this.#failed);
      if (this.#flushing === undefined && this.#pending.len === 0) break;
    }
    const last = this.#segment;
    this.#segFill = 0;
    const busy = this.#nextSegment();
    // Holds off the flush loop (see #kick) until the new segment is open.
    this.#flushing = busy.then(
      () => undefined,
      () => undefined,
    );
    try {
      await busy;
    } catch (e) {
      this.#failed = e;
      throw walWriteFailed(e);
    } finally {
      this.#flushing = undefined;
      if (this.#pending.len > 0) this.#kick();
    }
    return last;
  }

  /** Flushes, syncs (unless the policy is never) and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.flush();
    try {
      if (this.#failed === undefined && this.policy !== 'never') await this.#sync();
    } finally {
      await this.#fh?.close();
      this.#fh = undefined;
    }
  }
}

function countFrames(sink: ByteSink): number {
  let n = 0;
  for (let off = 0; off < sink.len; n++) off += 8 + sink.buf.readUInt32LE(off);
  return n;
}
