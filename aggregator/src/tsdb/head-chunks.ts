/**
 * Where the head keeps its sealed (full, immutable) chunks, and what it remembers about each.
 *
 * Metadata: one 24-byte record per sealed chunk in a pool shared by all series (SealedMeta),
 * linked oldest to newest per series; a series only holds the index of its first record.
 * A JS array of numbers per series cost ~70 B of headers plus 8 B per number (40 B a chunk).
 *
 * Bytes: one of two backends behind HeadChunkStore, chosen by the Head's options:
 *  - MemoryChunks (no directory: tests, in-memory use): exact-size copies in the ChunkArena's
 *    bump-allocated sealed pages, or the open chunk's reservation sealed in place;
 *  - FileChunks (head-chunks-file.ts, `<tsdb>/chunks_head/`): appended to segment files and
 *    read back with positional reads, like Prometheus's memory-mapped head chunks. Only the
 *    open chunk of each series stays on the heap.
 * Every reader of sealed chunk bytes goes through view() (one chunk, decoded at once) or
 * viewMany() (a query snapshot: the bytes it gets stay valid for as long as it holds them).
 */
import { ChunkArena, offsetOf } from './chunk-arena.js';

/** Largest sealed chunk (15 bits of the record); chunkSamples <= 1000 keeps chunks far below. */
export const MAX_SEALED_BYTES = 0x7fff;
/** Locations are below 2^39 (32 bits plus 7 in the record). */
export const MAX_LOCATION = 2 ** 39;

export interface HeadChunkStats {
  /** Whether sealed chunks live in files (chunks_head) rather than on the heap. */
  onDisk: boolean;
  /** Sealed chunks and their bytes. */
  chunks: number;
  bytes: number;
  /** Bytes of segment files (live and released chunks, until a segment is deleted). */
  fileBytes: number;
  segments: number;
  /** Bytes the backend holds on the heap besides the arena (write buffer, unwritten data). */
  residentBytes: number;
  /** Segment writes that failed (their data stays in memory). */
  writeErrors: number;
}

/** A sealed chunk's bytes: `buf` from `at`. */
export interface ChunkView {
  buf: Uint8Array;
  at: number;
}

export interface HeadChunkStore {
  readonly onDisk: boolean;
  /**
   * Stores a sealed chunk copied from `src` at `off`; returns its location. `minT` is the
   * chunk's first timestamp (a file backend groups chunks of a block range in a segment).
   */
  put(src: Uint8Array, off: number, len: number, minT: number): number;
  /**
   * Seals an open chunk that sits in an arena reservation (ChunkArena.reserve) of `size`
   * bytes: in place, or copied out and the reservation given back. Returns its location.
   */
  putReserved(loc: number, size: number, len: number, minT: number): number;
  /** Gives back a sealed chunk (head truncation). */
  release(loc: number, len: number): void;
  /**
   * One chunk's bytes, into `out`. Valid until the next call on this store: decode it at once.
   */
  view(loc: number, len: number, out: ChunkView): void;
  /**
   * Many chunks' bytes for a query snapshot: bufs[i] from offs[i] holds chunk i, and stays
   * valid whatever happens to the store later (truncation, deleted segments).
   */
  viewMany(locs: readonly number[], lens: readonly number[], bufs: Uint8Array[], offs: number[]): void;
  stats(): HeadChunkStats;
  close(): void;
}

/** Sealed chunks as exact-size copies in the arena's sealed pages (the head without a directory). */
export class MemoryChunks implements HeadChunkStore {
  readonly onDisk = false;
  readonly #arena: ChunkArena;
  #chunks = 0;
  #bytes = 0;

  constructor(arena: ChunkArena) {
    this.#arena = arena;
  }

  put(src: Uint8Array, off: number, len: number): number {
    this.#chunks++;
    this.#bytes += len;
    return this.#arena.seal(src, off, len);
  }

  putReserved(loc: number, size: number, len: number): number {
    this.#chunks++;
    this.#bytes += len;
    this.#arena.sealReserved(loc, size, len);
    return loc;
  }

  release(loc: number, len: number): void {
    this.#chunks--;
    this.#bytes -= len;
    this.#arena.releaseSealed(loc, len);
  }

  view(loc: number, _len: number, out: ChunkView): void {
    out.buf = this.#arena.page(loc);
    out.at = offsetOf(loc);
  }

