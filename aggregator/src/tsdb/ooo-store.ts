/**
 * The head's out-of-order store, after Prometheus's OOO head chunks: per series that has
 * received samples older than its newest (within the out-of-order window), a small sorted
 * buffer of up to `capacity` samples (Prometheus's out_of_order_cap_max, 32) in typed arrays,
 * and a list of XOR chunks cut from it.
 *
 * Unlike Prometheus, whose OOO chunks may overlap each other, the chunks here are kept sorted
 * and disjoint: when the buffer is full it is merged with the chunks its time span overlaps
 * (and a neighbouring chunk that is not full yet) and the result re-encoded into chunks of up
 * to `chunkSamples`, cut at chunk-range boundaries as in-order chunks are. That keeps the
 * exact-duplicate check (one binary search and one chunk decode) and the query-time merge
 * (one sequential walk) cheap, at the price of re-encoding: a time-ordered replay, what agents
 * send after an outage, re-encodes each sample about twice. Samples scattered at random over
 * a long span would make every cut re-encode all of the series' chunks; so when a cut would
 * re-encode more than GROW_RATIO times the buffer, the buffer grows instead (doubling, up to
 * MAX_BUFFER samples, back to `capacity` after the next cut), which bounds the re-encoding to
 * a few times per sample at the cost of up to 16 KiB of buffer for such a series.
 *
 * Chunks are immutable Uint8Arrays, replaced rather than changed, so a query snapshot can hold
 * on to them. Only series with out-of-order data have an entry; the rest cost one array slot.
 *
 * The store knows nothing of windows or duplicates: the head decides what goes in (and never
 * inserts a timestamp that is already stored), this file keeps it.
 */
import { BitWriter } from './chunk-bits.js';
import { CHUNK_HEADER_BYTES, MAX_SAMPLE_BYTES, newXorState, xorAppend, XorIterator } from './chunk-xor.js';

/** Numbers per chunk in OooSeries.meta: minT, maxT, sample count. */
export const OOO_META_STRIDE = 3;
/** A full buffer grows rather than being cut when a cut would re-encode this many times it. */
const GROW_RATIO = 4;
/** The largest a buffer grows. */
const MAX_BUFFER = 1024;

/** The out-of-order data of one series. Fields are read by the querier of this folder. */
export class OooSeries {
  /** Buffered samples, sorted by t, in [0, n). */
  bufT: Float64Array;
  bufV: Float64Array;
  n = 0;
  /** Sealed chunks, sorted by time and disjoint; meta holds OOO_META_STRIDE numbers each. */
  chunks: Uint8Array[] = [];
  meta: number[] = [];
  /** Oldest and newest out-of-order timestamps of the series. */
  minT = Infinity;
  maxT = -Infinity;

  constructor(capacity: number) {
    this.bufT = new Float64Array(capacity);
    this.bufV = new Float64Array(capacity);
  }

  /** Samples held (buffer and chunks). */
  get samples(): number {
    let n = this.n;
    for (let i = 2; i < this.meta.length; i += OOO_META_STRIDE) n += this.meta[i];
    return n;
  }
}

export interface OooStats {
  series: number;
  samples: number;
  chunks: number;
  chunkBytes: number;
  /** Chunk bytes plus buffers plus estimated object overheads. */
  approxBytes: number;
}

export class OooStore {
  readonly capacity: number;
  readonly chunkSamples: number;
  readonly chunkRange: number;
  /** By head ref; undefined for series without out-of-order samples. */
  readonly series: (OooSeries | undefined)[] = [];
  /** Buffer cuts, samples re-encoded while merging them, buffers grown (self metrics). */
  chunksCut = 0;
  samplesReencoded = 0;
  buffersGrown = 0;

  // Scratch for merging and encoding.
  #mt = new Float64Array(256);
  #mv = new Float64Array(256);
  readonly #it = new XorIterator();
  readonly #w = new BitWriter();
  readonly #st = newXorState();
  #enc: Uint8Array;

