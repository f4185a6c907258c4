/**
 * The storage seams. Everything that writes samples (scrape, MQTT ingest, the push API,
 * rule evaluation) goes through an Appender; everything that reads (PromQL, federation,
 * remote write, the series and label APIs) goes through a Querier. Nothing outside
 * aggregator/src/tsdb may depend on how the TSDB stores things, so an in-memory store
 * (./memory.ts) can stand in for it in tests, and ./contract.ts checks both behave alike.
 *
 * Modelled on Prometheus's storage/interface.go, with these deliberate differences:
 *  - `append` throws a typed SampleError instead of returning an error. Like Prometheus's
 *    `Append(ref, l, t, v) (SeriesRef, error)` it returns a SeriesRef and takes one back
 *    (optional, last parameter); an unknown or stale ref costs a lookup by labels, never a
 *    wrong series (see SeriesRef).
 *  - Errors of the iterators are thrown, not collected through an `err()` method.
 *  - A Series is a snapshot taken by `select`: appends committed later are not visible
 *    through it, even if it is iterated after an `await`.
 *
 * Time is integer milliseconds since the epoch (see value.ts for the valid range). Sample
 * values are float64s compared by bit pattern; keep them out of plain `number[]`, which
 * loses NaN payloads such as the stale marker (see value.ts).
 */
import type { Labels } from '@edgeprom/shared';
import type { Matcher } from './matcher.js';
import type { FloatHistogram } from './histogram.js';

/**
 * Options of one write transaction (Prometheus's storage.AppendOptions). The default, `{}`,
 * is what every ordinary writer wants.
 */
export interface AppenderOptions {
  /**
   * Refuse out-of-order samples even when the store has an out-of-order window, exactly as
   * a store without the window does: a sample older than its series' newest gets
   * ERR_OUT_OF_ORDER_SAMPLE at append() (one below the head's appendable window,
   * ERR_TOO_OLD_SAMPLE), and a sample another transaction made out of order before this
   * one commits is dropped (and counted) at commit(). Nothing reaches the out-of-order store.
   *
   * For writers whose samples only make sense as the NEWEST sample of their series, chiefly
   * stale markers written late (Prometheus issue #11730, PR #14710):
   *  - end-of-run staleness of a scrape target that vanished: if the same series came back
   *    meanwhile (the target moved to another pool or job, a push took over), its newer
   *    samples are already stored, and the delayed marker must be discarded, not wedged in
   *    between them where it would cut the series for a query;
   *  - staleness markers of rules that were removed or changed on reload (same reasoning).
   * Such writers already treat ERR_OUT_OF_ORDER_SAMPLE as "someone newer owns the series".
   * Default false: out-of-order samples are stored when the store's window allows.
   */
  discardOutOfOrder?: boolean;
}

/**
 * A store's handle for one series, returned by `Appender.append` (Prometheus's
 * storage.SeriesRef). Passing it back with the same labels on the next append skips the
 * store's lookup by labels (the scrape cache keeps one per cached series). `0` means "no
 * ref": the series is new in this transaction (created at commit), or the store does not
 * use refs (MemoryStorage). A ref is only a hint: one the store no longer knows (its series
 * was garbage-collected from the head), or one from a different store, is ignored and the
 * labels are looked up instead. A ref must only be passed with the labels it was returned
 * for: a store checks that it is still valid, not that it matches the labels.
 */
export type SeriesRef = number;

/** Something samples can be written to. */
export interface Appendable {
  /**
   * Starts a write transaction. Take one per scrape, push batch or rule evaluation, append
   * its samples, then call `commit()` or `rollback()` exactly once. Appenders are cheap and
   * independent; several may be open at once (interleaved async scrapes). `opts` apply to
   * this transaction only (see AppenderOptions); a wrapper of an Appendable must pass them on.
   */
  appender(opts?: AppenderOptions): Appender;
}

/**
 * A write transaction. Samples are buffered: nothing is visible to readers until commit.
 *
 * `append` validates each sample against what is committed and against the samples already
 * appended in this transaction, and throws a SampleError when the store refuses it
 * (`code` says why; `labels` and `t` say which). A refused sample is not buffered; the
 * transaction stays usable, so a scrape can count refusals and carry on.
 *
 * A sample older than the newest of its series is out of order. What happens to it depends
 * on the store's out-of-order window (the TSDB head: `outOfOrderTimeWindowMs`, default 7
 * days, measured back from the head's newest sample of ANY series; see docs/tsdb.md,
 * "Out-of-order window"), and on AppenderOptions.discardOutOfOrder:
 *   - window on (and no discardOutOfOrder): stored and merged in time order if it is within
 *     the window; ERR_TOO_OLD_SAMPLE if older. A timestamp is stored once per series: a
 *     sample at the t of ANY stored or pending sample (not only the newest) is ignored if
 *     the value bits are the same, ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP if they differ.
 *   - window off (outOfOrderTimeWindowMs: 0, MemoryStorage without `outOfOrder`) or
 *     discardOutOfOrder: ERR_OUT_OF_ORDER_SAMPLE. Duplicates are then checked against the
 *     newest sample only.
 * The other refusals:
 *   - ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP: t equals the newest sample's t, the value differs.
 *     (The same t with the same value bits is accepted and ignored: replays are idempotent.)
 *   - ERR_TOO_OLD_SAMPLE / ERR_TOO_FAR_IN_FUTURE: outside the store's time windows, if any
 *     (the head's appendable window only refuses when no out-of-order window takes the
 *     sample).
 *   - ERR_INVALID_SAMPLE: empty label set, or t not an integer in the valid range.
 *
 * Because appenders are independent, two open transactions can each append a sample that is
 * in order on its own and out of order or conflicting once the other commits. Commit applies
 * samples in append order and re-checks each under the same rules: an out-of-order one is
 * stored if the window (and the options) allow, else dropped; a conflicting duplicate or one
 * now too old is dropped. Drops are counted in stores that keep metrics, as Prometheus does;
 * commit does not throw for them.
 */
