/**
 * An in-memory store implementing both seams in the plainest way: per series, sorted
 * timestamp and value arrays; matchers checked against every series. No compression, no
 * index, no limits. It is the reference the Head is tested against (contract.ts) and the
 * stand-in other parts (PromQL, rules, API) use in their tests.
 *
 * It follows the same sample rules as the Head (out-of-order and duplicate handling, commit
 * re-checks) but has no time-window policies: any valid timestamp is accepted. With
 * `{ outOfOrder: true }` it behaves like a Head with an unbounded out-of-order window: older
 * samples are inserted in time order, a timestamp is stored once (an exact repeat is a no-op,
 * a different value is refused at append and dropped at commit). An appender opened with
 * `{ discardOutOfOrder: true }` behaves as without `outOfOrder`, at append and at commit.
 */
import { Labels } from '@edgeprom/shared';
import type {
  Appendable,
  Appender,
  AppenderOptions,
  Queryable,
  Querier,
  SampleIterator,
  SelectHints,
  Series,
  SeriesSet,
  SeriesRef,
} from './interface.js';
import { ValueType } from './interface.js';
import type { Matcher } from './matcher.js';
import { appenderClosed, querierClosed, SampleError } from './errors.js';
import { labelNamesOf, labelValuesOf } from './label-sets.js';
import { isValidTimestamp, sameBits } from './value.js';
import type { FloatHistogram } from './histogram.js';

interface MemSeries {
  labels: Labels;
  ts: Float64Array;
  // Float64Array rather than number[]: V8 rewrites NaN payloads in plain arrays.
  vs: Float64Array;
  /** Native histogram samples by index (undefined: a float sample); absent until the first. */
  hs: (FloatHistogram | undefined)[] | undefined;
  n: number;
}

interface Pending {
  labels: Labels;
  t: number;
  v: number;
  h?: FloatHistogram;
}

/** Same sample: same float bits, or equal histograms. */
function sameSample(v: number, h: FloatHistogram | undefined, ov: number, oh: FloatHistogram | undefined): boolean {
  if (h !== undefined || oh !== undefined) return h !== undefined && oh !== undefined && h.equals(oh);
  return sameBits(v, ov);
}

export interface MemoryStorageOptions {
  /** Take samples older than their series' newest (default false: ERR_OUT_OF_ORDER_SAMPLE). */
  outOfOrder?: boolean;
}

export class MemoryStorage implements Appendable, Queryable {
  readonly #series = new Map<string, MemSeries>();
  readonly #outOfOrder: boolean;

  constructor(opts: MemoryStorageOptions = {}) {
    this.#outOfOrder = opts.outOfOrder === true;
  }

