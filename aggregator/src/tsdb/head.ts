/**
 * The head: the in-memory part of the TSDB that takes every new sample. It holds a series
 * registry keyed by the canonical labels key, an inverted index for matchers, and per series
 * Gorilla-compressed chunks (head-series.ts). It implements both storage seams.
 *
 * This first slice is in-order only: a sample older than its series' newest is refused
 * with ERR_OUT_OF_ORDER_SAMPLE. The out-of-order window will slot in where such samples are
 * refused today, HeadAppender.append (via its #conflict check) and commitSample() (its
 * OutOfOrder status): within the window they will go to an OOO store instead, and queries
 * will merge it with the in-order chunks.
 * Durability is not the head's business: a store with a WAL (tsdb.ts) sets `log`, and
 * commit() hands it every new series and every applied sample, then waits for it. Without a
 * log, commit() resolves as soon as the samples are applied.
 */
import { Labels, RealClock, type Clock } from '@edgeprom/shared';
import type { Appendable, Appender, Queryable, Querier } from '../storage/interface.js';
import { unsupported } from '../storage/errors.js';
import { sameBits } from '../storage/value.js';
import { HeadAppender, type AppendBuffers } from './head-appender.js';
import { flatten, HeadIndex } from './head-index.js';
import { HeadQuerier } from './head-querier.js';
import { SEALED_STRIDE, SeriesStore } from './head-series.js';

const HOUR = 3_600_000;

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
  /** Out-of-order window; only 0 is supported in this slice. */
  outOfOrderTimeWindowMs?: number;
}

/** Self metrics, as plain counters until the aggregator's registry exists. */
export interface HeadMetrics {
  samplesAppended: number;
  seriesCreated: number;
  commits: number;
  rollbacks: number;
  /** Samples ignored because they repeated the newest sample exactly (idempotent replays). */
  duplicatesIgnored: number;
  rejected: {
    outOfOrder: number;
    duplicate: number;
    tooOld: number;
    tooFarInFuture: number;
    invalid: number;
  };
}

export interface HeadStats {
  series: number;
  samples: number;
  /** Sealed plus open chunks. */
  chunks: number;
  /** Bytes of encoded chunk data (sealed chunks and the filled part of open chunks). */
  chunkBytes: number;
  /**
   * Approximate resident bytes: arena pages, series records, sealed-chunk lists, index lists and
   * label strings, with V8 object overheads estimated. The bench measures the real heap.
   */
  approxBytes: number;
  minTime: number;
  maxTime: number;
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
  /** Closes the transaction; the promise, if any, resolves when it is durable. */
  end(): Promise<void> | undefined;
}

/** What commitSample did with a sample. */
export const CommitStatus = { Appended: 0, Ignored: 1, OutOfOrder: 2, Duplicate: 3 } as const;
export type CommitStatus = (typeof CommitStatus)[keyof typeof CommitStatus];

