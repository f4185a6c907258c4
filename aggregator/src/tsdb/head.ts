/**
 * The head: the in-memory part of the TSDB that takes every new sample. It holds a series
 * registry keyed by a hash of the label pairs (head-labels-map.ts: no key string per series),
 * an inverted index for matchers, and per series Gorilla-compressed chunks (head-series.ts).
 * It implements both storage seams.
 *
 * Out-of-order samples (older than their series' newest, or older than the appendable window)
 * are taken within `outOfOrderTimeWindowMs` of the head's newest sample, as Prometheus does,
 * and kept apart in an OooStore (ooo-store.ts); queries merge both (head-merge.ts). A
 * timestamp is stored once: an exact repeat is a no-op, a different value is refused. With a
 * window of 0 such samples are refused with ERR_OUT_OF_ORDER_SAMPLE as before, and so they are
 * for an appender opened with `{ discardOutOfOrder: true }` (late stale markers), which runs
 * with a window of 0 at append and at commit whatever the head's window is.
 * Blocks (tsdb.ts) take what the head held: truncate() drops samples older than a cut and
 * raises a floor below which in-order appends go to the out-of-order store (with a window),
 * where `olderLookup` checks them against the blocks too, so a timestamp stays stored once.
 * Durability is not the head's business: a store with a WAL (tsdb.ts) sets `log`, and
 * commit() hands it every new series and every applied sample, then waits for it. Without a
 * log, commit() resolves as soon as the samples are applied.
 */
import { Labels, RealClock, type Clock } from '@edgeprom/shared';
import type { Appendable, Appender, AppenderOptions, Queryable, Querier, SampleIterator } from '../storage/interface.js';
import { sameBits } from '../storage/value.js';
import { HeadAppender, newAppendBuffers, type AppendBuffers } from './head-appender.js';
import { HeadIndex } from './head-index.js';
import { LabelsMap } from './head-labels-map.js';
import { HeadQuerier } from './head-querier.js';
import { HeadLookup } from './head-lookup.js';
import { SeriesStore } from './head-series.js';
import { openChunkStore } from './head-chunks-file.js';
import { silentLogger, type TsdbLogger } from './wal-writer.js';
import { OooStore, type OooStats } from './ooo-store.js';

const HOUR = 3_600_000;

/**
 * SeriesRefs handed to callers are `refBase + head ref`, with a refBase of its own for every
 * Head of the process (a multiple of 2^31, the most refs one head can hold), so a ref from
 * another store falls outside this head's range and is ignored. 2^22 heads before it wraps.
 */
const REF_SPACE = 2 ** 31;
let nextRefSpace = 1;
function newRefBase(): number {
  const space = nextRefSpace;
  nextRefSpace = nextRefSpace >= 2 ** 22 - 1 ? 1 : nextRefSpace + 1;
  return space * REF_SPACE;
}
/** Default out-of-order window: a week of buffered samples, as agents replay after an outage. */
export const DEFAULT_OUT_OF_ORDER_WINDOW_MS = 7 * 24 * HOUR;

export interface HeadOptions {
  /** Time source for the future-timestamp check. Default: the system clock. */
  clock?: Clock;
  /** Samples per chunk before it is sealed (Prometheus: 120). */
  chunkSamples?: number;
  /** Block range: chunks are cut at multiples of it so they never span two blocks. Default 2h. */
  chunkRangeMs?: number;
  /**
   * How far behind the head's newest sample an in-order sample of any series may be:
   * older ones get ERR_TOO_OLD_SAMPLE. Prometheus uses half the chunk range (1h) and calls
   * it out-of-bounds. Infinity disables the check.
   */
  appendWindowMs?: number;
  /** How far ahead of clock.now() a timestamp may be before ERR_TOO_FAR_IN_FUTURE. Default 10m. */
  futureToleranceMs?: number;
  /**
   * How far behind the head's newest sample (head.maxTime) a sample may be and still be
   * taken when it is out of order: older than its series' newest, or older than the
   * appendable window. Older ones get ERR_TOO_OLD_SAMPLE. 0 disables out-of-order samples:
   * they get ERR_OUT_OF_ORDER_SAMPLE (and the appendable window's ERR_TOO_OLD_SAMPLE).
   * Infinity takes any. Default 7 days.
   */
  outOfOrderTimeWindowMs?: number;
  /** Out-of-order samples buffered per series before they are cut into a chunk. Default 32. */
  outOfOrderCapacity?: number;
  /**
   * Directory for sealed chunks (head-chunks-file.ts; the Tsdb passes `<dir>/chunks_head`):
   * emptied when the head is made, then written as chunks fill. Default: none, sealed chunks
   * stay in memory.
   */
  chunksDir?: string;
  /** Largest chunksDir segment file. Default 128 MiB (also the most). */
  chunksSegmentBytes?: number;
  /** pino-compatible, for chunksDir errors. Default silent. */
  logger?: TsdbLogger;
}

