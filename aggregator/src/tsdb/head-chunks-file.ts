/**
 * Sealed head chunks in files (`<tsdb>/chunks_head/`), as Prometheus's memory-mapped head
 * chunks: the heap keeps only each series' open chunk and 24 bytes per sealed one.
 *
 * Format: a segment `NNNNNNNN` (sequence number, 8 digits) is an 8-byte header (`EPHC`,
 * version byte 1, 3 zero bytes) followed by raw chunk bytes, back to back. Nothing in the file
 * says where a chunk starts: the head's records hold each chunk's location and length. The
 * files are a cache of what the WAL holds, never read back after a restart: opening deletes
 * them and WAL replay writes them anew, so they need no checksums and no fsync.
 *
 * Writing: chunks are copied into a write buffer, written at the segment's end when it is
 * full (one write per 64 KiB by default). A segment holds the chunks of one block range (it
 * is cut when a chunk of a later range arrives, or at `segmentBytes`), so head truncation,
 * which releases a range's chunks, empties whole segments: a segment whose chunks were all
 * released is closed and deleted. A failed write (disk full) keeps that buffer's bytes in
 * memory, read from there; it is logged and counted, and nothing is lost.
 *
 * Reading: view() reads one chunk with a positional read into a scratch buffer (or serves it
 * from the write buffer); viewMany() sorts a snapshot's chunks by location and reads runs of
 * neighbouring chunks with one read each into one buffer that the snapshot owns, so a
 * segment can be deleted under a running query.
 *
 * Location: segment slot (12 bits) * 2^27 + offset; a segment is at most 128 MiB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ChunkArena, copyBytes, offsetOf } from './chunk-arena.js';
import { MemoryChunks, type ChunkView, type HeadChunkStats, type HeadChunkStore } from './head-chunks.js';
import type { TsdbLogger } from './wal-writer.js';

const OFFSET_BITS = 27;
const SEG_SCALE = 2 ** OFFSET_BITS;
export const MAX_SEGMENT_BYTES = SEG_SCALE;
const SLOTS = 4096;
const HEADER = Uint8Array.from([0x45, 0x50, 0x48, 0x43, 1, 0, 0, 0]); // "EPHC", version 1
export const HEADER_BYTES = HEADER.length;
/** Neighbouring chunks closer than this are read with one read (the gap is read too). */
const READ_GAP = 4096;
const MAX_RUN = 1 << 20;
const SEGMENT_NAME = /^\d{8}$/;

export interface FileChunksOptions {
  dir: string;
  /** Chunk range of the head (ms): a segment holds chunks of one range. */
  chunkRange: number;
  logger: TsdbLogger;
  /** Largest segment. Default 128 MiB (also the most). */
  segmentBytes?: number;
  /** Write buffer. Default 64 KiB. */
  writeBufferBytes?: number;
}

interface Segment {
  seq: number;
  slot: number;
  file: string;
  fd: number;
  /** Bytes appended so far (header included), written or in the write buffer. */
  size: number;
  /** Bytes of chunks not released. */
  live: number;
  /** Newest block range (floor(minT / chunkRange)) of its chunks. */
  range: number;
  /** Bytes whose write failed, by offset (sorted by offset): served from memory. */
  unwritten: { off: number; bytes: Uint8Array }[];
}

export class FileChunks implements HeadChunkStore {
  readonly onDisk = true;
  readonly dir: string;
  readonly #arena: ChunkArena;
  readonly #chunkRange: number;
  readonly #logger: TsdbLogger;
  readonly #segmentBytes: number;
  readonly #slots: (Segment | undefined)[] = new Array(SLOTS).fill(undefined);
  #nextSlot = 0;
  #nextSeq = 1;
  #cur: Segment | undefined;
  #segments = 0;
  #fileBytes = 0;
  #buf: Uint8Array;
  /** Segment offset of #buf[0], and bytes in it. */
  #bufStart = 0;
  #bufLen = 0;
  #scratch = new Uint8Array(1024);
  #chunks = 0;
  #bytes = 0;
  #writeErrors = 0;
  #unwrittenBytes = 0;
  #closed = false;

