/**
 * The head's series data, laid out for memory and speed rather than as one object per series:
 *
 *  - per-series scalars (last timestamp, last value, encoder state, open-chunk location) sit
 *    in one 64-byte record per series inside a single ArrayBuffer, read through a Float64Array
 *    and a Uint32Array view. A field of a JS object holding a double costs a pointer plus a
 *    boxed number; here it costs 8 bytes and no garbage. One record is one cache line, which
 *    matters: with a typed-array column per field, encoding into 10,000 series touched a
 *    dozen cache lines per sample and ran measurably slower (1.5-1.7 vs 1.9-2.4 M samples/s);
 *  - chunk bytes live in a ChunkArena (see chunk-arena.ts): a series' first open chunk in a
 *    region that grows by doubling; every later one in a reservation sized from the chunk
 *    before it (no region twice its size);
 *  - sealed chunks go to a HeadChunkStore (head-chunks.ts): the arena's sealed pages (a
 *    reservation sealed in place, a region copied), or segment files in `chunks_head/`
 *    (head-chunks-file.ts); each has a 24-byte record in a shared pool (SealedMeta), linked
 *    per series from `#first`;
 *  - the encoder is one XorState/BitWriter pair loaded from the record for each sample.
 *
 * Appending never allocates per sample: it touches the record, the arena page and, every
 * chunkSamples samples, a sealed-chunk record when it seals a chunk.
 *
 * Timestamps must arrive strictly increasing per series; the Head checks that before
 * calling append (and an out-of-order store will take the others).
 */
import { Labels } from '@edgeprom/shared';
import { BitWriter } from './chunk-bits.js';
import { ChunkArena, copyBytes, offsetOf, pageOf, REGION_CLASSES, regionSize } from './chunk-arena.js';
import { CHUNK_HEADER_BYTES, MAX_SAMPLE_BYTES, newXorState, xorAppend } from './chunk-xor.js';
import { MAX_SEALED_BYTES, MemoryChunks, SealedMeta, type HeadChunkStore } from './head-chunks.js';

const NO_REGION = 0xf;
/**
 * Region class of an open chunk in a reservation (ChunkArena.reserve): sized from the
 * series' previous chunk, and sealed where it is. F_REGION then holds
 * `location + reservedBytes * RESERVED_SCALE`.
 */
const RESERVED = 0xe;
const RESERVED_SCALE = 2 ** 40;
/** 1 / RESERVED_SCALE, exact: decoding multiplies and floors (a float `%` is a slow call). */
const RESERVED_UNIT = 2 ** -40;
/** Bytes reserved for an open chunk in F_REGION (0 for a buddy region). */
function reservedOf(region: number): number {
  return Math.floor(region * RESERVED_UNIT);
}
/** Arena location in F_REGION. */
function locationOf(region: number): number {
  return region - Math.floor(region * RESERVED_UNIT) * RESERVED_SCALE;
}
/** Largest reservation; a chunk expected to be larger takes buddy regions. */
const MAX_RESERVE = 4096;
const NO_WINDOW = 63;
const INITIAL_CAPACITY = 1024;

// Record layout, in float64 slots (F_*) and uint32 words (U_*) from the record's start.
const RECORD_BYTES = 64;
const F_STRIDE = RECORD_BYTES / 8;
const U_STRIDE = RECORD_BYTES / 4;
/** Timestamp of the last sample (-Infinity before the first). */
const F_MAX_T = 0;
/** Last value; its bit pattern (words U_LAST_V_LO, U_LAST_V_HI) feeds the XOR encoder. */
const F_LAST_V = 1;
const U_LAST_V_LO = 2;
const U_LAST_V_HI = 3;
/** Delta between the last two timestamps of the open chunk. */
const F_T_DELTA = 2;
/** First timestamp of the open chunk. */
const F_CHUNK_MIN_T = 3;
/** Arena location of the open chunk's region (plus its size when RESERVED). */
const F_REGION = 4;
/** When the open chunk must be cut: the chunk-range boundary after its first sample. */
const F_CHUNK_END = 5;
/** Bits written in the open chunk, counted from the region start. */
const U_BITS = 12;
/**
 * Packed: samples in the open chunk (bits 0-9), XOR window leading (10-15, 63 = no window
 * yet) and trailing (16-21), region size class (22-25, NO_REGION before the first sample).
 */
