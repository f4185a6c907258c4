/**
 * A persistent block, read side. Opening it reads meta.json and the whole index (checksums
 * verified) into a compact in-memory form: symbols once, each series as symbol ids in one
 * Int32Array and its chunk metas in one Float64Array, postings as Int32Arrays. Chunk bytes
 * stay on disk and are read with one positional read each when an iterator reaches them;
 * their CRC is checked then, and a mismatch throws a BlockCorruptError naming the file and
 * marks the block corrupt (the store moves it aside at its next reload).
 *
 * A block is shared by queriers and compactions: acquire() / release() count readers, and
 * close() (the store dropping the block) closes the chunk files only when the last reader
 * is gone. Deleting a block's directory while a reader still holds it is fine on POSIX: the
 * open descriptors keep the data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Labels } from '@edgeprom/shared';
import { ValueType, type Series } from '../storage/interface.js';
import type { Matcher } from '../storage/matcher.js';
import {
  BlockCorruptError,
  checkHeader,
  CHUNK_CRC_BYTES,
  CHUNKS_DIR,
  CHUNKS_MAGIC,
  FILE_HEADER_BYTES,
  INDEX_FILE,
  META_FILE,
  parseMeta,
  Reader,
  SEGMENT_SPLIT,
  segmentFileName,
  TOMBSTONES_FILE,
  type BlockMeta,
} from './block-format.js';
import { CM, decodeChunks, parseIndex, type ParsedIndex } from './block-index.js';
import { BlockSeries } from './block-series.js';
import { XorIterator } from './chunk-xor.js';
import { EMPTY_POSTINGS, postingsForMatchers, type Postings, type PostingsIndex } from './postings.js';
import { Tombstones } from './tombstones.js';
import { BlockTombstonesError, tsdbClosed } from './tsdb-errors.js';
import { crc32 } from './wal-record.js';

const LOOKUP_CACHE_CHUNKS = 2048;
const LOOKUP_CACHE_SERIES = 16_384;

export class Block implements PostingsIndex {
  readonly dir: string;
  readonly meta: BlockMeta;
  /** Bytes of index + chunk files + tombstones. */
  readonly bytes: number;
  readonly tombstones: Tombstones;
  /** Set when a chunk failed its checksum: the store moves the block aside. */
  corrupt: Error | undefined;
  readonly #symbols: string[];
  /**
   * The index's series section as stored (varints: a few bytes per label and per chunk),
   * and where each series' record starts. Decoded on demand: keeping chunk metas as numbers
   * would cost 32 bytes per chunk, per block, for the whole retention.
   */
  readonly #series: Uint8Array;
  readonly #seriesOff: Int32Array;
  readonly #r: Reader;
  readonly #syms: number[] = [];
  readonly #chunkScratch: number[] = [];
  /**
   * Postings of every label pair in one Int32Array; per pair its start in `#postingsData`
   * (its end is the next pair's start: pairs are stored in order, see #postingsEnd). One
   * typed array per pair would cost ~150 bytes each, and most pairs have one series.
   */
  readonly #postings: Map<string, Map<string, number>>;
  readonly #postingsData: Int32Array;
  readonly #postingsEnd: Int32Array;
  readonly #all: Int32Array;
  readonly #fds = new Map<number, number>();
  readonly #segSizes = new Map<number, number>();
  #refs = 0;
  #closing = false;

  private constructor(dir: string, meta: BlockMeta, index: ParsedIndex, tombstones: Tombstones, bytes: number) {
    this.dir = dir;
    this.meta = meta;
    this.#symbols = index.symbols;
    this.#series = index.series;
    this.#seriesOff = index.seriesOff;
    this.#r = new Reader(index.series, path.join(dir, INDEX_FILE), 0, index.series.length);
    this.#postings = index.postings;
    this.#postingsData = index.postingsData;
    this.#postingsEnd = index.postingsEnd;
    this.#all = new Int32Array(index.seriesOff.length).map((_, i) => i);
    this.tombstones = tombstones;
    this.bytes = bytes;
  }

  /**
   * Opens and validates a block directory; throws BlockCorruptError naming the bad file, or
   * BlockTombstonesError when everything but its tombstones file is sound.
   */
  static open(dir: string): Block {
    const metaFile = path.join(dir, META_FILE);
    let metaText: string;
    try {
      metaText = fs.readFileSync(metaFile, 'utf8');
    } catch (e) {
      throw new BlockCorruptError(metaFile, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const meta = parseMeta(metaText, metaFile);
    if (meta.ulid !== path.basename(dir)) {
      throw new BlockCorruptError(metaFile, `ulid ${meta.ulid} does not match the directory name`);
    }
    const indexFile = path.join(dir, INDEX_FILE);
    let indexBuf: Buffer;
    try {
      indexBuf = fs.readFileSync(indexFile);
    } catch (e) {
      throw new BlockCorruptError(indexFile, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const index = parseIndex(indexBuf, indexFile);
    // Tombstones are checked last: a block whose index or chunks are bad is moved aside
    // whatever its tombstones; one with only bad tombstones keeps the store from opening.
    let tombstones: Tombstones;
    let badTombstones: BlockTombstonesError | undefined;
    try {
      tombstones = Tombstones.read(dir);
    } catch (e) {
      const file = e instanceof BlockCorruptError ? e.file : path.join(dir, TOMBSTONES_FILE);
      const why = e instanceof BlockCorruptError ? e.why : e instanceof Error ? e.message : String(e);
      badTombstones = new BlockTombstonesError(meta.ulid, file, why);
      tombstones = new Tombstones();
    }
    let bytes = indexBuf.length + tombstones.fileBytes;
    const block = new Block(dir, meta, index, tombstones, 0);
    // Every referenced segment must exist, start with our header and be long enough.
    try {
      for (const [seg, end] of index.segmentEnds) {
        const file = path.join(dir, CHUNKS_DIR, segmentFileName(seg));
        let size: number;
        try {
          size = fs.statSync(file).size;
        } catch {
          throw new BlockCorruptError(file, 'missing chunk segment');
        }
        if (size < end) throw new BlockCorruptError(file, `truncated: ${size} bytes, chunks reach ${end}`);
        const head = Buffer.alloc(FILE_HEADER_BYTES);
        // Kept open for the block's life: a block deleted (retention, compaction) while a
        // querier still reads it must stay readable, and a deleted file cannot be opened.
        const fd = fs.openSync(file, 'r');
        try {
          fs.readSync(fd, head, 0, FILE_HEADER_BYTES, 0);
          checkHeader(head, file, CHUNKS_MAGIC);
        } catch (e) {
          fs.closeSync(fd);
          throw e;
        }
        block.#fds.set(seg, fd);
        block.#segSizes.set(seg, size);
        bytes += size;
      }
      if (badTombstones !== undefined) throw badTombstones;
    } catch (e) {
      block.#closeFiles();
      throw e;
    }
    (block as { bytes: number }).bytes = bytes;
    return block;
  }

  get minTime(): number {
    return this.meta.minTime;
  }
  /** Exclusive. */
  get maxTime(): number {
    return this.meta.maxTime;
  }
  get numSeries(): number {
    return this.#all.length;
  }

  acquire(): void {
    this.#refs++;
  }

  release(): void {
    this.#refs--;
    if (this.#refs === 0 && this.#closing) this.#closeFiles();
  }

  /** The store is done with the block: close its files once no reader holds it. */
  close(): void {
    this.#closing = true;
    if (this.#refs === 0) this.#closeFiles();
  }

  #closeFiles(): void {
    for (const fd of this.#fds.values()) fs.closeSync(fd);
    this.#fds.clear();
  }

  // PostingsIndex
  postings(name: string, value: string): Postings {
    const p = this.#postings.get(name)?.get(value);
    if (p === undefined) return EMPTY_POSTINGS;
    return this.#postingsData.subarray(p === 0 ? 0 : this.#postingsEnd[p - 1], this.#postingsEnd[p]);
  }
  allPostings(): Postings {
    return this.#all;
  }
  labelValues(name: string): Iterable<string> {
    return this.#postings.get(name)?.keys() ?? [];
  }

  labels(id: number): Labels {
    const syms = this.#labelSyms(id);
    const kv = new Array<string>(syms.length);
    for (let i = 0; i < syms.length; i++) kv[i] = this.#symbols[syms[i]];
    return Labels.fromSortedPairs(kv);
  }

  /** Label symbol ids of a series, name/value pairs (a scratch array: copy to keep). */
  #labelSyms(id: number): number[] {
    const r = this.#r;
    r.pos = this.#seriesOff[id];
    const out = this.#syms;
    out.length = 0;
    const nl = r.uvarint();
    for (let k = 0; k < nl * 2; k++) out.push(r.uvarint());
    return out;
  }

  /** Chunk metas of a series, CM numbers each (a scratch array: copy to keep). */
  #chunksOf(id: number): number[] {
    const r = this.#r;
    r.pos = this.#seriesOff[id];
    const nl = r.uvarint();
    for (let k = 0; k < nl * 2; k++) r.uvarint();
    const out = this.#chunkScratch;
    out.length = 0;
    decodeChunks(r, out);
    return out;
  }

  /** Series matching the matchers with a sample in [mint, maxt], in label order. */
  select(matchers: readonly Matcher[], mint: number, maxt: number): Series[] {
    if (this.maxTime <= mint || this.minTime > maxt) return [];
    const ids = postingsForMatchers(this, matchers);
    const out: Series[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const ch = this.#chunksOf(id);
      const picked: number[] = [];
      for (let o = 0; o < ch.length; o += CM) {
        if (ch[o + 1] < mint || ch[o] > maxt) continue;
        picked.push(ch[o], ch[o + 1], ch[o + 2], ch[o + 3]);
      }
      if (picked.length === 0) continue;
      const s = new BlockSeries(this, this.labels(id), picked, mint, maxt, this.tombstones.get(id));
      if (!s.chunksCoverRange() && !s.hasSample()) continue;
      out.push(s);
    }
    return out;
  }

  /** Series ids matching the matchers (for deletion). */
  matching(matchers: readonly Matcher[]): Postings {
    return postingsForMatchers(this, matchers);
  }

  /**
   * Series matching the matchers with a chunk overlapping [mint, maxt] (chunk granularity,
   * like the head's), or undefined when the whole block is inside the range and all match.
   */
  #idsInRange(matchers: readonly Matcher[] | undefined, mint: number, maxt: number): ArrayLike<number> | undefined {
    const inside = this.minTime >= mint && this.maxTime - 1 <= maxt;
    if (inside && (!matchers || matchers.length === 0)) return undefined;
    const ids = matchers && matchers.length > 0 ? postingsForMatchers(this, matchers) : this.#all;
    if (inside) return ids;
    const out: number[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const ch = this.#chunksOf(id);
      for (let o = 0; o < ch.length; o += CM) {
        if (ch[o + 1] >= mint && ch[o] <= maxt) {
          out.push(id);
          break;
        }
      }
    }
    return out;
  }

  labelNames(matchers?: readonly Matcher[], mint = -Infinity, maxt = Infinity): string[] {
    const ids = this.#idsInRange(matchers, mint, maxt);
    if (ids === undefined) return [...this.#postings.keys()].sort();
    const names = new Set<string>();
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const syms = this.#labelSyms(id);
      for (let i = 0; i < syms.length; i += 2) names.add(this.#symbols[syms[i]]);
    }
    return [...names].sort();
  }

  sortedLabelValues(name: string, matchers?: readonly Matcher[], mint = -Infinity, maxt = Infinity): string[] {
    const ids = this.#idsInRange(matchers, mint, maxt);
    if (ids === undefined) return [...this.labelValues(name)].sort();
    const values = new Set<string>();
    for (let k = 0; k < ids.length; k++) {
      const v = this.labels(ids[k]).get(name);
      if (v !== '') values.add(v);
    }
    return [...values].sort();
  }

  /** The value found by the last successful findSample(). */
  foundV = 0;
  /**
   * What findSample read, by series id: chunk metas and decoded chunks. A replay of buffered
   * samples asks for the chunks of many series in turn, and re-reading (syscall + CRC) and
   * decoding each time dominated. Bounded: cleared past LOOKUP_CACHE_SERIES series or
   * LOOKUP_CACHE_CHUNKS decoded chunks (~2 KiB each).
   */
  readonly #lookup = new Map<number, { metas: number[]; ts: (Float64Array | undefined)[]; vs: (Float64Array | undefined)[] }>();
  #lookupDecoded = 0;
  readonly #lookupIt = new XorIterator();

  /** Recent idOf answers: replays ask for the same series again and again. */
  readonly #idCache = new Map<string, number>();

  /** The id of the series with exactly these labels, or -1 (binary search: ids are in label order). */
  idOf(labels: Labels): number {
    const cached = this.#idCache.get(labels.key);
    if (cached !== undefined) return cached;
    if (this.#idCache.size >= 16_384) this.#idCache.clear();
    const id = this.#search(labels);
    this.#idCache.set(labels.key, id);
    return id;
  }

  #search(labels: Labels): number {
    let lo = 0;
    let hi = this.#all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = Labels.compare(this.labels(mid), labels);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /**
   * Whether the series holds a (not deleted) sample at exactly t; its value is then in
   * foundV. For the head's duplicate check of out-of-order samples older than its floor.
   */
  findSample(labels: Labels, t: number): boolean {
    if (t < this.minTime || t >= this.maxTime) return false;
    const id = this.idOf(labels);
    if (id < 0) return false;
    const d = this.tombstones.get(id);
    if (d !== undefined) for (let i = 0; i < d.length; i += 2) if (t >= d[i] && t <= d[i + 1]) return false;
    let e = this.#lookup.get(id);
    if (e === undefined) {
      if (this.#lookup.size >= LOOKUP_CACHE_SERIES || this.#lookupDecoded >= LOOKUP_CACHE_CHUNKS) {
        this.#lookup.clear();
        this.#lookupDecoded = 0;
      }
      const metas = this.#chunksOf(id).slice();
      e = { metas, ts: new Array(metas.length / CM), vs: new Array(metas.length / CM) };
      this.#lookup.set(id, e);
    }
    const ch = e.metas;
    for (let c = 0; c < ch.length / CM; c++) {
      const o = c * CM;
      if (ch[o + 1] < t) continue;
      if (ch[o] > t) return false;
      let ts = e.ts[c];
      let vs = e.vs[c];
      if (ts === undefined || vs === undefined) {
        const bytes = this.readChunk(ch[o + 2], ch[o + 3]);
        const it = this.#lookupIt.reset(bytes, 0, bytes.length);
        const n = it.numSamples;
        ts = e.ts[c] = new Float64Array(n);
        vs = e.vs[c] = new Float64Array(n);
        for (let i = 0; i < n && it.next() !== ValueType.None; i++) {
          ts[i] = it.atT();
          vs[i] = it.atV();
        }
        this.#lookupDecoded++;
      }
      let lo = 0;
      let hi = ts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ts[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      if (lo < ts.length && ts[lo] === t) {
        this.foundV = vs[lo];
        return true;
      }
      return false;
    }
    return false;
  }



  /** The sample found by the last successful newestSample(). */
  foundT = 0;

  /**
   * Whether the series with these labels has a (not deleted) sample here; the newest one is
   * then in foundT and foundV. For the head's order check of a series it garbage-collected.
   */
  newestSample(labels: Labels): boolean {
    const id = this.idOf(labels);
    if (id < 0) return false;
    const ch = this.#chunksOf(id).slice();
    if (ch.length === 0) return false;
    const it = new BlockSeries(this, this.labels(id), ch, -Infinity, Infinity, this.tombstones.get(id)).iterator();
    let found = false;
    // The last chunk holds the newest sample unless deletions emptied it: then walk it all.
    for (const from of [ch[ch.length - CM], -Infinity]) {
      for (let vt = it.seek(from); vt !== ValueType.None; vt = it.next()) {
        found = true;
        this.foundT = it.atT();
        this.foundV = it.atV();
      }
      if (found || from === -Infinity) break;
    }
    return found;
  }

  /** One chunk's bytes, read from disk and checked. */
  readChunk(ref: number, len: number): Uint8Array {
    const seg = Math.floor(ref / SEGMENT_SPLIT);
    const off = ref % SEGMENT_SPLIT;
    const file = path.join(this.dir, CHUNKS_DIR, segmentFileName(seg));
    const fd = this.#fds.get(seg);
    if (fd === undefined) {
      if (this.#closing) throw tsdbClosed();
      throw new BlockCorruptError(file, 'chunk segment not referenced by the index');
    }
    const buf = Buffer.allocUnsafe(len + CHUNK_CRC_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, off);
    const fail = (why: string): never => {
      const e = new BlockCorruptError(file, why);
      this.corrupt ??= e;
      throw e;
    };
    if (n < buf.length) fail(`chunk at byte ${off} cut short`);
    if (crc32(buf.subarray(0, len)) !== buf.readUInt32BE(len)) fail(`chunk at byte ${off}: checksum mismatch`);
    return buf.subarray(0, len);
  }
}

export { BlockSeries, BlockSeriesIterator } from './block-series.js';