/** Self metrics, as plain counters until the aggregator's registry exists. */
export interface HeadMetrics {
  samplesAppended: number;
  seriesCreated: number;
  /** Series garbage-collected after truncations (Prometheus's head_series_removed_total). */
  seriesRemoved: number;
  commits: number;
  rollbacks: number;
  /** Samples ignored because they repeated a stored or pending sample exactly (idempotent replays). */
  duplicatesIgnored: number;
  /** Refused by append() or dropped at commit, by reason (out-of-order samples included). */
  rejected: {
    outOfOrder: number;
    duplicate: number;
    tooOld: number;
    tooFarInFuture: number;
    invalid: number;
  };
  /** The out-of-order share of the counters above (head.stats().outOfOrder has the store's). */
  outOfOrder: {
    /** Out-of-order samples stored (also counted in samplesAppended). */
    appended: number;
    /** Out-of-order samples that repeated a stored sample exactly (also in duplicatesIgnored). */
    duplicatesIgnored: number;
    /** Out-of-order samples refused or dropped for a different value at a stored timestamp. */
    duplicate: number;
    /** Out-of-order samples older than the window (also in rejected.tooOld). */
    tooOld: number;
  };
}

export interface HeadStats {
  series: number;
  samples: number;
  /** Sealed plus open chunks, in-order only. */
  chunks: number;
  /** Bytes of encoded chunk data (sealed chunks and the filled part of open chunks). */
  chunkBytes: number;
  /**
   * Approximate resident bytes: arena pages, series and sealed-chunk records, index lists and
   * label strings, with V8 object overheads estimated. The bench measures the real heap.
   */
  approxBytes: number;
  minTime: number;
  maxTime: number;
  /** The out-of-order store (its bytes are included in approxBytes). */
  outOfOrder: OooStats & { chunksCut: number; samplesReencoded: number; buffersGrown: number };
}

/**
 * Where the head records committed writes (the WAL, via tsdb.ts). Called synchronously
 * from HeadAppender.commit, so the calls of one transaction are never interleaved with
 * another's: begin(), then series() for each series the commit creates (before its first
 * sample()), sample() for each sample actually appended, and end().
 */
export interface HeadLog {
  /** Throws (a typed error) if nothing can be logged, before the commit changes anything. */
  begin(): void;
  series(ref: number, labels: Labels): void;
  sample(ref: number, t: number, v: number): void;
  /** A sample the head stored out of order (the WAL marks these; replay puts them back there). */
  oooSample(ref: number, t: number, v: number): void;
  /** Closes the transaction; the promise, if any, resolves when it is durable. */
  end(): Promise<void> | undefined;
}

/** What commitSample did with a sample. */
export const CommitStatus = {
  Appended: 0,
  Ignored: 1,
  OutOfOrder: 2,
  Duplicate: 3,
  /** Stored in the out-of-order store. */
  AppendedOutOfOrder: 4,
  /** Out of order and older than the window (which moved since append). */
  TooOld: 5,
} as const;
export type CommitStatus = (typeof CommitStatus)[keyof typeof CommitStatus];

