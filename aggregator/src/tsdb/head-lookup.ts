/**
 * Point lookups in the head: is there a sample of series `ref` at exactly `t`, and with which
 * value? The out-of-order path needs this for every sample it takes, because a timestamp
 * must be stored once only: repeating a stored sample exactly is a no-op (idempotent
 * replays), a different value at a stored timestamp is refused, wherever the stored one
 * sits (open or sealed in-order chunk, out-of-order buffer or chunk).
 *
 * A replay checks timestamps in runs that fall into the same chunk, so a sealed chunk asked
 * for twice in a row is kept decoded (one entry: a lookup is then a binary search); a chunk
 * asked for once is only decoded up to t. Sealed chunks never change, so (series, first
 * timestamp) identifies an in-order one and its array an out-of-order one (their bytes may
 * come from a reused read buffer); the open chunk does change and is always decoded afresh
 * (it holds at most chunkSamples samples).
 */
import { offsetOf } from './chunk-arena.js';
import { XorIterator } from './chunk-xor.js';
import type { ChunkView } from './head-chunks.js';
import type { SeriesStore } from './head-series.js';
import { chunkFor, lowerBound, OOO_META_STRIDE, type OooStore } from './ooo-store.js';

export class HeadLookup {
  readonly #store: SeriesStore;
  readonly #ooo: OooStore;
  readonly #it = new XorIterator();
  readonly #view: ChunkView = { buf: new Uint8Array(0), at: 0 };
  // The decoded chunk: which chunk it is (series ref or out-of-order chunk, first timestamp).
  #key: unknown = undefined;
  #keyT = NaN;
  #ts = new Float64Array(128);
  #vs = new Float64Array(128);
  #n = 0;
  // The chunk of the previous lookup that missed the cache.
  #miss: unknown = undefined;
  #missT = NaN;
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
    if (store.openSamples(ref) > 0 && t >= store.openMinT(ref)) {
      const loc = store.openLocation(ref);
      const it = this.#it.reset(store.arena.page(loc), offsetOf(loc), store.openBytes(ref));
      return this.#seek(it, t);
    }
    // The sealed chunks, oldest first: the first one ending at or after t.
    const cm = store.meta;
    let c = store.firstChunk(ref);
    while (c >= 0 && cm.maxT(c) < t) c = cm.next(c);
    if (c < 0 || cm.minT(c) > t) return false;
    return this.#cached(ref, cm.minT(c), cm.loc(c), cm.len(c), t);
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
    return s.meta[c * OOO_META_STRIDE + 2] > 0 && this.#cached(chunk, 0, -1, chunk.length, t);
  }

  #seek(it: XorIterator, t: number): boolean {
    if (it.seek(t) !== 0 && it.atT() === t) {
      this.v = it.atV();
      return true;
    }
    return false;
  }

  /**
   * Looks t up in a sealed chunk: an in-order one (key = series ref, keyT = its first
   * timestamp, at chunk-store location `loc`) or an out-of-order one (key = its bytes, loc -1).
   */
  #cached(key: number | Uint8Array, keyT: number, loc: number, len: number, t: number): boolean {
    if (key !== this.#key || keyT !== this.#keyT) {
      let buf: Uint8Array;
      let off = 0;
      if (loc < 0) buf = key as Uint8Array;
      else {
        this.#store.chunks.view(loc, len, this.#view);
        buf = this.#view.buf;
        off = this.#view.at;
      }
      const it = this.#it.reset(buf, off, len);
      if (key !== this.#miss || keyT !== this.#missT) {
        this.#miss = key;
        this.#missT = keyT;
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
      this.#key = key;
      this.#keyT = keyT;
    }
    const i = lowerBound(this.#ts, this.#n, t);
    if (i < this.#n && this.#ts[i] === t) {
      this.v = this.#vs[i];
      return true;
    }
    return false;
  }
}
