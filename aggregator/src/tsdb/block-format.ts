/**
 * The on-disk block format (version 1), shared by the writer and the reader. docs/tsdb.md
 * ("Blocks") describes it byte by byte; keep both in step.
 *
 *   <ULID>/meta.json        BlockMeta as JSON (written last, so a block without it is junk)
 *   <ULID>/index            "EPIX" v1, then sections symbols, series, postings, each
 *                           [u32 BE payload length][payload][u32 BE CRC-32 of payload]
 *   <ULID>/chunks/000001..  "EPCH" v1 (8-byte header), then chunk entries
 *                           [XOR chunk bytes][u32 BE CRC-32 of them]
 *   <ULID>/tombstones       optional: "EPTS" v1 JSON payload + CRC (see tombstones.ts)
 *
 * A chunk reference is segment * 2^32 + byte offset; its byte length is in the index, so a
 * chunk is one positional read.
 */
import { TsdbError } from './tsdb-errors.js';
import { crc32 } from './wal-record.js';

export const INDEX_MAGIC = 0x45504958; // "EPIX"
export const CHUNKS_MAGIC = 0x45504348; // "EPCH"
export const FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = 8;
export const CHUNK_CRC_BYTES = 4;
export const SEGMENT_SPLIT = 2 ** 32;
/** A chunks segment is closed once it passes this size (Prometheus: 512 MiB). */
export const DEFAULT_SEGMENT_BYTES = 512 * 2 ** 20;
export const META_FILE = 'meta.json';
export const INDEX_FILE = 'index';
export const CHUNKS_DIR = 'chunks';
export const TOMBSTONES_FILE = 'tombstones';

export function segmentFileName(seg: number): string {
  return String(seg).padStart(6, '0');
}

export interface BlockMeta {
  ulid: string;
  /** Inclusive lower and EXCLUSIVE upper bound of sample times, as Prometheus's meta.json. */
  minTime: number;
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number; numTombstones?: number };
  compaction: { level: number; sources: string[]; parents?: string[] };
  version: number;
}

export function fileHeader(magic: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  b.writeUInt32BE(magic, 0);
  b[4] = FORMAT_VERSION;
  return b;
}

/** Growable byte buffer with varint writers. */
export class Bytes {
  buf: Buffer;
  len = 0;
  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  uvarint(x: number): void {
    this.reserve(10);
    while (x >= 0x80) {
      this.buf[this.len++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.len++] = x;
  }
  varint(x: number): void {
    this.uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }
  u32(x: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(x >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.uvarint(n);
    this.reserve(n);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
  }
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Appends a section (length, payload, CRC) to `out`. */
export function writeSection(out: Bytes, payload: Bytes): void {
  const p = payload.view();
  out.u32(p.length);
  out.bytes(p);
  out.u32(crc32(p));
}

/** A bad block file (code ERR_BLOCK_CORRUPT): the message names it and says what is wrong. */
export class BlockCorruptError extends TsdbError {
  declare readonly code: 'ERR_BLOCK_CORRUPT';
  readonly file: string;
  /** The reason alone, without the file. */
  readonly why: string;
  constructor(file: string, why: string) {
    super('ERR_BLOCK_CORRUPT', `corrupt block file ${file}: ${why}`);
    this.name = 'BlockCorruptError';
    this.file = file;
    this.why = why;
  }
}

/** Sequential reader over a byte range, throwing BlockCorruptError on overruns. */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
    from: number,
    readonly end: number,
  ) {
    this.pos = from;
  }
  #need(n: number): void {
    if (this.pos + n > this.end) throw new BlockCorruptError(this.file, `unexpected end of data at byte ${this.pos}`);
  }
  uvarint(): number {
    let x = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      this.#need(1);
      const b = this.buf[this.pos++];
      x += (b & 0x7f) * scale;
      if (b < 0x80) return x;
      scale *= 0x80;
    }
    throw new BlockCorruptError(this.file, `varint too long at byte ${this.pos}`);
  }
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  u32(): number {
    this.#need(4);
    const b = this.buf;
    const x = ((b[this.pos] << 24) >>> 0) + (b[this.pos + 1] << 16) + (b[this.pos + 2] << 8) + b[this.pos + 3];
    this.pos += 4;
    return x;
  }
  string(): string {
    const n = this.uvarint();
    this.#need(n);
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }
}

/** Reads the section at r.pos, checks its CRC, and returns a reader over its payload. */
export function readSection(r: Reader, name: string): Reader {
  const len = r.u32();
  if (r.pos + len + 4 > r.end) {
    throw new BlockCorruptError(r.file, `${name} section of ${len} bytes runs past the end of the file (truncated?)`);
  }
  const payload = r.buf.subarray(r.pos, r.pos + len);
  const start = r.pos;
  r.pos += len;
  const want = r.u32();
  if (crc32(payload) !== want) throw new BlockCorruptError(r.file, `${name} section checksum mismatch`);
  return new Reader(r.buf, r.file, start, start + len);
}

export function checkHeader(buf: Uint8Array, file: string, magic: number): void {
  if (buf.length < FILE_HEADER_BYTES) throw new BlockCorruptError(file, 'shorter than its header');
  const got = ((buf[0] << 24) >>> 0) + (buf[1] << 16) + (buf[2] << 8) + buf[3];
  if (got !== magic) throw new BlockCorruptError(file, `bad magic 0x${got.toString(16)}`);
  if (buf[4] !== FORMAT_VERSION) throw new BlockCorruptError(file, `unsupported format version ${buf[4]}`);
}

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A ULID: 48-bit ms time then 80 random bits, Crockford base32; sorts by creation time. */
export function newUlid(nowMs: number, random: (n: number) => Uint8Array): string {
  let out = '';
  let t = Math.max(0, Math.floor(nowMs));
  const time: string[] = [];
  for (let i = 0; i < 10; i++) {
    time.push(ULID_ALPHABET[t % 32]);
    t = Math.floor(t / 32);
  }
  out = time.reverse().join('');
  const r = random(16);
  for (let i = 0; i < 16; i++) out += ULID_ALPHABET[r[i] % 32];
  return out;
}

/** Validates a parsed meta.json; throws BlockCorruptError naming the file. */
export function parseMeta(text: string, file: string): BlockMeta {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new BlockCorruptError(file, `not JSON (${(e as Error).message})`);
  }
  const o = m as Partial<BlockMeta>;
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (typeof o !== 'object' || o === null) throw new BlockCorruptError(file, 'not an object');
  if (typeof o.ulid !== 'string' || !ULID_RE.test(o.ulid)) throw new BlockCorruptError(file, 'missing or bad "ulid"');
  if (!isInt(o.minTime) || !isInt(o.maxTime) || o.maxTime < o.minTime) {
    throw new BlockCorruptError(file, 'missing or bad "minTime"/"maxTime"');
  }
  if (o.version !== FORMAT_VERSION) throw new BlockCorruptError(file, `unsupported "version" ${String(o.version)}`);
  const s = o.stats;
  if (typeof s !== 'object' || s === null || !isInt(s.numSamples) || !isInt(s.numSeries) || !isInt(s.numChunks)) {
    throw new BlockCorruptError(file, 'missing or bad "stats"');
  }
  const c = o.compaction;
  if (typeof c !== 'object' || c === null || !isInt(c.level) || !Array.isArray(c.sources)) {
    throw new BlockCorruptError(file, 'missing or bad "compaction"');
  }
  return o as BlockMeta;
}