export class Head implements Appendable, Queryable {
  readonly clock: Clock;
  readonly appendWindowMs: number;
  readonly futureToleranceMs: number;
  readonly outOfOrderTimeWindowMs: number;
  readonly metrics: HeadMetrics = {
    samplesAppended: 0,
    seriesCreated: 0,
    seriesRemoved: 0,
    commits: 0,
    rollbacks: 0,
    duplicatesIgnored: 0,
    rejected: { outOfOrder: 0, duplicate: 0, tooOld: 0, tooFarInFuture: 0, invalid: 0 },
    outOfOrder: { appended: 0, duplicatesIgnored: 0, duplicate: 0, tooOld: 0 },
  };
  /** @internal Series data; used by the appender and querier of this folder. */
  readonly store: SeriesStore;
  /** @internal Out-of-order samples, by head ref. */
  readonly ooo: OooStore;
  /** @internal */
  readonly lookup: HeadLookup;
  /** @internal */
  readonly index = new HeadIndex();
  /** Series by label set: hash of the pairs → ref, confirmed against store.labels. */
  readonly #byLabels: LabelsMap;
  #minTime = Infinity;
  #maxTime = -Infinity;
  #floor = -Infinity;
  #samples = 0;
  #nextTxn = 1;
  readonly #pool: AppendBuffers[] = [];
  /** Appenders not yet committed or rolled back: their pending refs must survive gc(). */
  readonly #open = new Set<HeadAppender>();
  /** @internal Added to head refs to make the SeriesRefs callers see (see newRefBase). */
  readonly refBase = newRefBase();
  /** @internal Set by the WAL-backed store before any append; see HeadLog. */
  log: HeadLog | undefined;
  /**
   * @internal Set by the store with blocks: whether a series holds a sample at t in what was
   * cut from the head (blocks), its value then in `foundV`. Asked only for t below the floor.
   */
  olderLookup: ((labels: Labels, t: number) => boolean) | undefined;
  /** @internal The value found by the last successful findStored() or olderNewest(). */
  foundV = 0;
  /**
   * @internal Set by the store with blocks: the newest sample (into foundT, foundV) of a series
   * in what was cut from the head. Asked when a series the head does not hold gets a sample
   * below the floor without an out-of-order window: it may be a series gc() removed, whose
   * newest sample still decides what is in order.
   */
  olderNewest: ((labels: Labels) => boolean) | undefined;
  /** @internal The timestamp found by the last successful olderNewest(). */
  foundT = 0;