  /**
   * Opens `dir` for a new head: creates it, and deletes the segments a previous run left
   * (the WAL replay that follows writes them again). Throws if the directory cannot be made.
   */
  constructor(arena: ChunkArena, opts: FileChunksOptions) {
    this.#arena = arena;
    this.dir = opts.dir;
    this.#chunkRange = opts.chunkRange;
    this.#logger = opts.logger;
    const seg = opts.segmentBytes ?? MAX_SEGMENT_BYTES;
    if (!Number.isInteger(seg) || seg < 64 * 1024 || seg > MAX_SEGMENT_BYTES) {
      throw new RangeError(`chunks_head segmentBytes must be an integer in [65536, ${MAX_SEGMENT_BYTES}], got ${seg}`);
    }
    this.#segmentBytes = seg;
    const wb = opts.writeBufferBytes ?? 64 * 1024;
    if (!Number.isInteger(wb) || wb < 32 * 1024 || wb > seg) {
      throw new RangeError(`chunks_head writeBufferBytes must be an integer in [32768, segmentBytes], got ${wb}`);
    }
    this.#buf = new Uint8Array(wb);
    cleanDir(this.dir, this.#logger);
  }

  put(src: Uint8Array, off: number, len: number, minT: number): number {
    if (this.#closed) throw new Error(`chunks_head ${this.dir}: store closed`);
    const range = Math.floor(minT / this.#chunkRange);
    let seg = this.#cur;
    if (seg === undefined || (range > seg.range && seg.size > HEADER_BYTES) || seg.size + len > this.#segmentBytes) {
      seg = this.#cut(range);
    }
    if (range > seg.range) seg.range = range;
    if (this.#bufLen + len > this.#buf.length) this.#flush();
    const at = seg.size;
    copyBytes(src, off, this.#buf, this.#bufLen, len);
    this.#bufLen += len;
    seg.size += len;
    seg.live += len;
    this.#fileBytes += len;
    this.#chunks++;
    this.#bytes += len;
    return seg.slot * SEG_SCALE + at;
  }

  putReserved(loc: number, size: number, len: number, minT: number): number {
    const at = this.put(this.#arena.page(loc), offsetOf(loc), len, minT);
    this.#arena.unreserve(loc, size);
    return at;
  }

  release(loc: number, len: number): void {
    const seg = this.#slots[Math.floor(loc / SEG_SCALE)];
    if (seg === undefined) throw new Error(`chunks_head: release of chunk ${loc} in no segment`);
    seg.live -= len;
    this.#chunks--;
    this.#bytes -= len;
    // The segment being written too: its buffered bytes are all dead, and the next put starts
    // a new one. Kept, it would sit on disk full of dead chunks (an import that ends with
    // everything in blocks left a 57 MiB file until the next open).
    if (seg.live === 0) this.#delete(seg);
  }

  view(loc: number, len: number, out: ChunkView): void {
    const seg = this.#segment(loc);
    const off = loc - seg.slot * SEG_SCALE;
    if (seg === this.#cur && off >= this.#bufStart) {
      out.buf = this.#buf;
      out.at = off - this.#bufStart;
      return;
    }
    if (this.#scratch.length < len) this.#scratch = new Uint8Array(Math.max(len, this.#scratch.length * 2));
    this.#read(seg, off, off + len, this.#scratch, 0);
    out.buf = this.#scratch;
    out.at = 0;
  }

  viewMany(locs: readonly number[], lens: readonly number[], bufs: Uint8Array[], offs: number[]): void {
    const n = locs.length;
    if (n === 0) return;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => locs[a] - locs[b]);
    // Runs of neighbouring chunks in one segment: [start, end) offsets, chunk order indices.
    const runStart: number[] = [];
    const runEnd: number[] = [];
    const runFirst: number[] = [];
    let total = 0;
    for (let k = 0; k < n; k++) {
      const loc = locs[order[k]];
      const end = loc + lens[order[k]];
      const last = runStart.length - 1;
      if (
        last >= 0 &&
        Math.floor(loc / SEG_SCALE) === Math.floor(runStart[last] / SEG_SCALE) &&
        loc - runEnd[last] <= READ_GAP &&
        end - runStart[last] <= MAX_RUN
      ) {
        if (end > runEnd[last]) {
          total += end - runEnd[last];
          runEnd[last] = end;
        }
      } else {
        runStart.push(loc);
        runEnd.push(end);
        runFirst.push(k);
        total += end - loc;
      }
    }
    // Buffers of at most MAX_RUN bytes (one for a small select): a head cut reads a whole
    // block range, which must not need one huge allocation.
    let dst = new Uint8Array(0);
    let pos = 0;
    for (let r = 0; r < runStart.length; r++) {
      const size = runEnd[r] - runStart[r];
      if (pos + size > dst.length) {
        dst = new Uint8Array(Math.max(size, Math.min(total, MAX_RUN)));
        pos = 0;
      }
      total -= size;
      const seg = this.#segment(runStart[r]);
      const base = seg.slot * SEG_SCALE;
      this.#read(seg, runStart[r] - base, runEnd[r] - base, dst, pos);
      const last = r + 1 < runStart.length ? runFirst[r + 1] : n;
      for (let k = runFirst[r]; k < last; k++) {
        bufs[order[k]] = dst;
        offs[order[k]] = pos + (locs[order[k]] - runStart[r]);
      }
      pos += size;
    }
  }

  stats(): HeadChunkStats {
    return {
      onDisk: true,
      chunks: this.#chunks,
      bytes: this.#bytes,
      fileBytes: this.#fileBytes,
      segments: this.#segments,
      residentBytes: this.#buf.length + this.#scratch.length + this.#unwrittenBytes,
      writeErrors: this.#writeErrors,
    };
  }

  /** Writes what is buffered and closes the files (they stay: the next open deletes them). */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    for (const seg of this.#slots) {
      if (seg === undefined) continue;
      try {
        fs.closeSync(seg.fd);
      } catch {
        // already closed
      }
    }
  }

  /** Reads segment bytes [from, to) into dst at pos: from the file, unwritten data or the write buffer. */
  #read(seg: Segment, from: number, to: number, dst: Uint8Array, pos: number): void {
    let p = from;
    while (p < to) {
      if (seg === this.#cur && p >= this.#bufStart) {
        dst.set(this.#buf.subarray(p - this.#bufStart, to - this.#bufStart), pos + (p - from));
        return;
      }
      let stop = seg === this.#cur && to > this.#bufStart ? this.#bufStart : to;
      for (const u of seg.unwritten) {
        if (p >= u.off && p < u.off + u.bytes.length) {
          const end = Math.min(stop, u.off + u.bytes.length);
          dst.set(u.bytes.subarray(p - u.off, end - u.off), pos + (p - from));
          p = end;
          stop = -1;
          break;
        }
        if (u.off > p && u.off < stop) stop = u.off;
      }
      if (stop < 0) continue;
      let got: number;
      try {
        got = fs.readSync(seg.fd, dst, pos + (p - from), stop - p, p);
      } catch (e) {
        throw new Error(`chunks_head ${seg.file}: read of ${stop - p} bytes at ${p} failed: ${(e as Error).message}`);
      }
      if (got <= 0) {
        throw new Error(`chunks_head ${seg.file}: ${stop - p} bytes at ${p} missing (file size ${fileSize(seg.file)})`);
      }
      p += got;
    }
  }

  #segment(loc: number): Segment {
    const seg = this.#slots[Math.floor(loc / SEG_SCALE)];
    if (seg === undefined) throw new Error(`chunks_head: chunk location ${loc} is in no live segment`);
    return seg;
  }

  /** Starts a new segment; the current one keeps its file for reads until its chunks are released. */
  #cut(range: number): Segment {
    const old = this.#cur;
    if (old !== undefined) {
      this.#flush();
      if (old.live === 0) this.#delete(old);
    }
    let slot = this.#nextSlot;
    for (let k = 0; this.#slots[slot] !== undefined; k++) {
      if (k === SLOTS) throw new Error(`chunks_head ${this.dir}: more than ${SLOTS} live segments`);
      slot = (slot + 1) % SLOTS;
    }
    this.#nextSlot = (slot + 1) % SLOTS;
    const seq = this.#nextSeq++;
    const file = path.join(this.dir, String(seq).padStart(8, '0'));
    let fd = -1;
    try {
      fd = fs.openSync(file, 'w+');
    } catch (e) {
      // Every write to it fails too: its chunks stay in memory (see #flush).
      this.#logger.error({ file, err: (e as Error).message }, 'creating a head chunks segment failed');
    }
    const seg: Segment = { seq, slot, file, fd, size: HEADER_BYTES, live: 0, range, unwritten: [] };
    this.#slots[slot] = seg;
    this.#segments++;
    this.#cur = seg;
    this.#bufStart = 0;
    this.#bufLen = 0;
    this.#buf.set(HEADER);
    this.#bufLen = HEADER_BYTES;
    this.#fileBytes += HEADER_BYTES;
    return seg;
  }

  #flush(): void {
    const seg = this.#cur;
    if (seg === undefined || this.#bufLen === 0) return;
    try {
      let done = 0;
      while (done < this.#bufLen) {
        done += fs.writeSync(seg.fd, this.#buf, done, this.#bufLen - done, this.#bufStart + done);
      }
    } catch (e) {
      // The WAL has these samples; keep the bytes in memory so the head stays whole.
      const bytes = this.#buf.slice(0, this.#bufLen);
      seg.unwritten.push({ off: this.#bufStart, bytes });
      this.#unwrittenBytes += bytes.length;
      this.#writeErrors++;
      // Once per segment: a full disk fails every write until space is freed.
      if (seg.unwritten.length === 1) {
        this.#logger.error(
          { file: seg.file, bytes: bytes.length, err: (e as Error).message },
          'writing head chunks failed; they stay in memory (logged once per segment)',
        );
      }
    }
    this.#bufStart += this.#bufLen;
    this.#bufLen = 0;
  }

  #delete(seg: Segment): void {
    this.#slots[seg.slot] = undefined;
    this.#segments--;
    this.#fileBytes -= seg.size;
    for (const u of seg.unwritten) this.#unwrittenBytes -= u.bytes.length;
    if (this.#cur === seg) this.#cur = undefined;
    try {
      fs.closeSync(seg.fd);
      fs.unlinkSync(seg.file);
    } catch (e) {
      this.#logger.warn({ file: seg.file, err: (e as Error).message }, 'deleting a head chunks segment failed');
    }
  }
}

/**
 * The chunk store of a head with a directory: FileChunks, or, if the directory cannot be
 * made or emptied (permissions, a read-only mount), sealed chunks in memory, logged at error:
 * the head works as without a directory rather than failing to open. Bad options throw.
 */
export function openChunkStore(arena: ChunkArena, opts: FileChunksOptions): HeadChunkStore {
  try {
    return new FileChunks(arena, opts);
  } catch (e) {
    if (e instanceof RangeError) throw e;
    opts.logger.error({ dir: opts.dir, err: (e as Error).message }, 'chunks_head unusable; sealed head chunks stay in memory');
    return new MemoryChunks(arena);
  }
}

/**
 * Makes `dir` an empty directory for a new head: the chunks a previous run wrote are rebuilt
 * from the WAL. Anything unexpected there (not a directory, foreign files) is logged.
 */
function cleanDir(dir: string, logger: TsdbLogger): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir);
  } catch {
    st = undefined;
  }
  if (st !== undefined && !st.isDirectory()) {
    logger.warn({ path: dir }, 'chunks_head is not a directory; replaced (head chunks are rebuilt from the WAL)');
    fs.rmSync(dir, { force: true });
    st = undefined;
  }
  if (st === undefined) {
    fs.mkdirSync(dir, { recursive: true });
    return;
  }
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (!SEGMENT_NAME.test(name)) logger.warn({ path: p }, 'unexpected entry in chunks_head removed');
    fs.rmSync(p, { recursive: true, force: true });
    removed++;
  }
  if (removed > 0) logger.info({ dir, files: removed }, 'old head chunk files removed (rebuilt from the WAL)');
}

function fileSize(file: string): string {
  try {
    return String(fs.statSync(file).size);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'unknown';
  }
}
