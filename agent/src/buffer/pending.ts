/**
 * Samples appended since the last flush, as growable typed columns: no object per sample,
 * and values stay in a Float64Array so NaN payloads survive.
 */
import type { ChunkColumns } from './codec.js';

export class Pending {
  n = 0;
  seqs = new Float64Array(256);
  series = new Uint32Array(256);
  timestamps = new Float64Array(256);
  values = new Float64Array(256);

  push(seq: number, seriesId: number, t: number, v: number): void {
    if (this.n === this.seqs.length) this.#grow(this.n * 2);
    const i = this.n++;
    this.seqs[i] = seq;
    this.series[i] = seriesId;
    this.timestamps[i] = t;
    this.values[i] = v;
  }

  /** Hands the current samples over (to a flush) and starts empty. */
  take(): ChunkColumns {
    const out = { n: this.n, seqs: this.seqs, series: this.series, timestamps: this.timestamps, values: this.values };
    this.n = 0;
    const cap = Math.max(256, Math.min(out.seqs.length, 1 << 16));
    this.seqs = new Float64Array(cap);
    this.series = new Uint32Array(cap);
    this.timestamps = new Float64Array(cap);
    this.values = new Float64Array(cap);
    return out;
  }

  /** Puts samples from a failed flush back in front of whatever arrived meanwhile. */
  restore(c: ChunkColumns): void {
    const total = c.n + this.n;
    const grown = new Pending();
    grown.#grow(Math.max(256, total));
    grown.#copy(c, 0, 0, c.n);
    grown.#copy(this, 0, c.n, this.n);
    grown.n = total;
    this.#adopt(grown);
  }

  /** Discards the oldest `k` samples; returns how many went. */
  dropOldest(k: number): number {
    k = Math.min(k, this.n);
    this.seqs.copyWithin(0, k, this.n);
    this.series.copyWithin(0, k, this.n);
    this.timestamps.copyWithin(0, k, this.n);
    this.values.copyWithin(0, k, this.n);
    this.n -= k;
    return k;
  }

  #grow(cap: number): void {
    const next = new Pending();
    next.seqs = new Float64Array(cap);
    next.series = new Uint32Array(cap);
    next.timestamps = new Float64Array(cap);
    next.values = new Float64Array(cap);
    next.#copy(this, 0, 0, this.n);
    next.n = this.n;
    this.#adopt(next);
  }

  #copy(src: ChunkColumns | Pending, from: number, to: number, n: number): void {
    this.seqs.set(src.seqs.subarray(from, from + n), to);
    this.series.set(src.series.subarray(from, from + n), to);
    this.timestamps.set(src.timestamps.subarray(from, from + n), to);
    this.values.set(src.values.subarray(from, from + n), to);
  }

  #adopt(p: Pending): void {
    this.seqs = p.seqs;
    this.series = p.series;
    this.timestamps = p.timestamps;
    this.values = p.values;
    this.n = p.n;
  }
}
