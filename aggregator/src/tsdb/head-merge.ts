/**
 * Reading a series that has out-of-order samples: three sorted runs merged by timestamp.
 *
 *   in-order chunks     sorted and disjoint (head-series.ts)
 *   out-of-order chunks sorted and disjoint among themselves (ooo-store.ts)
 *   out-of-order buffer sorted (a copy taken at select time)
 *
 * The runs overlap in time but never share a timestamp: the head stores a timestamp once
 * (an exact repeat is a no-op, a different value is refused). The merge still drops a
 * repeated timestamp, keeping the in-order sample, so a bug elsewhere could never make a
 * series go backwards or repeat a timestamp. Seeking seeks every run and takes the smallest.
 */
import { ValueType, type SampleIterator } from '../storage/interface.js';

/** Iterates two parallel typed arrays, timestamps sorted. */
export class ArrayIterator implements SampleIterator {
  #ts: Float64Array = new Float64Array(0);
  #vs: Float64Array = new Float64Array(0);
  #i = -1;
  #n = 0;

  reset(ts: Float64Array, vs: Float64Array): this {
    this.#ts = ts;
    this.#vs = vs;
    this.#n = ts.length;
    this.#i = -1;
    return this;
  }

  next(): ValueType {
    if (this.#i < this.#n) this.#i++;
    return this.#i < this.#n ? ValueType.Float : ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.#i >= this.#n) return ValueType.None;
    if (this.#i >= 0 && this.#ts[this.#i] >= t) return ValueType.Float;
    let lo = this.#i < 0 ? 0 : this.#i;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    this.#i = lo;
    return this.#i < this.#n ? ValueType.Float : ValueType.None;
  }

  atT(): number {
    return this.#ts[this.#i];
  }

  atV(): number {
    return this.#vs[this.#i];
  }
}

/** Merges two sorted iterators; on equal timestamps the first one's sample wins. */
export class MergeIterator implements SampleIterator {
  #a: SampleIterator;
  #b: SampleIterator;
  #aOk = false;
  #bOk = false;
  #started = false;
  /** The iterator holding the current sample, or undefined when exhausted. */
  #cur: SampleIterator | undefined;

  constructor(a: SampleIterator, b: SampleIterator) {
    this.#a = a;
    this.#b = b;
  }

  /** Starts over on (possibly new) children, which must be freshly reset. */
  reset(a: SampleIterator, b: SampleIterator): this {
    this.#a = a;
    this.#b = b;
    this.#started = false;
    this.#aOk = false;
    this.#bOk = false;
    this.#cur = undefined;
    return this;
  }

  next(): ValueType {
    if (!this.#started) {
      this.#started = true;
      this.#aOk = this.#a.next() !== ValueType.None;
      this.#bOk = this.#b.next() !== ValueType.None;
    } else if (this.#cur === this.#a) {
      this.#aOk = this.#a.next() !== ValueType.None;
    } else if (this.#cur === this.#b) {
      this.#bOk = this.#b.next() !== ValueType.None;
    } else {
      return ValueType.None;
    }
    return this.#pick();
  }

  seek(t: number): ValueType {
    if (this.#started) {
      if (this.#cur === undefined) return ValueType.None;
      if (this.#cur.atT() >= t) return ValueType.Float;
    }
    this.#started = true;
    if (this.#aOk || this.#cur === undefined) this.#aOk = this.#a.seek(t) !== ValueType.None;
    if (this.#bOk || this.#cur === undefined) this.#bOk = this.#b.seek(t) !== ValueType.None;
    return this.#pick();
  }

  #pick(): ValueType {
    if (this.#aOk && this.#bOk) {
      const ta = this.#a.atT();
      const tb = this.#b.atT();
      if (ta === tb) this.#bOk = this.#b.next() !== ValueType.None; // cannot happen; see above
      this.#cur = ta <= tb ? this.#a : this.#b;
    } else if (this.#aOk) {
      this.#cur = this.#a;
    } else if (this.#bOk) {
      this.#cur = this.#b;
    } else {
      this.#cur = undefined;
      return ValueType.None;
    }
    return ValueType.Float;
  }

  atT(): number {
    return this.#cur!.atT();
  }

  atV(): number {
    return this.#cur!.atV();
  }
}