  constructor(capacity: number, chunkSamples: number, chunkRange: number) {
    this.capacity = capacity;
    this.chunkSamples = chunkSamples;
    this.chunkRange = chunkRange;
    this.#enc = new Uint8Array(CHUNK_HEADER_BYTES + (chunkSamples + 1) * MAX_SAMPLE_BYTES);
  }

  get(ref: number): OooSeries | undefined {
    return this.series[ref];
  }

  /** Inserts a sample whose timestamp the series does not hold yet (the caller checked). */
  insert(ref: number, t: number, v: number): void {
    let s = this.series[ref];
    if (s === undefined) {
      while (this.series.length <= ref) this.series.push(undefined);
      s = this.series[ref] = new OooSeries(this.capacity);
    }
    if (s.n === s.bufT.length) this.#makeRoom(s);
    const { bufT, bufV } = s;
    let i = s.n;
    if (i > 0 && bufT[i - 1] > t) {
      // Replays arrive mostly in time order, so this is the rare path.
      i = lowerBound(bufT, s.n, t);
      bufT.copyWithin(i + 1, i, s.n);
      bufV.copyWithin(i + 1, i, s.n);
    }
    bufT[i] = t;
    bufV[i] = v;
    s.n++;
    if (t < s.minT) s.minT = t;
    if (t > s.maxT) s.maxT = t;
  }

