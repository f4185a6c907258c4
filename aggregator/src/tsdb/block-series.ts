/**
 * A block's series as queries see them: a label set, the chunk metas overlapping the query
 * range, and an iterator that reads each chunk from disk when it reaches it (Block.readChunk)
 * and skips deleted intervals.
 */
import type { Labels } from '@edgeprom/shared';
import { ValueType, type SampleIterator, type Series } from '../storage/interface.js';
import type { Block } from './block.js';
import { CM } from './block-index.js';
import { XorIterator } from './chunk-xor.js';

/** One series of a block, restricted to [mint, maxt] and minus its deleted intervals. */
export class BlockSeries implements Series {
  constructor(
    readonly block: Block,
    readonly labels: Labels,
    /** CM numbers per chunk overlapping the range. */
    readonly chunks: number[],
    readonly mint: number,
    readonly maxt: number,
    readonly deleted: readonly number[] | undefined,
  ) {}

  /** Bounds alone prove a sample in range (no tombstones, a chunk edge inside it). */
  chunksCoverRange(): boolean {
    if (this.deleted !== undefined) return false;
    const c = this.chunks;
    for (let i = 0; i < c.length; i += CM) if (c[i] >= this.mint || c[i + 1] <= this.maxt) return true;
    return false;
  }

  hasSample(): boolean {
    return this.iterator().next() !== ValueType.None;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof BlockSeriesIterator ? reuse : new BlockSeriesIterator();
    return it.reset(this);
  }
}

/** Walks a block series chunk by chunk, reading each from disk when reached. */
export class BlockSeriesIterator implements SampleIterator {
  readonly #xi = new XorIterator();
  #s!: BlockSeries;
  #ci = -1;
  #cur = false;
  #done = false;

  reset(s: BlockSeries): this {
    this.#s = s;
    this.#ci = -1;
    this.#cur = false;
    this.#done = false;
    return this;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    for (;;) {
      if (this.#ci >= 0 && this.#xi.next() !== ValueType.None) {
        const t = this.#xi.atT();
        if (t < this.#s.mint || this.#isDeleted(t)) continue;
        if (t > this.#s.maxt) return this.#finish();
        this.#cur = true;
        return ValueType.Float;
      }
      if (!this.#open(this.#ci + 1)) return this.#finish();
    }
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#cur && this.#xi.atT() >= t) return ValueType.Float;
    const c = this.#s.chunks;
    let ci = this.#ci;
    if (ci < 0 || c[ci * CM + 1] < t) {
      ci = Math.max(ci + 1, 0);
      while (ci * CM < c.length && c[ci * CM + 1] < t) ci++;
      if (!this.#open(ci)) return this.#finish();
    }
    if (this.#xi.seek(t) === ValueType.None) return this.next();
    const x = this.#xi.atT();
    if (x < this.#s.mint || this.#isDeleted(x)) return this.next();
    if (x > this.#s.maxt) return this.#finish();
    this.#cur = true;
    return ValueType.Float;
  }

  atT(): number {
    return this.#xi.atT();
  }
  atV(): number {
    return this.#xi.atV();
  }

  #open(ci: number): boolean {
    const c = this.#s.chunks;
    if (ci * CM >= c.length) return false;
    this.#ci = ci;
    const bytes = this.#s.block.readChunk(c[ci * CM + 2], c[ci * CM + 3]);
    this.#xi.reset(bytes, 0, bytes.length);
    return true;
  }

  #isDeleted(t: number): boolean {
    const d = this.#s.deleted;
    if (d === undefined) return false;
    for (let i = 0; i < d.length; i += 2) if (t >= d[i] && t <= d[i + 1]) return true;
    return false;
  }

  #finish(): ValueType {
    this.#done = true;
    this.#cur = false;
    return ValueType.None;
  }
}