export class Head implements Appendable, Queryable {
  readonly clock: Clock;
  readonly appendWindowMs: number;
  readonly futureToleranceMs: number;
  readonly metrics: HeadMetrics = {
    samplesAppended: 0,
    seriesCreated: 0,
    commits: 0,
    rollbacks: 0,
    duplicatesIgnored: 0,
    rejected: { outOfOrder: 0, duplicate: 0, tooOld: 0, tooFarInFuture: 0, invalid: 0 },
  };
  /** @internal Series data; used by the appender and querier of this folder. */
  readonly store: SeriesStore;
  /** @internal */
  readonly index = new HeadIndex();
  readonly #byKey = new Map<string, number>();
  #minTime = Infinity;
  #maxTime = -Infinity;
  #samples = 0;
  #nextTxn = 1;
  readonly #pool: AppendBuffers[] = [];
  /** @internal Set by the WAL-backed store before any append; see HeadLog. */
  log: HeadLog | undefined;

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
    if ((opts.outOfOrderTimeWindowMs ?? 0) !== 0) throw unsupported('out-of-order time window');
    this.clock = opts.clock ?? new RealClock();
    this.appendWindowMs = opts.appendWindowMs ?? chunkRange / 2;
    this.futureToleranceMs = opts.futureToleranceMs ?? 10 * 60_000;
    this.store = new SeriesStore(chunkSamples, chunkRange);
  }

  appender(): Appender {
    if (this.#nextTxn > 0xffffffff) {
      // Appender ids are 32-bit in the series records: start over with no stale marks.
      this.#nextTxn = 1;
      this.store.clearTxnMarks();
    }
    return new HeadAppender(this, this.#nextTxn++, this.clock.now());
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
  get numSeries(): number {
    return this.store.count;
  }

  /** @internal Oldest timestamp an in-order append may have right now. */
  minValidTime(): number {
    return this.#maxTime - this.appendWindowMs;
  }

  /** @internal */
  refOf(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  /** @internal The series for labels, created (without samples) if new. */
  getOrCreate(labels: Labels): number {
    const known = this.#byKey.get(labels.key);
    if (known !== undefined) return known;
    // Rebuild from interned strings so equal names and values share one copy.
    const kv = labels.pairs();
    const canon = new Array<string>(kv.length);
    for (let i = 0; i < kv.length; i++) canon[i] = this.index.intern(kv[i]);
    const stored = Labels.fromSortedPairs(canon);
    const ref = this.store.create(stored);
    this.#byKey.set(flatten(stored.key), ref);
    this.index.add(ref, stored);
    this.metrics.seriesCreated++;
    return ref;
  }

  /**
   * @internal Applies one sample at commit. Appenders validated it when appended, but another
   * transaction may have committed newer samples since, so it is checked again here.
   */
  commitSample(ref: number, t: number, v: number): CommitStatus {
    const store = this.store;
    const last = store.maxT(ref);
    if (t > last) {
      store.append(ref, t, v);
      this.#samples++;
      this.metrics.samplesAppended++;
      if (t > this.#maxTime) this.#maxTime = t;
      if (t < this.#minTime) this.#minTime = t;
      return CommitStatus.Appended;
    }
    if (t === last && sameBits(v, store.lastV(ref))) {
      this.metrics.duplicatesIgnored++;
      return CommitStatus.Ignored;
    }
    if (t === last) {
      this.metrics.rejected.duplicate++;
      return CommitStatus.Duplicate;
    }
    this.metrics.rejected.outOfOrder++;
    return CommitStatus.OutOfOrder;
  }

  /** @internal Buffers for an appender, reused across transactions. */
  takeBuffers(): AppendBuffers {
    return this.#pool.pop() ?? { refs: new Int32Array(256), ts: new Float64Array(256), vs: new Float64Array(256) };
  }

  /** @internal */
  releaseBuffers(b: AppendBuffers): void {
    // Keep scrape-sized buffers only: a backfill's million-sample buffers would stay forever.
    if (this.#pool.length < 8 && b.refs.length <= 1 << 16) this.#pool.push(b);
  }

  stats(): HeadStats {
    const store = this.store;
    let chunks = 0;
    let chunkBytes = 0;
    let sealedListBytes = 0;
    for (let ref = 0; ref < store.count; ref++) {
      const sealed = store.sealed[ref];
      if (sealed) {
        for (let i = 0; i < sealed.length; i += SEALED_STRIDE) {
          chunks++;
          chunkBytes += sealed[i + 3];
        }
        sealedListBytes += 32 + sealed.length * 8; // JSArray + FixedDoubleArray
      }
      if (store.openSamples(ref) > 0) {
        chunks++;
        chunkBytes += store.openBytes(ref);
      }
    }
    const ix = this.index.size();
    let labelBytes = 0;
    for (let ref = 0; ref < store.count; ref++) {
      const l = store.labels[ref];
      // Labels object + pair array + flat key string + registry map entry (pointer compression).
      labelBytes += 24 + 16 + 8 + 4 * l.pairs().length + 20 + l.key.length + 16;
    }
    const approxBytes =
      store.arena.stats().pageBytes +
      store.recordBytes() +
      sealedListBytes +
      labelBytes +
      ix.entries * 4 +
      ix.pairs * (16 + 16 + 16) + // list array + map entry
      ix.strings * 40;
    return {
      series: store.count,
      samples: this.#samples,
      chunks,
      chunkBytes,
      approxBytes,
      minTime: this.#minTime,
      maxTime: this.#maxTime,
    };
  }
}