const U_PACKED = 13;
/** Transaction mark for appenders (see head-appender.ts): appender id, buffer slot. */
const U_TXN_ID = 14;
const U_TXN_IDX = 15;
/** Bit 26 of U_PACKED: the series was garbage-collected (remove()); its ref is never reused. */
const DEAD = 1 << 26;

/** The labels slot of a removed series. */
const REMOVED = Labels.EMPTY;

export class SeriesStore {
  readonly arena = new ChunkArena();
  readonly chunkSamples: number;
  readonly chunkRange: number;
  /** Where sealed chunks' bytes are (read them with chunks.view / viewMany). */
  readonly chunks: HeadChunkStore;
  /** Sealed chunk records; a series' list starts at firstChunk(ref). */
  readonly meta = new SealedMeta();

  /**
   * Number of refs handed out: 0 .. count-1, including removed series (a ref is never
   * reused, so one a caller kept can be recognised as gone); `live` counts the others.
   */
  count = 0;
  #removed = 0;
  #cap = 0;
  readonly labels: Labels[] = [];
  /** Per series: its oldest sealed chunk's record in `meta`, -1 for none. */
  #first = new Int32Array(0);
  #f = new Float64Array(0);
  #u = new Uint32Array(0);
  /** The same records as int32 (the encoder takes the last value's words so: see chunk-xor.ts). */
  #i = new Int32Array(0);

  readonly #st = newXorState();
  readonly #w = new BitWriter();

  /** `chunks` makes the sealed-chunk store (default: in the arena). */
  constructor(chunkSamples: number, chunkRange: number, chunks?: (arena: ChunkArena) => HeadChunkStore) {
    // A sealed chunk's record keeps maxT - minT in 32 bits; chunks span less than the range.
    if (!(chunkRange <= 2 ** 32)) throw new RangeError(`chunkRangeMs must be at most 2^32 (about 49 days), got ${chunkRange}`);
    this.chunkSamples = chunkSamples;
    this.chunkRange = chunkRange;
    this.chunks = chunks === undefined ? new MemoryChunks(this.arena) : chunks(this.arena);
    this.#grow(INITIAL_CAPACITY);
  }

  /** The series' oldest sealed chunk (a record of `meta`, newer ones by meta.next), or -1. */
  firstChunk(ref: number): number {
    return this.#first[ref];
  }

