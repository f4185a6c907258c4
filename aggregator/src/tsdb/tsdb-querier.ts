/**
 * Reading the whole store: blocks, head snapshots being written into blocks, and the head,
 * merged. Each source answers select() with its series in label order; series with equal
 * labels in several sources (a head range compacted while out-of-order samples kept
 * arriving, overlapping blocks before their vertical compaction) are iterated merged in time
 * order, and a timestamp present in several sources is returned once (the first source's
 * sample wins; sources are ordered oldest block first, head last).
 */
import { Labels } from '@edgeprom/shared';
import { querierClosed } from '../storage/errors.js';
import { labelNamesOf, labelValuesOf } from '../storage/label-sets.js';
import {
  ValueType,
  type Querier,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
} from '../storage/interface.js';
import type { Matcher } from '../storage/matcher.js';
import { MergeIterator } from './head-merge.js';

/** One part of the store, as the merged querier sees it. */
export interface QuerySource {
  /** Series with a sample in [mint, maxt], label order, iterating only that range. */
  select(matchers: readonly Matcher[], mint: number, maxt: number): Series[];
  labelNames(matchers?: readonly Matcher[]): string[];
  labelValues(name: string, matchers?: readonly Matcher[]): string[];
  /** Called once when the querier closes. */
  release?(): void;
}

export class TsdbQuerier implements Querier {
  readonly mint: number;
  readonly maxt: number;
  readonly #sources: QuerySource[];
  #closed = false;

  constructor(sources: QuerySource[], mint: number, maxt: number) {
    this.#sources = sources;
    this.mint = mint;
    this.maxt = maxt;
  }

  select(matchers: readonly Matcher[], _hints?: SelectHints): SeriesSet {
    if (this.#closed) throw querierClosed();
    const lists: Series[][] = [];
    for (const s of this.#sources) {
      const l = s.select(matchers, this.mint, this.maxt);
      if (l.length > 0) lists.push(l);
    }
    if (lists.length === 0) return [];
    if (lists.length === 1) return lists[0];
    return mergeSeriesLists(lists);
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    if (this.#closed) throw querierClosed();
    return mergeSorted(this.#sources.map((s) => s.labelNames(matchers)));
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    if (this.#closed) throw querierClosed();
    return mergeSorted(this.#sources.map((s) => s.labelValues(name, matchers)));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sources) s.release?.();
  }
}

function mergeSorted(lists: string[][]): string[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  return [...new Set(nonEmpty.flat())].sort();
}

/** Merges label-sorted lists; equal labels become one series over all their sources. */
export function mergeSeriesLists(lists: Series[][]): Series[] {
  const out: Series[] = [];
  const pos = new Array<number>(lists.length).fill(0);
  for (;;) {
    let min: Labels | undefined;
    for (let i = 0; i < lists.length; i++) {
      if (pos[i] >= lists[i].length) continue;
      const l = lists[i][pos[i]].labels;
      if (min === undefined || Labels.compare(l, min) < 0) min = l;
    }
    if (min === undefined) return out;
    const same: Series[] = [];
    for (let i = 0; i < lists.length; i++) {
      if (pos[i] < lists[i].length && Labels.compare(lists[i][pos[i]].labels, min) === 0) same.push(lists[i][pos[i]++]);
    }
    out.push(same.length === 1 ? same[0] : new MergedSeries(min, same));
  }
}

/** A series present in several sources. */
export class MergedSeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly parts: Series[],
  ) {}

  iterator(): SampleIterator {
    let it: SampleIterator = this.parts[0].iterator();
    for (let i = 1; i < this.parts.length; i++) it = new MergeIterator(it, this.parts[i].iterator());
    return it;
  }
}

/** A series limited to [mint, maxt] (snapshots taken over a wider range), minus deleted intervals. */
export class TrimmedSeries implements Series {
  constructor(
    readonly inner: Series,
    readonly mint: number,
    readonly maxt: number,
    readonly deleted?: readonly number[],
  ) {}

  get labels(): Labels {
    return this.inner.labels;
  }

  iterator(): SampleIterator {
    return new TrimIterator(this.inner.iterator(), this.mint, this.maxt, this.deleted);
  }
}

/** Skips samples outside [mint, maxt] and inside deleted intervals (flat, inclusive, sorted). */
export class TrimIterator implements SampleIterator {
  #started = false;
  #done = false;
  constructor(
    readonly inner: SampleIterator,
    readonly mint: number,
    readonly maxt: number,
    readonly deleted?: readonly number[],
  ) {}

  next(): ValueType {
    if (this.#done) return ValueType.None;
    let vt = this.#started ? this.inner.next() : this.inner.seek(this.mint);
    this.#started = true;
    while (vt !== ValueType.None && this.#isDeleted(this.inner.atT())) vt = this.inner.next();
    return this.#check(vt);
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    let vt = this.inner.seek(t > this.mint ? t : this.mint);
    this.#started = true;
    while (vt !== ValueType.None && this.#isDeleted(this.inner.atT())) vt = this.inner.next();
    return this.#check(vt);
  }

  atT(): number {
    return this.inner.atT();
  }
  atV(): number {
    return this.inner.atV();
  }

  #isDeleted(t: number): boolean {
    const d = this.deleted;
    if (d === undefined) return false;
    for (let i = 0; i < d.length; i += 2) if (t >= d[i] && t <= d[i + 1]) return true;
    return false;
  }

  #check(vt: ValueType): ValueType {
    if (vt === ValueType.None || this.inner.atT() > this.maxt) {
      this.#done = true;
      return ValueType.None;
    }
    return vt;
  }
}

/** Whether a series has a sample in its (trimmed) range. */
export function hasSample(s: Series): boolean {
  return s.iterator().next() !== ValueType.None;
}

/**
 * A head snapshot that is being written into a block: the data the head no longer holds,
 * served from memory until the block is on disk. Matching is done series by series; such a
 * snapshot lives for the seconds a compaction takes.
 */
export class SnapshotSource implements QuerySource {
  constructor(
    readonly series: readonly Series[],
    readonly minTime: number,
    /** Exclusive. */
    readonly maxTime: number,
  ) {}

  /** The series with exactly these labels (binary search: the snapshot is in label order). */
  find(labels: Labels): Series | undefined {
    let lo = 0;
    let hi = this.series.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = Labels.compare(this.series[mid].labels, labels);
      if (c === 0) return this.series[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  #matching(matchers: readonly Matcher[]): Series[] {
    return this.series.filter((s) => matchers.every((m) => m.matches(s.labels.get(m.name))));
  }

  select(matchers: readonly Matcher[], mint: number, maxt: number): Series[] {
    if (mint >= this.maxTime || maxt < this.minTime) return [];
    const out: Series[] = [];
    for (const s of this.#matching(matchers)) {
      const t = new TrimmedSeries(s, mint, maxt);
      if (hasSample(t)) out.push(t);
    }
    return out;
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    return labelNamesOf(this.#matching(matchers ?? []).map((s) => s.labels));
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    return labelValuesOf(this.#matching(matchers ?? []).map((s) => s.labels), name);
  }
}
