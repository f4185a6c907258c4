/**
 * Reading the head: matchers → postings → series with samples in [mint, maxt], sorted by
 * labels, each a snapshot of its chunks.
 *
 * The snapshot matters because a reader may await between samples while appends go on.
 * Sealed chunks never change: a snapshot gets their bytes from the chunk store in one batch
 * (HeadChunkStore.viewMany: arena pages, referenced, or runs read from chunks_head files
 * into a buffer of its own), so truncation may release them and delete their files under a
 * running query. Open chunks keep growing, move to bigger regions and are cleared when
 * sealed, so their bytes are copied (all of one select's open chunks into a single buffer).
 *
 * A series with out-of-order samples also snapshots its out-of-order chunks (immutable, so
 * referenced) and the in-range part of its out-of-order buffer (copied), and iterates the
 * three runs merged (head-merge.ts).
 */
import { Labels } from '@edgeprom/shared';
import type { Querier, SampleIterator, SelectHints, Series, SeriesSet } from '../storage/interface.js';
import { ValueType } from '../storage/interface.js';
import type { Matcher } from '../storage/matcher.js';
import { querierClosed } from '../storage/errors.js';
import { labelNamesOf, labelValuesOf } from '../storage/label-sets.js';
import { offsetOf } from './chunk-arena.js';
import { XorIterator } from './chunk-xor.js';
import type { Head } from './head.js';
import type { ChunkView } from './head-chunks.js';
import { ArrayIterator, MergeIterator } from './head-merge.js';
import { postingsForMatchers } from './postings.js';
import { lowerBound, OOO_META_STRIDE, type OooSeries } from './ooo-store.js';

/** Numbers per chunk in HeadSeries.meta: byte offset, byte length, minT, maxT. */
const META_STRIDE = 4;

export class HeadQuerier implements Querier {
  readonly mint: number;
  readonly maxt: number;
  readonly #head: Head;
  #closed = false;
  /** Scratch for checking whether a chunk has a sample inside the range. */
  readonly #probe = new XorIterator();
  readonly #view: ChunkView = { buf: new Uint8Array(0), at: 0 };

  constructor(head: Head, mint: number, maxt: number) {
    this.#head = head;
    this.mint = mint;
    this.maxt = maxt;
  }