export interface Appender {
  /**
   * Buffers one sample. `labels` must include `__name__` by convention but the store does
   * not require it; an empty label set is refused. `t` in ms, `v` any float64 (NaN
   * payloads, ±Infinity and -0 are kept bit-exact). `ref`: what an earlier append of the
   * same labels returned (see SeriesRef); omit it or pass 0 when there is none. Returns the
   * series' ref, 0 when there is none yet (a series this transaction creates), also when
   * the sample was ignored as an exact repeat.
   */
  append(labels: Labels, t: number, v: number, ref?: SeriesRef): SeriesRef;
  /**
   * Buffers one native histogram sample (Prometheus's AppendHistogram with a float
   * histogram), under the same rules as `append`: a histogram at the timestamp of a stored
   * sample is ignored when equal, ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP otherwise. The store
   * keeps `h` itself: the caller must not change it afterwards. Optional: a store without
   * native histograms leaves it out, and writers check for it (histogramAppender()).
   */
  appendHistogram?(labels: Labels, t: number, h: FloatHistogram): void;
  /**
   * Applies the buffered samples. They are visible to `select` calls made after commit()
   * is called; the promise resolves once they are durable (after the WAL write, once there
   * is a WAL). Afterwards the appender is closed: any further call throws
   * ERR_APPENDER_CLOSED.
   */
  commit(): Promise<void>;
  /**
   * Discards the buffered samples and closes the appender. A no-op once the appender is
   * closed, so it can sit in a `finally` or `catch` block after a commit attempt.
   */
  rollback(): void;
}

/** Something that can be read over a time range. */
export interface Queryable {
  /**
   * A reader for samples with mint <= t <= maxt (both inclusive; ±Infinity for unbounded).
   * Close it when done: later stores use it to keep chunks alive while they are read.
   */
  querier(mint: number, maxt: number): Querier;
}

/** Both seams: what a full store (Head, memory store) implements. */
export type Storage = Appendable & Queryable;

/** Advice to `select`, as in Prometheus's SelectHints; a store may ignore any of it. */
export interface SelectHints {
  /** Start and end of the data the caller will read (ms, inclusive). */
  start?: number;
  end?: number;
  /** Query resolution step (ms), for range queries. */
  step?: number;
  /** Range vector length (ms), e.g. 5m for rate(x[5m]). */
  range?: number;
  /** The surrounding function; 'series' means only labels are needed, not samples. */
  func?: string;
}

/** Reads one time range. */
export interface Querier {
  /** Inclusive bounds this querier was opened with. */
  readonly mint: number;
  readonly maxt: number;
  /**
   * Series matching all matchers that have at least one sample in [mint, maxt], sorted by
   * labels (Labels.compare), each iterating only its samples within [mint, maxt]. An empty
   * matcher list selects every series. Matchers follow PromQL: a matcher that matches the
   * empty string also matches series that lack the label.
   */
  select(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet;
  /**
   * Sorted label names of series matching the matchers (all series when none are given).
   * Like Prometheus, a store may answer at its own time granularity (the head, a block) and
   * include names of series with no sample in [mint, maxt]; it never omits a name of a
   * series that has one.
   */
  labelNames(matchers?: readonly Matcher[]): string[];
  /** Sorted values of `name` (no empty value), with the same matching and granularity. */
  labelValues(name: string, matchers?: readonly Matcher[]): string[];
  /** Releases the querier; calls after close throw ERR_QUERIER_CLOSED. Idempotent. */
  close(): void;
}

/**
 * The result of a select: series in label order. Iterate it once or many times; each Series
 * is a snapshot (see the file comment). Arrays of Series satisfy it.
 */
export type SeriesSet = Iterable<Series>;

/** One series: its labels and a way to walk its samples in time order. */
export interface Series {
  readonly labels: Labels;
  /**
   * A fresh iterator positioned before the first sample. Passing a previous iterator from the
   * same store lets it be reused instead of allocated (iterating thousands of series).
   */
  iterator(reuse?: SampleIterator): SampleIterator;
}

/**
 * What a sample holds, as Prometheus's chunkenc.ValueType: a float or a native histogram
 * (`while (it.next()) ...` works because None is 0). Stores hand histograms to PromQL as
 * float histograms only, so Histogram (integer counts) is never returned today.
 */
export const ValueType = { None: 0, Float: 1, Histogram: 2, FloatHistogram: 3 } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * Walks samples in increasing time order without allocating per sample: move with next() or
 * seek(), then read the current sample with atT() and atV().
 */
export interface SampleIterator {
  /** Advances to the next sample; ValueType.None (0) when exhausted. */
  next(): ValueType;
  /**
   * Advances to the first sample with timestamp >= t. If the current sample already
   * satisfies that, stays put: seek never moves backwards. Returns ValueType.None when no
   * such sample exists (the iterator is then exhausted).
   */
  seek(t: number): ValueType;
  /** Timestamp (ms) of the current sample. Undefined before the first next()/seek(). */
  atT(): number;
  /** Value of the current sample, bit-exact (float samples only). */
  atV(): number;
  /**
   * The current sample when next()/seek() returned ValueType.FloatHistogram. The returned
   * object belongs to the store: copy it before changing it. Stores that never return
   * histogram samples may leave this out.
   */
  atFloatHistogram?(): FloatHistogram;
}
