/**
 * An index of one transaction's pending samples by (series ref, timestamp), so an
 * out-of-order sample can be checked against every sample appended before it in the same
 * transaction, not only against the newest one of its series.
 *
 * Built only when a transaction meets its first out-of-order sample (a scrape of in-order
 * samples never pays for it), from the whole buffer, then kept up to date for every later
 * sample. Open addressing over buffer slot numbers in an Int32Array: the keys are read from
 * the append buffers themselves, so the index holds 4-8 bytes per sample and no objects.
 */
import type { AppendBuffers } from './head-appender.js';

const TWO32 = 2 ** 32;

function hash(ref: number, t: number): number {
  const lo = t | 0;
  const hi = (t / TWO32) | 0;
  let h = Math.imul(ref ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(lo, 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d);
}

export class TxnIndex {
  /** slot + 1, 0 = empty. */
  #table: Int32Array;
  #mask: number;
  #size = 0;

  constructor(expected: number) {
    let cap = 64;
    while (cap < expected * 2) cap *= 2;
    this.#table = new Int32Array(cap);
    this.#mask = cap - 1;
  }

  /** The buffer slot holding (ref, t), or -1. */
  get(buf: AppendBuffers, ref: number, t: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash(ref, t) & mask; ; i = (i + 1) & mask) {
      const e = table[i];
      if (e === 0) return -1;
      if (buf.refs[e - 1] === ref && buf.ts[e - 1] === t) return e - 1;
    }
  }

  /** Adds buffer slot `slot`; its (ref, t) must not be in the index yet. */
  add(buf: AppendBuffers, slot: number): void {
    if ((this.#size + 1) * 2 > this.#table.length) this.#grow(buf);
    this.#put(buf.refs[slot], buf.ts[slot], slot);
    this.#size++;
  }

  #put(ref: number, t: number, slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash(ref, t) & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  #grow(buf: AppendBuffers): void {
    const old = this.#table;
    this.#table = new Int32Array(old.length * 2);
    this.#mask = this.#table.length - 1;
    for (let i = 0; i < old.length; i++) {
      const e = old[i];
      if (e !== 0) this.#put(buf.refs[e - 1], buf.ts[e - 1], e - 1);
    }
  }
}