  select(matchers: readonly Matcher[], _hints?: SelectHints): SeriesSet {
    if (this.#closed) throw querierClosed();
    if (!this.#overlapsHead()) return [];
    const store = this.#head.store;
    const postings = postingsForMatchers(this.#head.index, matchers);
    const picked: number[] = [];
    for (let i = 0; i < postings.length; i++) {
      if (this.#hasSampleInRange(postings[i])) picked.push(postings[i]);
    }
    const labels = store.labels;
    picked.sort((a, b) => Labels.compare(labels[a], labels[b]));
    return this.snapshot(picked);
  }

  /** @internal Snapshots of the given series (which must exist), trimmed to [mint, maxt]. */
  snapshot(picked: readonly number[]): HeadSeries[] {
    const store = this.#head.store;
    const labels = store.labels;
    let openTotal = 0;
    for (const ref of picked) openTotal += this.#openOverlaps(ref) ? store.openBytes(ref) : 0;
    const openCopy = new Uint8Array(openTotal);
    let openPos = 0;
    const out: HeadSeries[] = new Array(picked.length);
    // Sealed chunks in range: their locations and lengths, and where each goes (series, slot).
    const cm = store.meta;
    const locs: number[] = [];
    const lens: number[] = [];
    const dest: HeadSeries[] = [];
    const slot: number[] = [];
    for (let k = 0; k < picked.length; k++) {
      const ref = picked[k];
      const bufs: Uint8Array[] = [];
      const meta: number[] = [];
      for (let c = store.firstChunk(ref); c >= 0; c = cm.next(c)) {
        const cmin = cm.minT(c);
        if (cmin > this.maxt) break;
        const cmax = cm.maxT(c);
        if (cmax < this.mint) continue;
        locs.push(cm.loc(c));
        lens.push(cm.len(c));
        slot.push(bufs.length);
        bufs.push(openCopy); // replaced below
        meta.push(0, cm.len(c), cmin, cmax);
      }
      const sealedCount = bufs.length;
      if (this.#openOverlaps(ref)) {
        const loc = store.openLocation(ref);
        const len = store.openBytes(ref);
        const off = offsetOf(loc);
        openCopy.set(store.arena.page(loc).subarray(off, off + len), openPos);
        bufs.push(openCopy);
        meta.push(openPos, len, store.openMinT(ref), store.maxT(ref));
        openPos += len;
      }
      out[k] = new HeadSeries(labels[ref], bufs, meta, this.mint, this.maxt);
      for (let i = 0; i < sealedCount; i++) dest.push(out[k]);
      const ooo = this.#head.ooo.get(ref);
      if (ooo !== undefined) this.#snapshotOoo(out[k], ooo);
    }
    if (locs.length > 0) {
      const bufs: Uint8Array[] = new Array(locs.length);
      const offs: number[] = new Array(locs.length);
      store.chunks.viewMany(locs, lens, bufs, offs);
      for (let i = 0; i < locs.length; i++) {
        const s = dest[i];
        s.bufs[slot[i]] = bufs[i];
        s.meta[slot[i] * META_STRIDE] = offs[i];
      }
    }
    return out;
  }

  labelNames(matchers?: readonly Matcher[]): string[] {
    if (this.#closed) throw querierClosed();
    if (!this.#overlapsHead()) return [];
    const ix = this.#head.index;
    if (!matchers || matchers.length === 0) return ix.labelNames();
    const labels = this.#head.store.labels;
    return labelNamesOf(Array.from(this.#matchingRefs(matchers), (ref) => labels[ref]));
  }

  labelValues(name: string, matchers?: readonly Matcher[]): string[] {
    if (this.#closed) throw querierClosed();
    if (!this.#overlapsHead()) return [];
    const ix = this.#head.index;
    if (!matchers || matchers.length === 0) return ix.sortedLabelValues(name);
    if (matchers.every((m) => m.name === name)) {
      // Only the label itself is constrained: filter its values, no series needed.
      return ix.sortedLabelValues(name).filter((v) => matchers.every((m) => m.matches(v)));
    }
    const labels = this.#head.store.labels;
    return labelValuesOf(Array.from(this.#matchingRefs(matchers), (ref) => labels[ref]), name);
  }

  close(): void {
    this.#closed = true;
  }

  #snapshotOoo(series: HeadSeries, s: OooSeries): void {
    const { mint, maxt } = this;
    if (s.maxT < mint || s.minT > maxt) return;
    const bufs: Uint8Array[] = [];
    const meta: number[] = [];
    for (let c = 0; c < s.chunks.length; c++) {
      const cmin = s.meta[c * OOO_META_STRIDE];
      const cmax = s.meta[c * OOO_META_STRIDE + 1];
      if (cmax < mint) continue;
      if (cmin > maxt) break;
      bufs.push(s.chunks[c]);
      meta.push(0, s.chunks[c].length, cmin, cmax);
    }
    const from = lowerBound(s.bufT, s.n, mint);
    const to = lowerBound(s.bufT, s.n, maxt + 1);
    if (bufs.length === 0 && from >= to) return;
    series.ooo = new HeadSeries(series.labels, bufs, meta, mint, maxt);
    series.oooT = s.bufT.slice(from, to);
    series.oooV = s.bufV.slice(from, to);
  }

  /** Refs matching the matchers whose time span overlaps the range (head granularity). */
  *#matchingRefs(matchers: readonly Matcher[]): Generator<number> {
    const store = this.#head.store;
    const postings = postingsForMatchers(this.#head.index, matchers);
    for (let i = 0; i < postings.length; i++) {
      const ref = postings[i];
      const ooo = this.#head.ooo.get(ref);
      const last = ooo === undefined || store.maxT(ref) > ooo.maxT ? store.maxT(ref) : ooo.maxT;
      const first = ooo === undefined || store.minTime(ref) < ooo.minT ? store.minTime(ref) : ooo.minT;
      if (last >= this.mint && first <= this.maxt && first !== Infinity) yield ref;
    }
  }

  #overlapsHead(): boolean {
    const head = this.#head;
    return head.numSeries > 0 && head.minTime !== Infinity && head.maxTime >= this.mint && head.minTime <= this.maxt;
  }

  #openOverlaps(ref: number): boolean {
    const store = this.#head.store;
    return store.openSamples(ref) > 0 && store.maxT(ref) >= this.mint && store.openMinT(ref) <= this.maxt;
  }

  /**
   * Whether the series has a sample in [mint, maxt]. Chunk bounds settle it unless the range
   * falls strictly inside one chunk; only then is that chunk decoded.
   */
  #hasSampleInRange(ref: number): boolean {
    if (this.#inOrderSampleInRange(ref)) return true;
    const s = this.#head.ooo.get(ref);
    if (s === undefined || s.maxT < this.mint || s.minT > this.maxt) return false;
    const b = lowerBound(s.bufT, s.n, this.mint);
    if (b < s.n && s.bufT[b] <= this.maxt) return true;
    // Chunks are disjoint: only the first one ending at or after mint can hold the range.
    for (let c = 0; c < s.chunks.length; c++) {
      const cmin = s.meta[c * OOO_META_STRIDE];
      const cmax = s.meta[c * OOO_META_STRIDE + 1];
      if (cmax < this.mint) continue;
      if (cmin > this.maxt) return false;
      if (cmin >= this.mint || cmax <= this.maxt) return true;
      return this.#probeChunk(s.chunks[c], 0, s.chunks[c].length);
    }
    return false;
  }

  #inOrderSampleInRange(ref: number): boolean {
    const store = this.#head.store;
    const { mint, maxt } = this;
    const last = store.maxT(ref);
    const first = store.minTime(ref);
    // A series without samples (its series record replayed, its samples dropped by a
    // checkpoint's mint) has last = -Infinity and first = Infinity: it holds nothing.
    // Nor does one whose chunks were all truncated into blocks (first = Infinity, last kept).
    if (last < mint || first > maxt || last === -Infinity || first === Infinity) return false;
    if (first >= mint || last <= maxt) return true; // the first or the last sample is inside
    const cm = store.meta;
    for (let c = store.firstChunk(ref); c >= 0; c = cm.next(c)) {
      const cmin = cm.minT(c);
      const cmax = cm.maxT(c);
      if (cmax < mint) continue;
      if (cmin > maxt) return false; // the range fell into the gap between two chunks
      if (cmin >= mint || cmax <= maxt) return true;
      const view = this.#view;
      store.chunks.view(cm.loc(c), cm.len(c), view);
      return this.#probeChunk(view.buf, view.at, cm.len(c));
    }
    if (store.openSamples(ref) === 0) return false;
    const cmin = store.openMinT(ref);
    if (cmin > maxt) return false;
    if (cmin >= mint) return true; // its first sample is inside
    const loc = store.openLocation(ref);
    return this.#probeChunk(store.arena.page(loc), offsetOf(loc), store.openBytes(ref));
  }

  #probeChunk(buf: Uint8Array, off: number, len: number): boolean {
    const it = this.#probe.reset(buf, off, len);
    return it.seek(this.mint) !== ValueType.None && it.atT() <= this.maxt;
  }
}

/** One selected series: labels plus the chunks overlapping the querier's range. */
export class HeadSeries implements Series {
  readonly labels: Labels;
  /** @internal Buffer holding each chunk (an arena page, a read buffer or the open-chunk copy). */
  readonly bufs: Uint8Array[];
  /** @internal META_STRIDE numbers per chunk. */
  readonly meta: number[];
  /** @internal */
  readonly mint: number;
  /** @internal */
  readonly maxt: number;
  /** @internal Out-of-order chunks (same layout), if the series has any in range. */
  ooo: HeadSeries | undefined;
  /** @internal Out-of-order buffer samples in range. */
  oooT: Float64Array | undefined;
  oooV: Float64Array | undefined;

  constructor(labels: Labels, bufs: Uint8Array[], meta: number[], mint: number, maxt: number) {
    this.labels = labels;
    this.bufs = bufs;
    this.meta = meta;
    this.mint = mint;
    this.maxt = maxt;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    if (this.ooo !== undefined) {
      const it = reuse instanceof MergedSeriesIterator ? reuse : new MergedSeriesIterator();
      return it.resetSeries(this);
    }
    const it = reuse instanceof HeadSeriesIterator ? reuse : new HeadSeriesIterator();
    return it.reset(this);
  }
}

/** In-order chunks, out-of-order chunks and the out-of-order buffer of one series, merged. */
class MergedSeriesIterator extends MergeIterator {
  readonly #inOrder = new HeadSeriesIterator();
  readonly #oooChunks = new HeadSeriesIterator();
  readonly #oooBuf = new ArrayIterator();
  readonly #ooo = new MergeIterator(this.#oooChunks, this.#oooBuf);

  constructor() {
    super(new ArrayIterator(), new ArrayIterator());
  }

  resetSeries(s: HeadSeries): this {
    this.#oooChunks.reset(s.ooo!);
    this.#oooBuf.reset(s.oooT!, s.oooV!);
    this.#ooo.reset(this.#oooChunks, this.#oooBuf);
    return super.reset(this.#inOrder.reset(s), this.#ooo);
  }
}

/** Walks a HeadSeries chunk by chunk, trimmed to [mint, maxt]. */
export class HeadSeriesIterator implements SampleIterator {
  readonly #xi = new XorIterator();
  #s: HeadSeries | undefined;
  #ci = -1;
  #chunks = 0;
  #hasCur = false;
  #done = false;

  reset(s: HeadSeries): this {
    this.#s = s;
    this.#ci = -1;
    this.#chunks = s.bufs.length;
    this.#hasCur = false;
    this.#done = false;
    return this;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    const s = this.#s!;
    const xi = this.#xi;
    for (;;) {
      if (this.#ci >= 0 && xi.next() !== ValueType.None) {
        const t = xi.atT();
        if (t < s.mint) continue;
        if (t > s.maxt) break;
        this.#hasCur = true;
        return ValueType.Float;
      }
      if (++this.#ci >= this.#chunks) break;
      this.#open(this.#ci);
    }
    return this.#finish();
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    const xi = this.#xi;
    if (this.#hasCur && xi.atT() >= t) return ValueType.Float;
    const s = this.#s!;
    const target = t > s.mint ? t : s.mint;
    if (this.#ci < 0 || s.meta[this.#ci * META_STRIDE + 3] < target) {
      // Skip whole chunks that end before the target without decoding them.
      let ci = this.#ci + 1;
      while (ci < this.#chunks && s.meta[ci * META_STRIDE + 3] < target) ci++;
      if (ci >= this.#chunks) return this.#finish();
      this.#ci = ci;
      this.#open(ci);
    }
    for (;;) {
      if (xi.seek(target) !== ValueType.None) {
        if (xi.atT() > s.maxt) break;
        this.#hasCur = true;
        return ValueType.Float;
      }
      if (++this.#ci >= this.#chunks) break;
      this.#open(this.#ci);
    }
    return this.#finish();
  }

  atT(): number {
    return this.#xi.atT();
  }

  atV(): number {
    return this.#xi.atV();
  }

  #open(ci: number): void {
    const s = this.#s!;
    this.#xi.reset(s.bufs[ci], s.meta[ci * META_STRIDE], s.meta[ci * META_STRIDE + 1]);
  }

  #finish(): ValueType {
    this.#done = true;
    this.#hasCur = false;
    return ValueType.None;
  }
}