  /** A full buffer: cut it into chunks, or grow it if that would re-encode too much. */
  #makeRoom(s: OooSeries): void {
    const { meta, chunks } = s;
    const nChunks = chunks.length;
    const bMin = s.bufT[0];
    const bMax = s.bufT[s.n - 1];
    // Chunks overlapping [bMin, bMax] are contiguous, since chunks are disjoint and sorted.
    let lo = 0;
    while (lo < nChunks && meta[lo * OOO_META_STRIDE + 1] < bMin) lo++;
    let hi = lo;
    while (hi < nChunks && meta[hi * OOO_META_STRIDE] <= bMax) hi++;
    // Absorb a neighbour that is not full, so time-ordered replays do not leave 32-sample chunks.
    if (lo > 0 && meta[(lo - 1) * OOO_META_STRIDE + 2] < this.chunkSamples) lo--;
    if (hi < nChunks && meta[hi * OOO_META_STRIDE + 2] < this.chunkSamples) hi++;
    let total = s.n;
    for (let c = lo; c < hi; c++) total += meta[c * OOO_META_STRIDE + 2];
    if (total - s.n > GROW_RATIO * s.n && s.n < MAX_BUFFER) {
      const size = Math.min(MAX_BUFFER, s.n * 2);
      const t = new Float64Array(size);
      const v = new Float64Array(size);
      t.set(s.bufT);
      v.set(s.bufV);
      s.bufT = t;
      s.bufV = v;
      this.buffersGrown++;
      return;
    }
    this.#cut(s, lo, hi, total);
    if (s.bufT.length > this.capacity) {
      s.bufT = new Float64Array(this.capacity);
      s.bufV = new Float64Array(this.capacity);
    }
  }

  /** Merges the full buffer with chunks [lo, hi) (`total` samples in all); see the file comment. */
  #cut(s: OooSeries, lo: number, hi: number, total: number): void {
    const { meta, chunks } = s;
    if (total > this.#mt.length) {
      let size = this.#mt.length * 2;
      while (size < total) size *= 2;
      this.#mt = new Float64Array(size);
      this.#mv = new Float64Array(size);
    }
    const mt = this.#mt;
    const mv = this.#mv;
    // Merge the decoded chunks (one sorted run) with the buffer (another).
    let k = 0;
    let b = 0;
    const it = this.#it;
    for (let c = lo; c < hi; c++) {
      const chunk = chunks[c];
      it.reset(chunk, 0, chunk.length);
      while (it.next() !== 0) {
        const t = it.atT();
        while (b < s.n && s.bufT[b] < t) {
          mt[k] = s.bufT[b];
          mv[k++] = s.bufV[b++];
        }
        mt[k] = t;
        mv[k++] = it.atV();
      }
    }
    while (b < s.n) {
      mt[k] = s.bufT[b];
      mv[k++] = s.bufV[b++];
    }
    this.samplesReencoded += k - s.n;

    const newChunks: Uint8Array[] = [];
    const newMeta: number[] = [];
    const range = this.chunkRange;
    for (let from = 0; from < k; ) {
      const end = Math.floor(mt[from] / range) * range + range;
      let to = from + 1;
      while (to < k && to - from < this.chunkSamples && mt[to] < end) to++;
      newChunks.push(this.#encode(mt, mv, from, to));
      newMeta.push(mt[from], mt[to - 1], to - from);
      from = to;
    }
    chunks.splice(lo, hi - lo, ...newChunks);
    meta.splice(lo * OOO_META_STRIDE, (hi - lo) * OOO_META_STRIDE, ...newMeta);
    s.n = 0;
    this.chunksCut++;
  }

  #encode(ts: Float64Array, vs: Float64Array, from: number, to: number): Uint8Array {
    const buf = this.#enc;
    buf.fill(0);
    const w = this.#w;
    const st = this.#st;
    st.num = 0;
    st.leading = 0xff;
    st.trailing = 0;
    w.reset(buf, CHUNK_HEADER_BYTES * 8);
    for (let i = from; i < to; i++) xorAppend(w, st, 0, ts[i], vs[i]);
    return buf.slice(0, (w.pos + 7) >>> 3);
  }

  /**
   * Drops a series' out-of-order samples older than `before` (head truncation); returns how
   * many. A chunk straddling `before` (only possible when it is not on a chunk-range
   * boundary) is kept whole.
   */
  dropBefore(ref: number, before: number): number {
    const s = this.series[ref];
    if (s === undefined || s.minT >= before) return 0;
    let dropped = 0;
    let k = 0;
    while (k < s.chunks.length && s.meta[k * OOO_META_STRIDE + 1] < before) {
      dropped += s.meta[k * OOO_META_STRIDE + 2];
      k++;
    }
    if (k > 0) {
      s.chunks.splice(0, k);
      s.meta.splice(0, k * OOO_META_STRIDE);
    }
    const b = lowerBound(s.bufT, s.n, before);
    if (b > 0) {
      s.bufT.copyWithin(0, b, s.n);
      s.bufV.copyWithin(0, b, s.n);
      s.n -= b;
      dropped += b;
    }
    if (s.chunks.length === 0 && s.n === 0) {
      this.series[ref] = undefined;
      return dropped;
    }
    const c0 = s.chunks.length > 0 ? s.meta[0] : Infinity;
    const b0 = s.n > 0 ? s.bufT[0] : Infinity;
    s.minT = Math.min(c0, b0);
    return dropped;
  }

  stats(): OooStats {
    const st: OooStats = { series: 0, samples: 0, chunks: 0, chunkBytes: 0, approxBytes: 0 };
    for (const s of this.series) {
      if (s === undefined) continue;
      st.series++;
      st.samples += s.samples;
      st.chunks += s.chunks.length;
      for (const c of s.chunks) st.chunkBytes += c.length;
      // Object, two buffers with their typed-array headers, two lists; ~200 B per chunk array.
      st.approxBytes += 64 + 2 * (s.bufT.length * 8 + 200) + 64 + s.meta.length * 8 + s.chunks.length * 8;
    }
    st.approxBytes += st.chunkBytes + st.chunks * 200;
    return st;
  }
}

/** First index in ts[0, n) with ts[i] >= t. */
export function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the chunk whose [minT, maxT] holds t, or -1 (meta in OOO_META_STRIDE). */
export function chunkFor(meta: number[], t: number): number {
  let lo = 0;
  let hi = meta.length / OOO_META_STRIDE;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (meta[mid * OOO_META_STRIDE + 1] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo < meta.length / OOO_META_STRIDE && meta[lo * OOO_META_STRIDE] <= t ? lo : -1;
}
