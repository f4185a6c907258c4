/**
 * Point lookups in the head: is there a sample of series `ref` at exactly `t`, and with which
 * value? The out-of-order path needs this for every sample it takes, because a timestamp
 * must be stored once only: repeating a stored sample exactly is a no-op (idempotent
 * replays), a different value at a stored timestamp is refused, wherever the stored one
 * sits (open or sealed in-order chunk, out-of-order buffer or chunk).
 *
 * A replay checks timestamps in runs that fall into the same chunk, so a sealed chunk asked
 * for twice in a row is kept decoded (one entry: a lookup is then a binary search); a chunk
 * asked for once is only decoded up to t. Sealed chunks never change, so their location
 * identifies their contents; the open chunk does change and is always decoded afresh (it
 * holds at most chunkSamples samples).
 */
import { offsetOf } from './chunk-arena.js';
import { XorIterator } from './chunk-xor.js';
import { SEALED_STRIDE, type SeriesStore } from './head-series.js';
import { chunkFor, lowerBound, OOO_META_STRIDE, type OooStore } from './ooo-store.js';

export class HeadLookup {
  readonly #store: SeriesStore;
  readonly #ooo: OooStore;
  readonly #it = new XorIterator();
  // The decoded chunk: which bytes it came from, and its samples.
  #keyBuf: Uint8Array | undefined;
  #keyOff = -1;
  #keyLen = -1;
  #ts = new Float64Array(128);
  #vs = new Float64Array(128);
  #n = 0;
  // The chunk of the previous lookup that missed the cache.
  #missBuf: Uint8Array | undefined;
  #missOff = -1;
  /** The value found by the last successful find(). */
  v = 0;

  constructor(store: SeriesStore, ooo: OooStore) {
    this.#store = store;
    this.#ooo = ooo;
  }

  /** True when the series holds a sample at t; its value is then in `this.v`. */
  find(ref: number, t: number): boolean {
    return this.findInOrder(ref, t) || this.findOutOfOrder(ref, t);
  }

  findInOrder(ref: number, t: number): boolean {
    const store = this.#store;
    const last = store.maxT(ref);
    if (t > last) return false;
    if (t === last) {
      this.v = store.lastV(ref);
      return true;
    }
    const sealed = store.sealed[ref];
    if (store.openSamples(ref) > 0 && t >= store.openMinT(ref)) {
      const loc = store.openLocation(ref);
      const it = this.#it.reset(store.arena.page(loc), offsetOf(loc), store.openBytes(ref));
      return this.#seek(it, t);
    }
    if (sealed === undefined) return false;
    // Binary search over the sealed chunks (SEALED_STRIDE numbers each, minT first).
    let lo = 0;
    let hi = sealed.length / SEALED_STRIDE;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sealed[mid * SEALED_STRIDE + 1] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo * SEALED_STRIDE >= sealed.length || sealed[lo * SEALED_STRIDE] > t) return false;
    const loc = sealed[lo * SEALED_STRIDE + 2];
    return this.#cached(store.arena.page(loc), offsetOf(loc), sealed[lo * SEALED_STRIDE + 3], t);
  }

  findOutOfOrder(ref: number, t: number): boolean {
    const s = this.#ooo.get(ref);
    if (s === undefined || t < s.minT || t > s.maxT) return false;
    const b = lowerBound(s.bufT, s.n, t);
    if (b < s.n && s.bufT[b] === t) {
      this.v = s.bufV[b];
      return true;
    }
    const c = chunkFor(s.meta, t);
    if (c < 0) return false;
    const chunk = s.chunks[c];
    return s.meta[c * OOO_META_STRIDE + 2] > 0 && this.#cached(chunk, 0, chunk.length, t);
  }

  #seek(it: XorIterator, t: number): boolean {
    if (it.seek(t) !== 0 && it.atT() === t) {
      this.v = it.atV();
      return true;
    }
    return false;
  }

  #cached(buf: Uint8Array, off: number, len: number, t: number): boolean {
    if (buf !== this.#keyBuf || off !== this.#keyOff || len !== this.#keyLen) {
      const it = this.#it.reset(buf, off, len);
      if (buf !== this.#missBuf || off !== this.#missOff) {
        this.#missBuf = buf;
        this.#missOff = off;
        return this.#seek(it, t);
      }
      if (it.numSamples > this.#ts.length) {
        this.#ts = new Float64Array(it.numSamples);
        this.#vs = new Float64Array(it.numSamples);
      }
      let n = 0;
      while (it.next() !== 0) {
        this.#ts[n] = it.atT();
        this.#vs[n++] = it.atV();
      }
      this.#n = n;
      this.#keyBuf = buf;
      this.#keyOff = off;
      this.#keyLen = len;
    }
    const i = lowerBound(this.#ts, this.#n, t);
    if (i < this.#n && this.#ts[i] === t) {
      this.v = this.#vs[i];
      return true;
    }
    return false;
  }
}