  viewMany(locs: readonly number[], _lens: readonly number[], bufs: Uint8Array[], offs: number[]): void {
    // Sealed pages are never reused: a dropped page lives on as long as a snapshot holds it.
    for (let i = 0; i < locs.length; i++) {
      bufs[i] = this.#arena.page(locs[i]);
      offs[i] = offsetOf(locs[i]);
    }
  }

  stats(): HeadChunkStats {
    return { onDisk: false, chunks: this.#chunks, bytes: this.#bytes, fileBytes: 0, segments: 0, residentBytes: 0, writeErrors: 0 };
  }

  close(): void {}
}

const STRIDE_F = 3; // float64 slots per record (24 bytes)
const STRIDE_U = 6; // uint32 words per record
/** Word 2: maxT - minT. Word 3: next record + 1 (0: none). Word 4: location, low 32 bits. */
const U_SPAN = 2;
const U_NEXT = 3;
const U_LOC = 4;
/** Word 5: byte length (bits 0-14), samples (15-24), location bits 32-38 (25-31). */
const U_PACKED = 5;
const TWO32 = 2 ** 32;

/**
 * Sealed-chunk records: minT (float64), then maxT - minT, the next record of the series, the
 * location, byte length and sample count in four uint32 words. Free records form a list.
 * Chunks span less than the chunk range, which SeriesStore keeps below 2^32 ms.
 */
export class SealedMeta {
  #f = new Float64Array(0);
  #u = new Uint32Array(0);
  #cap = 0;
  /** Records ever handed out (the rest of the capacity is untouched). */
  #used = 0;
  /** First free record + 1 (0: none). */
  #free = 0;
  /** Records in use. */
  count = 0;

  constructor(initial = 1024) {
    this.#grow(initial);
  }

  /** A new record; returns its index. */
  add(minT: number, maxT: number, loc: number, len: number, samples: number): number {
    let i: number;
    if (this.#free !== 0) {
      i = this.#free - 1;
      this.#free = this.#u[i * STRIDE_U + U_NEXT];
    } else {
      if (this.#used === this.#cap) this.#grow(Math.ceil(this.#cap * 1.5));
      i = this.#used++;
    }
    const hi = Math.floor(loc / TWO32);
    this.#f[i * STRIDE_F] = minT;
    const u = i * STRIDE_U;
    this.#u[u + U_SPAN] = maxT - minT;
    this.#u[u + U_NEXT] = 0;
    this.#u[u + U_LOC] = loc - hi * TWO32;
    this.#u[u + U_PACKED] = len | (samples << 15) | (hi << 25);
    this.count++;
    return i;
  }

  /** Gives record i back; returns the next record of its series (-1: none). */
  free(i: number): number {
    const u = i * STRIDE_U;
    const next = this.#u[u + U_NEXT] - 1;
    this.#u[u + U_NEXT] = this.#free;
    this.#free = i + 1;
    this.count--;
    return next;
  }

  minT(i: number): number {
    return this.#f[i * STRIDE_F];
  }
  maxT(i: number): number {
    return this.#f[i * STRIDE_F] + this.#u[i * STRIDE_U + U_SPAN];
  }
  /** The series' next (newer) chunk, or -1. */
  next(i: number): number {
    return this.#u[i * STRIDE_U + U_NEXT] - 1;
  }
  setNext(i: number, next: number): void {
    this.#u[i * STRIDE_U + U_NEXT] = next + 1;
  }
  loc(i: number): number {
    return (this.#u[i * STRIDE_U + U_PACKED] >>> 25) * TWO32 + this.#u[i * STRIDE_U + U_LOC];
  }
  len(i: number): number {
    return this.#u[i * STRIDE_U + U_PACKED] & 0x7fff;
  }
  samples(i: number): number {
    return (this.#u[i * STRIDE_U + U_PACKED] >>> 15) & 0x3ff;
  }

  /** Bytes of the pool (capacity). */
  bytes(): number {
    return this.#cap * STRIDE_F * 8;
  }

  #grow(cap: number): void {
    const f = new Float64Array(cap * STRIDE_F);
    f.set(this.#f);
    this.#f = f;
    this.#u = new Uint32Array(f.buffer);
    this.#cap = cap;
  }
}