  /** Adds a series without samples; returns its ref. */
  create(labels: Labels): number {
    const ref = this.count;
    // Grow by half: a doubling would leave up to half of a 64-byte record per series unused.
    if (ref === this.#cap) this.#grow(Math.ceil(this.#cap * 1.5));
    this.count++;
    this.labels.push(labels);
    this.#first[ref] = -1;
    this.#f[ref * F_STRIDE + F_MAX_T] = -Infinity;
    this.#u[ref * U_STRIDE + U_PACKED] = NO_REGION << 22;
    return ref;
  }

  /** Series not removed. */
  get live(): number {
    return this.count - this.#removed;
  }

  /** Whether ref is a series of this store that was not removed (any number is safe). */
  isLive(ref: number): boolean {
    return ref >= 0 && ref < this.count && (ref | 0) === ref && (this.#u[ref * U_STRIDE + U_PACKED] & DEAD) === 0;
  }

  /** Whether a live series holds no in-order sample (truncation dropped them all). */
  isEmpty(ref: number): boolean {
    return this.#first[ref] < 0 && this.openSamples(ref) === 0;
  }

  /**
   * Garbage-collects an empty series (isEmpty): its labels are released and the record is
   * marked dead. The record's 64 bytes and its chunk-list and labels slots stay, since refs
   * are dense and never reused; everything else the series held is freed.
   */
  remove(ref: number): void {
    this.labels[ref] = REMOVED;
    this.#f[ref * F_STRIDE + F_MAX_T] = -Infinity;
    this.#u[ref * U_STRIDE + U_PACKED] = DEAD | (NO_REGION << 22);
    this.#removed++;
  }

  maxT(ref: number): number {
    return this.#f[ref * F_STRIDE + F_MAX_T];
  }

  lastV(ref: number): number {
    return this.#f[ref * F_STRIDE + F_LAST_V];
  }

  /** Samples in the open chunk (0 when there is none). */
  openSamples(ref: number): number {
    return this.#u[ref * U_STRIDE + U_PACKED] & 0x3ff;
  }

  /** Bytes used by the open chunk. */
  openBytes(ref: number): number {
    return this.openSamples(ref) > 0 ? (this.#u[ref * U_STRIDE + U_BITS] + 7) >>> 3 : 0;
  }

  /** First timestamp of the open chunk; meaningful only when openSamples(ref) > 0. */
  openMinT(ref: number): number {
    return this.#f[ref * F_STRIDE + F_CHUNK_MIN_T];
  }

  /** Arena location of the open chunk. */
  openLocation(ref: number): number {
    return locationOf(this.#f[ref * F_STRIDE + F_REGION]);
  }

  /** First timestamp of the series (Infinity when it has no samples). */
  minTime(ref: number): number {
    const c = this.#first[ref];
    if (c >= 0) return this.meta.minT(c);
    return this.openSamples(ref) > 0 ? this.openMinT(ref) : Infinity;
  }

  /** The appender currently marking the series, and its buffer slot (see head-appender.ts). */
  txnId(ref: number): number {
    return this.#u[ref * U_STRIDE + U_TXN_ID];
  }
  txnIdx(ref: number): number {
    return this.#u[ref * U_STRIDE + U_TXN_IDX];
  }
  markTxn(ref: number, id: number, idx: number): void {
    this.#u[ref * U_STRIDE + U_TXN_ID] = id;
    this.#u[ref * U_STRIDE + U_TXN_IDX] = idx;
  }
  /** Forgets all marks: appender ids are 32-bit, and a stale mark must never match a new id. */
  clearTxnMarks(): void {
    for (let ref = 0; ref < this.count; ref++) this.#u[ref * U_STRIDE + U_TXN_ID] = 0;
  }

  /** Appends a sample; t must be greater than maxT(ref). */
  append(ref: number, t: number, v: number): void {
    const f = this.#f;
    const u = this.#u;
    const fo = ref * F_STRIDE;
    const uo = ref * U_STRIDE;
    let packed = u[uo + U_PACKED];
    let num = packed & 0x3ff;
    if (num > 0 && (num >= this.chunkSamples || t >= f[fo + F_CHUNK_END])) {
      this.#seal(ref);
      num = 0;
    }
    if (num === 0) {
      this.#openChunk(ref, t);
      packed = u[uo + U_PACKED];
    }
    const cls = (packed >>> 22) & 0xf;
    // Decoded here, not by reservedOf/locationOf: V8 did not inline those here, and a
    // reservation's F_REGION (beyond 2^31) passed to a call is boxed in a new heap number:
    // 16 bytes of garbage per sample, measured.
    let region = f[fo + F_REGION];
    const capacity = cls === RESERVED ? Math.floor(region * RESERVED_UNIT) : regionSize(cls);
    if ((u[uo + U_BITS] >>> 3) + MAX_SAMPLE_BYTES > capacity) {
      this.#growRegion(ref);
      packed = u[uo + U_PACKED];
      region = f[fo + F_REGION];
    }

    const loc = region - Math.floor(region * RESERVED_UNIT) * RESERVED_SCALE;
    const base = offsetOf(loc);
    const st = this.#st;
    const leading = (packed >>> 10) & 0x3f;
    st.num = num;
    st.t = f[fo + F_MAX_T];
    st.tDelta = f[fo + F_T_DELTA];
    st.vHi = this.#i[uo + U_LAST_V_HI];
    st.vLo = this.#i[uo + U_LAST_V_LO];
    st.leading = leading === NO_WINDOW ? 0xff : leading;
    st.trailing = (packed >>> 16) & 0x3f;
    const w = this.#w;
    w.reset(this.arena.pages[pageOf(loc)], base * 8 + u[uo + U_BITS]);
    xorAppend(w, st, base, t, v);

    u[uo + U_BITS] = w.pos - base * 8;
    u[uo + U_PACKED] =
      (packed & 0x3c00000) | st.num | ((st.leading === 0xff ? NO_WINDOW : st.leading) << 10) | (st.trailing << 16);
    f[fo + F_T_DELTA] = st.tDelta;
    f[fo + F_MAX_T] = t;
    f[fo + F_LAST_V] = v;
  }

  #openChunk(ref: number, t: number): void {
    const f = this.#f;
    const u = this.#u;
    let cls = (u[ref * U_STRIDE + U_PACKED] >>> 22) & 0xf;
    const expect = cls === NO_REGION ? this.#expectedBytes(ref) : 0;
    if (expect > 0) {
      cls = RESERVED;
      f[ref * F_STRIDE + F_REGION] = this.arena.reserve(expect) + expect * RESERVED_SCALE;
    } else if (cls === NO_REGION) {
      cls = 0;
      f[ref * F_STRIDE + F_REGION] = this.arena.allocRegion(0);
    }
    u[ref * U_STRIDE + U_BITS] = CHUNK_HEADER_BYTES * 8;
    u[ref * U_STRIDE + U_PACKED] = (cls << 22) | (NO_WINDOW << 10); // no samples, no XOR window
    f[ref * F_STRIDE + F_T_DELTA] = 0;
    f[ref * F_STRIDE + F_CHUNK_MIN_T] = t;
    // Chunks never straddle a chunk-range boundary (the future block boundary), so
    // compaction can hand whole chunks to blocks.
    const range = this.chunkRange;
    f[ref * F_STRIDE + F_CHUNK_END] = Math.floor(t / range) * range + range;
  }

  /**
   * Bytes to reserve for a new open chunk of a series: what its previous chunk took, scaled
   * to chunkSamples, plus an eighth and room for one more sample. 0 (use buddy regions)
   * without a previous chunk or for a large one.
   */
  #expectedBytes(ref: number): number {
    const last = this.#lastChunk(ref);
    if (last < 0) return 0;
    const len = this.meta.len(last);
    const samples = this.meta.samples(last);
    const bytes = Math.ceil(((len * this.chunkSamples) / samples) * (9 / 8)) + MAX_SAMPLE_BYTES;
    return bytes <= MAX_RESERVE ? bytes : 0;
  }

  /** Releases the open chunk's region or reservation. */
  #releaseOpen(ref: number): void {
    const region = this.#f[ref * F_STRIDE + F_REGION];
    const cls = (this.#u[ref * U_STRIDE + U_PACKED] >>> 22) & 0xf;
    if (cls === RESERVED) this.arena.unreserve(locationOf(region), reservedOf(region));
    else this.arena.freeRegion(region, cls);
  }

  /** The series' newest sealed chunk, or -1. */
  #lastChunk(ref: number): number {
    let c = this.#first[ref];
    if (c < 0) return -1;
    for (let n = this.meta.next(c); n >= 0; n = this.meta.next(c)) c = n;
    return c;
  }

  /** Seals the full open chunk into the chunk store: a reservation is handed over, a region copied. */
  #seal(ref: number): void {
    const region = this.#f[ref * F_STRIDE + F_REGION];
    const cls = (this.#u[ref * U_STRIDE + U_PACKED] >>> 22) & 0xf;
    const len = this.openBytes(ref);
    const minT = this.openMinT(ref);
    if (len > MAX_SEALED_BYTES) throw new RangeError(`sealed chunk of ${len} bytes exceeds ${MAX_SEALED_BYTES}`);
    let sealedLoc: number;
    if (cls === RESERVED) {
      sealedLoc = this.chunks.putReserved(locationOf(region), reservedOf(region), len, minT);
    } else {
      sealedLoc = this.chunks.put(this.arena.pages[pageOf(region)], offsetOf(region), len, minT);
      // Give the region back and start the next chunk small: an open chunk then holds about
      // 1.33 times its bytes on average over its life, instead of its largest size throughout.
      this.arena.freeRegion(region, cls);
    }
    const c = this.meta.add(minT, this.maxT(ref), sealedLoc, len, this.openSamples(ref));
    const last = this.#lastChunk(ref);
    if (last < 0) this.#first[ref] = c;
    else this.meta.setNext(last, c);
    this.#u[ref * U_STRIDE + U_PACKED] = NO_REGION << 22;
  }

  /**
   * Drops the chunks of a series that end before `before` (head truncation: they are in a
   * block now); returns the samples dropped. Chunks never straddle a chunk-range boundary, so
   * with `before` on one, nothing at or after it is lost. The series record stays (its last
   * timestamp and value still decide what is in order).
   */
  dropBefore(ref: number, before: number): number {
    let dropped = 0;
    const meta = this.meta;
    let c = this.#first[ref];
    while (c >= 0 && meta.maxT(c) < before) {
      this.chunks.release(meta.loc(c), meta.len(c));
      dropped += meta.samples(c);
      c = meta.free(c);
    }
    this.#first[ref] = c;
    const num = this.openSamples(ref);
    if (num > 0 && this.maxT(ref) < before) {
      dropped += num;
      this.#releaseOpen(ref);
      this.#u[ref * U_STRIDE + U_PACKED] = NO_REGION << 22;
    }
    return dropped;
  }

  /**
   * Moves the open chunk to a larger region: the next size class, or for a chunk that
   * outgrew its reservation, the smallest class that holds a quarter more than it.
   */
  #growRegion(ref: number): void {
    const packed = this.#u[ref * U_STRIDE + U_PACKED];
    const cls = (packed >>> 22) & 0xf;
    const len = (this.#u[ref * U_STRIDE + U_BITS] + 7) >>> 3;
    let next = cls + 1;
    if (cls === RESERVED) {
      next = 0;
      while (next < REGION_CLASSES && regionSize(next) < len + (len >>> 2) + MAX_SAMPLE_BYTES) next++;
    }
    if (next >= REGION_CLASSES) throw new RangeError('open chunk outgrew the largest region');
    const fromLoc = this.openLocation(ref);
    const to = this.arena.allocRegion(next);
    copyBytes(this.arena.pages[pageOf(fromLoc)], offsetOf(fromLoc), this.arena.pages[pageOf(to)], offsetOf(to), len);
    this.#releaseOpen(ref);
    this.#f[ref * F_STRIDE + F_REGION] = to;
    this.#u[ref * U_STRIDE + U_PACKED] = (packed & ~(0xf << 22)) | (next << 22);
  }

  #grow(cap: number): void {
    const f = new Float64Array(cap * F_STRIDE);
    f.set(this.#f);
    this.#f = f;
    this.#u = new Uint32Array(f.buffer);
    this.#i = new Int32Array(f.buffer);
    const first = new Int32Array(cap);
    first.set(this.#first);
    this.#first = first;
    this.#cap = cap;
  }

  /** Bytes held by the records (capacity, not just `count`), sealed-chunk records included. */
  recordBytes(): number {
    return this.#cap * (RECORD_BYTES + 4) + this.meta.bytes();
  }
}