  appender(opts?: AppenderOptions): Appender {
    return new MemoryAppender(this.#series, this.#outOfOrder && opts?.discardOutOfOrder !== true);
  }

  querier(mint: number, maxt: number): Querier {
    return new MemoryQuerier(this.#series, mint, maxt);
  }

  /** Number of series (with at least one sample). */
  get numSeries(): number {
    return this.#series.size;
  }
}

class MemoryAppender implements Appender {
  readonly #series: Map<string, MemSeries>;
  /** Out-of-order samples are stored (the store takes them and the appender does not discard them). */
  readonly #outOfOrder: boolean;
  #pending: Pending[] | undefined = [];
  /** Newest pending sample per series key, for validation within the transaction. */
  readonly #last = new Map<string, Pending>();
  /** Every pending sample by series key and timestamp (out-of-order mode only). */
  readonly #byT = new Map<string, Map<number, Pending>>();

  constructor(series: Map<string, MemSeries>, outOfOrder: boolean) {
    this.#series = series;
    this.#outOfOrder = outOfOrder;
  }

  /** Refs are not used here: every append looks its series up by labels, and returns 0. */
  append(labels: Labels, t: number, v: number, _ref?: SeriesRef): SeriesRef {
    this.#add(labels, t, v, undefined);
    return 0;
  }

  appendHistogram(labels: Labels, t: number, h: FloatHistogram): void {
    this.#add(labels, t, 0, h);
  }

  #add(labels: Labels, t: number, v: number, h: FloatHistogram | undefined): void {
    const pending = this.#pending;
    if (pending === undefined) throw appenderClosed();
    if (labels.size === 0) throw new SampleError('ERR_INVALID_SAMPLE', labels, t, 'empty label set');
    if (!isValidTimestamp(t)) {
      throw new SampleError('ERR_INVALID_SAMPLE', labels, t, 'timestamp must be an integer within ±2^52 ms');
    }
    if (this.#outOfOrder) {
      this.#appendAnyOrder(pending, labels, t, v, h);
      return;
    }
    const mine = this.#last.get(labels.key);
    let lastT = -Infinity;
    let lastV = 0;
    let lastH: FloatHistogram | undefined;
    if (mine) {
      lastT = mine.t;
      lastV = mine.v;
      lastH = mine.h;
    } else {
      const s = this.#series.get(labels.key);
      if (s) {
        lastT = s.ts[s.n - 1];
        lastV = s.vs[s.n - 1];
        lastH = s.hs?.[s.n - 1];
      }
    }
    if (t < lastT) throw new SampleError('ERR_OUT_OF_ORDER_SAMPLE', labels, t);
    if (t === lastT) {
      if (sameSample(v, h, lastV, lastH)) return;
      throw new SampleError('ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', labels, t);
    }
    const p: Pending = h === undefined ? { labels, t, v } : { labels, t, v, h };
    pending.push(p);
    this.#last.set(labels.key, p);
  }

  #appendAnyOrder(pending: Pending[], labels: Labels, t: number, v: number, h: FloatHistogram | undefined): void {
    let old: number | undefined;
    let oldH: FloatHistogram | undefined;
    const s = this.#series.get(labels.key);
    const mine = this.#byT.get(labels.key);
    if (s) {
      const i = lowerBound(s.ts, s.n, t);
      if (i < s.n && s.ts[i] === t) {
        old = s.vs[i];
        oldH = s.hs?.[i];
      }
    }
    const p = mine?.get(t);
    if (old === undefined && p) {
      old = p.v;
      oldH = p.h;
    }
    if (old !== undefined) {
      if (sameSample(v, h, old, oldH)) return;
      throw new SampleError('ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', labels, t);
    }
    const np: Pending = h === undefined ? { labels, t, v } : { labels, t, v, h };
    pending.push(np);
    if (mine) mine.set(t, np);
    else this.#byT.set(labels.key, new Map([[t, np]]));
  }

  async commit(): Promise<void> {
    const pending = this.#pending;
    if (pending === undefined) throw appenderClosed();
    this.#pending = undefined;
    for (const { labels, t, v, h } of pending) {
      let s = this.#series.get(labels.key);
      if (!s) {
        s = { labels, ts: new Float64Array(8), vs: new Float64Array(8), hs: undefined, n: 0 };
        this.#series.set(labels.key, s);
      }
      // Re-check: another transaction may have committed newer samples meanwhile.
      let at = s.n;
      if (s.n > 0 && t <= s.ts[s.n - 1]) {
        if (!this.#outOfOrder) continue;
        at = lowerBound(s.ts, s.n, t);
        if (s.ts[at] === t) continue; // stored already (a repeat, or a conflict: dropped)
      }
      if (s.n === s.ts.length) {
        const ts = new Float64Array(s.n * 2);
        const vs = new Float64Array(s.n * 2);
        ts.set(s.ts);
        vs.set(s.vs);
        s.ts = ts;
        s.vs = vs;
      }
      s.ts.copyWithin(at + 1, at, s.n);
      s.vs.copyWithin(at + 1, at, s.n);
      s.ts[at] = t;
      s.vs[at] = v;
      if (h !== undefined || s.hs !== undefined) {
        if (s.hs === undefined) s.hs = [];
        while (s.hs.length < s.n) s.hs.push(undefined);
        s.hs.splice(at, 0, h);
      }
      s.n++;
    }
  }

  rollback(): void {
    this.#pending = undefined;
  }
}

class MemoryQuerier implements Querier {
  readonly mint: number;
  readonly maxt: number;
  readonly #series: Map<string, MemSeries>;
  #closed = false;