  constructor(opts: HeadOptions = {}) {
    const chunkSamples = opts.chunkSamples ?? 120;
    // The series record keeps the open chunk's sample count in 10 bits.
    if (!Number.isInteger(chunkSamples) || chunkSamples < 2 || chunkSamples > 1000) {
      throw new RangeError(`chunkSamples must be an integer in [2, 1000], got ${chunkSamples}`);
    }
    const chunkRange = opts.chunkRangeMs ?? 2 * HOUR;
    if (!Number.isInteger(chunkRange) || chunkRange <= 0) {
      throw new RangeError(`chunkRangeMs must be a positive integer, got ${chunkRange}`);
    }
    const window = opts.outOfOrderTimeWindowMs ?? DEFAULT_OUT_OF_ORDER_WINDOW_MS;
    if (!(window >= 0) || (!Number.isInteger(window) && window !== Infinity)) {
      throw new RangeError(`outOfOrderTimeWindowMs must be an integer >= 0 or Infinity, got ${window}`);
    }
    const capacity = opts.outOfOrderCapacity ?? 32;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1024) {
      throw new RangeError(`outOfOrderCapacity must be an integer in [1, 1024], got ${capacity}`);
    }
    this.clock = opts.clock ?? new RealClock();
    this.appendWindowMs = opts.appendWindowMs ?? chunkRange / 2;
    this.futureToleranceMs = opts.futureToleranceMs ?? 10 * 60_000;
    this.outOfOrderTimeWindowMs = window;
    // Sealed chunks in files when there is a directory, else in the arena (head-chunks.ts).
    const dir = opts.chunksDir;
    this.store = new SeriesStore(
      chunkSamples,
      chunkRange,
      dir === undefined
        ? undefined
        : (arena) =>
            openChunkStore(arena, { dir, chunkRange, logger: opts.logger ?? silentLogger, segmentBytes: opts.chunksSegmentBytes }),
    );
    this.ooo = new OooStore(capacity, chunkSamples, chunkRange);
    this.lookup = new HeadLookup(this.store, this.ooo);
    this.#byLabels = new LabelsMap(this.store.labels);
  }

  appender(opts?: AppenderOptions): Appender {
    if (this.#nextTxn > 0xffffffff) {
      // Appender ids are 32-bit in the series records: start over with no stale marks.
      this.#nextTxn = 1;
      this.store.clearTxnMarks();
    }
    // discardOutOfOrder: this transaction runs as if the head had no out-of-order window.
    const window = opts?.discardOutOfOrder === true ? 0 : this.outOfOrderTimeWindowMs;
    const app = new HeadAppender(this, this.#nextTxn++, this.clock.now(), window);
    this.#open.add(app);
    return app;
  }

  /** @internal The appender committed or rolled back. */
  closed(app: HeadAppender): void {
    this.#open.delete(app);
  }

  /** @internal The head ref of a caller's SeriesRef, or -1 if it is not a live series here. */
  slotOf(ref: number): number {
    const slot = ref - this.refBase;
    return this.store.isLive(slot) ? slot : -1;
  }

  querier(mint: number, maxt: number): Querier {
    return new HeadQuerier(this, mint, maxt);
  }

  /** Oldest and newest committed sample timestamps (Infinity / -Infinity when empty). */
  get minTime(): number {
    return this.#minTime;
  }
  get maxTime(): number {
    return this.#maxTime;
  }
  /** Series in the head (garbage-collected ones not counted). */
  get numSeries(): number {
    return this.store.live;
  }

  /**
   * @internal Oldest timestamp an in-order append may have right now. With an out-of-order
   * window, older samples go to the out-of-order store, where they are checked against
   * blocks too (`floor`); without one (window 0), the head takes in-order samples below the
   * floor as it did before it was cut (the next cut writes them into an overlapping block).
   */
  minValidTime(floor = true): number {
    const w = this.#maxTime - this.appendWindowMs;
    return floor && w < this.#floor ? this.#floor : w;
  }

  /**
   * Samples older than this were cut into blocks: an in-order sample must not be older (it
   * goes to the out-of-order store, or is too old without a window), as Prometheus's head
   * minValidTime after a compaction. -Infinity until the first truncation.
   */
  get truncatedBefore(): number {
    return this.#floor;
  }

  /** Raises the floor without dropping data (at open: the newest block's end). */
  setMinValidTime(t: number): void {
    if (t > this.#floor) this.#floor = t;
  }

  /**
   * Drops every sample older than `before` (in-order chunks and out-of-order data), which
   * the caller has put into blocks, and raises the in-order floor to it. Series records stay.
   * `before` should be on a chunk-range boundary (chunks never straddle one). Synchronous,
   * so no commit lands between the caller's snapshot and this. Returns the samples dropped.
   */
  truncate(before: number): number {
    this.setMinValidTime(before);
    let dropped = 0;
    let minT = Infinity;
    const store = this.store;
    for (let ref = 0; ref < store.count; ref++) {
      dropped += store.dropBefore(ref, before);
      dropped += this.ooo.dropBefore(ref, before);
      const first = store.minTime(ref);
      if (first < minT) minT = first;
      const o = this.ooo.get(ref);
      if (o !== undefined && o.minT < minT) minT = o.minT;
    }
    this.#samples -= dropped;
    this.#minTime = minT;
    if (minT === Infinity && this.#samples === 0) {
      // Keep maxTime: it anchors the windows. An empty head spans nothing.
      this.#minTime = Infinity;
    }
    this.gc();
    return dropped;
  }

  /**
   * Garbage-collects series left without samples (truncate() calls it): no in-order or
   * out-of-order sample in the head, and no pending sample in an open appender. Their data
   * lives on in blocks, which find a series by labels. Their refs are never reused: a
   * SeriesRef a caller kept stops being valid (slotOf gives -1) and its next append looks
   * the labels up, creating the series anew. Returns the number of series removed.
   *
   * An appender that is never committed nor rolled back keeps its series alive for good.
   */
  gc(): number {
    const store = this.store;
    const n = store.count;
    if (store.live === 0) return 0;
    const pinned = new Uint8Array(n);
    for (const app of this.#open) app.pin(pinned);
    const refs: number[] = [];
    const labels: Labels[] = [];
    for (let ref = 0; ref < n; ref++) {
      if (pinned[ref] === 0 && store.isLive(ref) && store.isEmpty(ref) && this.ooo.get(ref) === undefined) {
        refs.push(ref);
        labels.push(store.labels[ref]);
      }
    }
    if (refs.length === 0) return 0;
    for (let i = 0; i < refs.length; i++) {
      this.#byLabels.delete(labels[i].hash, refs[i]);
      store.remove(refs[i]);
    }
    this.index.remove(refs, labels, (ref) => !store.isLive(ref));
    this.metrics.seriesRemoved += refs.length;
    return refs.length;
  }

  /** @internal Oldest timestamp an out-of-order sample may have right now (window > 0). */
  minOutOfOrderTime(): number {
    return this.#maxTime - this.outOfOrderTimeWindowMs;
  }

  /**
   * A series' samples in [mint, maxt], in-order and out-of-order merged in time order: what
   * the compactor will write into a block. A snapshot, like a querier's series.
   */
  mergedSamples(ref: number, mint: number, maxt: number, reuse?: SampleIterator): SampleIterator {
    const [s] = new HeadQuerier(this, mint, maxt).snapshot([ref]);
    return s.iterator(reuse);
  }

  /** @internal The head ref of the series with these labels (`hash` is labels.hash), or -1. */
  refOf(labels: Labels, hash = labels.hash): number {
    return this.#byLabels.get(labels, hash);
  }

  /** @internal The series for labels (`hash` is labels.hash), created (without samples) if new. */
  getOrCreate(labels: Labels, hash = labels.hash): number {
    const known = this.#byLabels.get(labels, hash);
    if (known >= 0) return known;
    // Rebuild from interned strings so equal names and values share one copy. Its key string
    // (Labels builds it lazily) is never built by the head.
    const kv = labels.pairs();
    const canon = new Array<string>(kv.length);
    for (let i = 0; i < kv.length; i++) canon[i] = this.index.intern(kv[i]);
    const stored = Labels.fromSortedPairs(canon);
    const ref = this.store.create(stored);
    this.#byLabels.add(hash, ref);
    this.index.add(ref, stored);
    this.metrics.seriesCreated++;
    return ref;
  }

  /**
   * @internal Applies one sample at commit. Appenders validated it when appended, but another
   * transaction may have committed newer samples since, so it is checked again here.
   * `window` is the appender's out-of-order window: the head's, or 0 for an appender that
   * discards out-of-order samples.
   */
  commitSample(ref: number, t: number, v: number, window: number): CommitStatus {
    const store = this.store;
    const last = store.maxT(ref);
    if (window === 0) {
      // Newer samples may sit in the out-of-order store (they went there below the floor or
      // the appendable window): in order means newer than those too.
      const o = this.ooo.get(ref);
      if (o !== undefined && o.maxT > last && t > last) {
        if (t > o.maxT) {
          this.#appendInOrder(ref, t, v);
          return CommitStatus.Appended;
        }
        if (this.findStored(ref, t)) {
          if (sameBits(v, this.foundV)) {
            this.metrics.duplicatesIgnored++;
            return CommitStatus.Ignored;
          }
          this.metrics.rejected.duplicate++;
          return CommitStatus.Duplicate;
        }
        this.metrics.rejected.outOfOrder++;
        return CommitStatus.OutOfOrder;
      }
    }
    // With a window, an in-order sample must also be inside the appendable window (else it is
    // out of order): every out-of-order sample then stays older than every later in-order one.
    if (t > last && (window === 0 || (t >= this.#maxTime - this.appendWindowMs && t >= this.#floor))) {
      this.#appendInOrder(ref, t, v);
      return CommitStatus.Appended;
    }
    if (t === last) {
      if (sameBits(v, store.lastV(ref))) {
        this.metrics.duplicatesIgnored++;
        return CommitStatus.Ignored;
      }
      this.metrics.rejected.duplicate++;
      return CommitStatus.Duplicate;
    }
    if (window === 0) {
      this.metrics.rejected.outOfOrder++;
      return CommitStatus.OutOfOrder;
    }
    if (t < this.#maxTime - window) {
      this.metrics.rejected.tooOld++;
      this.metrics.outOfOrder.tooOld++;
      return CommitStatus.TooOld;
    }
    return this.#insertOutOfOrder(ref, t, v);
  }

  /**
   * @internal Replays a sample the WAL logged as in-order. The head took it in order then, so
   * it normally still is; should it not be (a WAL edited by hand), it is kept out of order
   * rather than lost.
   */
  replaySample(ref: number, t: number, v: number): CommitStatus {
    if (t > this.store.maxT(ref)) {
      this.#appendInOrder(ref, t, v);
      return CommitStatus.Appended;
    }
    return this.replayOutOfOrderSample(ref, t, v);
  }

  /**
   * @internal Replays a sample the WAL logged as out-of-order: stored whatever the window is
   * now (it was acknowledged), unless its timestamp is already there.
   */
  replayOutOfOrderSample(ref: number, t: number, v: number): CommitStatus {
    return this.#insertOutOfOrder(ref, t, v);
  }

  #appendInOrder(ref: number, t: number, v: number): void {
    this.store.append(ref, t, v);
    this.#samples++;
    this.metrics.samplesAppended++;
    if (t > this.#maxTime) this.#maxTime = t;
    if (t < this.#minTime) this.#minTime = t;
  }

  /**
   * @internal Whether the series holds a sample at t, in the head or (below the floor) in
   * blocks; its value is then in foundV. A timestamp is stored once, wherever it went.
   */
  findStored(ref: number, t: number): boolean {
    if (this.lookup.find(ref, t)) {
      this.foundV = this.lookup.v;
      return true;
    }
    if (t < this.#floor && this.olderLookup !== undefined && this.olderLookup(this.store.labels[ref], t)) {
      return true;
    }
    return false;
  }

  #insertOutOfOrder(ref: number, t: number, v: number): CommitStatus {
    const m = this.metrics;
    if (this.findStored(ref, t)) {
      if (sameBits(v, this.foundV)) {
        m.duplicatesIgnored++;
        m.outOfOrder.duplicatesIgnored++;
        return CommitStatus.Ignored;
      }
      m.rejected.duplicate++;
      m.outOfOrder.duplicate++;
      return CommitStatus.Duplicate;
    }
    this.ooo.insert(ref, t, v);
    this.#samples++;
    m.samplesAppended++;
    m.outOfOrder.appended++;
    if (t > this.#maxTime) this.#maxTime = t;
    if (t < this.#minTime) this.#minTime = t;
    return CommitStatus.AppendedOutOfOrder;
  }

  /** @internal Buffers for an appender, reused across transactions. */
  takeBuffers(): AppendBuffers {
    return this.#pool.pop() ?? newAppendBuffers(256);
  }

  /** @internal Takes back buffers whose first `used` slots held samples. */
  releaseBuffers(b: AppendBuffers, used: number): void {
    // Keep scrape-sized buffers only: a backfill's million-sample buffers would stay forever.
    if (this.#pool.length < 8 && b.refs.length <= 1 << 16) {
      // Drop the numbers (objects, for most) so a pooled buffer does not keep them alive.
      b.ts.fill(0, 0, used);
      b.vs.fill(0, 0, used);
      this.#pool.push(b);
    }
  }

  /** Closes the chunk files, if any (the Tsdb does at close). Reads fail afterwards. */
  close(): void {
    this.store.chunks.close();
  }

  stats(): HeadStats {
    const store = this.store;
    const sealedStats = store.chunks.stats();
    let chunks = sealedStats.chunks;
    let chunkBytes = sealedStats.bytes;
    for (let ref = 0; ref < store.count; ref++) {
      if (store.openSamples(ref) > 0) {
        chunks++;
        chunkBytes += store.openBytes(ref);
      }
    }
    const ix = this.index.size();
    let labelBytes = 0;
    for (let ref = 0; ref < store.count; ref++) {
      if (!store.isLive(ref)) continue;
      const l = store.labels[ref];
      // Labels object + pair array (pointer compression); the strings are the index's.
      labelBytes += 24 + 16 + 4 * l.pairs().length;
    }
    labelBytes += this.#byLabels.bytes;
    const approxBytes =
      store.arena.stats().pageBytes +
      store.recordBytes() +
      sealedStats.residentBytes +
      labelBytes +
      ix.entries * 4 +
      ix.pairs * (16 + 16 + 16) + // list array + map entry
      ix.strings * 40;
    const ooo = this.ooo.stats();
    return {
      series: store.live,
      samples: this.#samples,
      chunks,
      chunkBytes,
      approxBytes: approxBytes + ooo.approxBytes + this.ooo.series.length * 8,
      minTime: this.#minTime,
      maxTime: this.#maxTime,
      outOfOrder: {
        ...ooo,
        chunksCut: this.ooo.chunksCut,
        samplesReencoded: this.ooo.samplesReencoded,
        buffersGrown: this.ooo.buffersGrown,
      },
    };
  }
}