  constructor(series: Map<string, MemSeries>, mint: number, maxt: number) {
    this.#series = series;
    this.mint = mint;
    this.maxt = maxt;
  }

  select(matchers: readonly Matcher[], _hints?: SelectHints): SeriesSet {
    const out: MemorySeries[] = [];
    for (const s of this.#matching(matchers)) {
      // Snapshot: the arrays as they are now and the sample range inside [mint, maxt].
      const from = lowerBound(s.ts, s.n, this.mint);
      const to = lowerBound(s.ts, s.n, this.maxt + 1);
      out.push(new MemorySeries(s.labels, s.ts, s.vs, s.hs?.slice(0, s.n), from, to));
    }
    return out.sort((a, b) => Labels.compare(a.labels, b.labels));
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    return labelNamesOf(Array.from(this.#matching(matchers ?? []), (s) => s.labels));
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    return labelValuesOf(Array.from(this.#matching(matchers ?? []), (s) => s.labels), name);
  }

  close(): void {
    this.#closed = true;
  }

  /** Series matching all matchers with a sample in range: the definition the Head must meet. */
  *#matching(matchers: readonly Matcher[]): Generator<MemSeries> {
    if (this.#closed) throw querierClosed();
    for (const s of this.#series.values()) {
      if (!matchers.every((m) => m.matches(s.labels.get(m.name)))) continue;
      const i = lowerBound(s.ts, s.n, this.mint);
      if (i < s.n && s.ts[i] <= this.maxt) yield s;
    }
  }
}

/** First index in ts[0, n) with ts[i] >= t. */
function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemorySeries implements Series {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly hs: readonly (FloatHistogram | undefined)[] | undefined;
  readonly from: number;
  readonly to: number;

  constructor(labels: Labels, ts: Float64Array, vs: Float64Array, hs: readonly (FloatHistogram | undefined)[] | undefined, from: number, to: number) {
    this.labels = labels;
    this.ts = ts;
    this.vs = vs;
    this.hs = hs;
    this.from = from;
    this.to = to;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof MemoryIterator ? reuse : new MemoryIterator();
    return it.reset(this);
  }
}

class MemoryIterator implements SampleIterator {
  #ts: Float64Array = new Float64Array(0);
  #vs: Float64Array = new Float64Array(0);
  #hs: readonly (FloatHistogram | undefined)[] | undefined = undefined;
  #i = 0;
  #from = 0;
  #to = 0;

  reset(s: MemorySeries): this {
    this.#ts = s.ts;
    this.#vs = s.vs;
    this.#hs = s.hs;
    this.#from = s.from;
    this.#to = s.to;
    this.#i = s.from - 1;
    return this;
  }

  #type(): ValueType {
    if (this.#i >= this.#to) return ValueType.None;
    return this.#hs !== undefined && this.#hs[this.#i] !== undefined ? ValueType.FloatHistogram : ValueType.Float;
  }

  next(): ValueType {
    if (this.#i < this.#to) this.#i++;
    if (this.#i >= this.#to) return ValueType.None;
    if (this.#hs === undefined) return ValueType.Float;
    return this.#hs[this.#i] !== undefined ? ValueType.FloatHistogram : ValueType.Float;
  }

  seek(t: number): ValueType {
    if (this.#i >= this.#to) return ValueType.None;
    if (this.#i >= this.#from && this.#ts[this.#i] >= t) return this.#type();
    let i = Math.max(this.#i, this.#from);
    while (i < this.#to && this.#ts[i] < t) i++;
    this.#i = i;
    return this.#type();
  }

  atFloatHistogram(): FloatHistogram {
    const h = this.#hs?.[this.#i];
    if (h === undefined) throw new Error('MemoryIterator: the current sample is not a histogram');
    return h;
  }

  atT(): number {
    return this.#ts[this.#i];
  }

  atV(): number {
    return this.#vs[this.#i];
  }
}
