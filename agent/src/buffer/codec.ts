/**
 * Byte layouts of the buffer's store entries (keys and values). Pure functions: bytes in,
 * values out, so a damaged entry is detected here (BufferError ERR_BUFFER_CORRUPT) and the
 * caller decides what to drop. Layout overview (docs/agent.md "Buffer"):
 *
 *   'm' <name>                    meta: format version, fallback boot id
 *   'b' u32be(ord)                boot record: last durable seq, acked seq, dropped, boot id
 *   's' u32be(seriesId)           series dictionary: label pairs
 *   'c' u32be(ord) u64be(seq)     chunk: the samples of one flush (one boot), seq order
 *   'h' u64be(hold seq)           held chunk: samples collected while the wall clock was
 *                                 untrusted, stamped with monotonic ms (clock/, docs/agent.md
 *                                 "Clock trust"); the value starts with the clock domain
 *
 * Big-endian ordinals and seqs make LevelDB's byte order the (boot, seq) order.
 * Numbers in values are unsigned LEB128 varints (zigzag for signed); arithmetic, not bit
 * operators, so every integer up to 2^53 survives. Sample values are raw IEEE 754 binary64
 * little endian: NaN payloads (the stale marker) are kept bit for bit.
 */
import { Labels } from '@edgeprom/shared';
import { BufferError } from './errors.js';

export const FORMAT_VERSION = 1;

export const PREFIX_META = 0x6d; // 'm'
export const PREFIX_BOOT = 0x62; // 'b'
export const PREFIX_SERIES = 0x73; // 's'
export const PREFIX_CHUNK = 0x63; // 'c'
export const PREFIX_HELD = 0x68; // 'h'

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** A growable byte writer; one per encode, reused buffers would save little here. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  length = 0;
  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }
  #ensure(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.length++] = b;
  }
  /** Unsigned varint, 0 <= n <= 2^53. */
  uvarint(n: number): void {
    this.#ensure(8);
    while (n >= 0x80) {
      this.#buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.length++] = n;
  }
  /** Signed varint (zigzag), |n| < 2^52. */
  svarint(n: number): void {
    this.uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  /** Copies 8 bytes of a Float64Array slot: bit-exact, unlike a DataView round trip through a number. */
  float64From(src: Float64Array, index: number): void {
    this.#ensure(8);
    this.#buf.set(new Uint8Array(src.buffer, src.byteOffset + index * 8, 8), this.length);
    this.length += 8;
  }
  u32be(n: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.length, n);
    this.length += 4;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.uvarint(b.length);
    this.#ensure(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

export class ByteReader {
  pos = 0;
  readonly #buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }
  get done(): boolean {
    return this.pos >= this.#buf.length;
  }
  #need(n: number): void {
    if (this.pos + n > this.#buf.length) throw new BufferError('ERR_BUFFER_CORRUPT', `entry truncated at byte ${this.pos}`);
  }
  byte(): number {
    this.#need(1);
    return this.#buf[this.pos++];
  }
  uvarint(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
    throw new BufferError('ERR_BUFFER_CORRUPT', `varint too long at byte ${this.pos}`);
  }
  svarint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  /** Copies 8 bytes into `dst[index]` without passing through a JS number (keeps NaN payloads). */
  float64Into(dst: Float64Array, index: number): void {
    this.#need(8);
    new Uint8Array(dst.buffer, dst.byteOffset + index * 8, 8).set(this.#buf.subarray(this.pos, this.pos + 8));
    this.pos += 8;
  }
  string(): string {
    const n = this.uvarint();
    this.#need(n);
    const s = utf8d.decode(this.#buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

// ---- keys ----

export function metaKey(name: string): Uint8Array {
  const b = utf8.encode(name);
  const k = new Uint8Array(1 + b.length);
  k[0] = PREFIX_META;
  k.set(b, 1);
  return k;
}

export function bootKey(ord: number): Uint8Array {
  const k = new Uint8Array(5);
  k[0] = PREFIX_BOOT;
  new DataView(k.buffer).setUint32(1, ord);
  return k;
}

export function seriesKey(id: number): Uint8Array {
  const k = new Uint8Array(5);
  k[0] = PREFIX_SERIES;
  new DataView(k.buffer).setUint32(1, id);
  return k;
}

export function chunkKey(ord: number, firstSeq: number): Uint8Array {
  const k = new Uint8Array(13);
  const dv = new DataView(k.buffer);
  k[0] = PREFIX_CHUNK;
  dv.setUint32(1, ord);
  dv.setUint32(5, Math.floor(firstSeq / 2 ** 32));
  dv.setUint32(9, firstSeq % 2 ** 32);
  return k;
}

export function heldKey(firstHoldSeq: number): Uint8Array {
  const k = new Uint8Array(9);
  const dv = new DataView(k.buffer);
  k[0] = PREFIX_HELD;
  dv.setUint32(1, Math.floor(firstHoldSeq / 2 ** 32));
  dv.setUint32(5, firstHoldSeq % 2 ** 32);
  return k;
}

export function parseHeldKey(key: Uint8Array): number {
  if (key.length !== 9 || key[0] !== PREFIX_HELD) throw new BufferError('ERR_BUFFER_CORRUPT', 'bad held chunk key');
  const dv = new DataView(key.buffer, key.byteOffset, key.length);
  return dv.getUint32(1) * 2 ** 32 + dv.getUint32(5);
}

/** The u32 after the prefix byte of a boot or series key. */
export function keyU32(key: Uint8Array): number {
  if (key.length !== 5) throw new BufferError('ERR_BUFFER_CORRUPT', `bad key length ${key.length}`);
  return new DataView(key.buffer, key.byteOffset, key.length).getUint32(1);
}

export function parseChunkKey(key: Uint8Array): { ord: number; firstSeq: number } {
  if (key.length !== 13 || key[0] !== PREFIX_CHUNK) throw new BufferError('ERR_BUFFER_CORRUPT', 'bad chunk key');
  const dv = new DataView(key.buffer, key.byteOffset, key.length);
  return { ord: dv.getUint32(1), firstSeq: dv.getUint32(5) * 2 ** 32 + dv.getUint32(9) };
}

// ---- values ----

export interface BootRecord {
  ord: number;
  id: string;
  /** Highest seq made durable (0: none yet). The next seq of this boot is lastSeq + 1. */
  lastSeq: number;
  /** Highest seq acknowledged by the aggregator (0: none). */
  ackedSeq: number;
  /** Samples of this boot discarded by the buffer, cumulative (the batch's `dropped`). */
  dropped: number;
}

export function encodeBoot(b: BootRecord): Uint8Array {
  const w = new ByteWriter(64);
  w.uvarint(b.lastSeq);
  w.uvarint(b.ackedSeq);
  w.uvarint(b.dropped);
  w.string(b.id);
  return w.bytes();
}

export function decodeBoot(ord: number, value: Uint8Array): BootRecord {
  const r = new ByteReader(value);
  const lastSeq = r.uvarint();
  const ackedSeq = r.uvarint();
  const dropped = r.uvarint();
  const id = r.string();
  return { ord, id, lastSeq, ackedSeq, dropped };
}

export function encodeLabels(labels: Labels): Uint8Array {
  const kv = labels.pairs();
  const w = new ByteWriter(64);
  w.uvarint(kv.length >> 1);
  for (const s of kv) w.string(s);
  return w.bytes();
}

export function decodeLabels(value: Uint8Array): Labels {
  const r = new ByteReader(value);
  const n = r.uvarint();
  const kv: string[] = [];
  for (let i = 0; i < n * 2; i++) kv.push(r.string());
  if (!r.done) throw new BufferError('ERR_BUFFER_CORRUPT', 'trailing bytes after labels');
  // Labels.from re-sorts and validates the shape, so a damaged entry cannot break invariants.
  const pairs: [string, string][] = [];
  for (let i = 0; i < kv.length; i += 2) pairs.push([kv[i], kv[i + 1]]);
  return Labels.from(pairs);
}

/** Decoded chunk: columns of n samples, seq order. */
export interface ChunkColumns {
  n: number;
  seqs: Float64Array;
  series: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/**
 * Chunk value: uvarint n, then per sample: uvarint seq delta (first: from the key's seq),
 * uvarint seriesId, svarint timestamp delta (first: from 0), 8 bytes value. Within one
 * collection all samples share a timestamp, so the delta is one zero byte: ~11–12 bytes a
 * sample in all.
 */
export function encodeChunk(firstSeq: number, c: ChunkColumns, from = 0, to = c.n): Uint8Array {
  const w = new ByteWriter(16 + (to - from) * 14);
  w.uvarint(to - from);
  let prevSeq = firstSeq;
  let prevT = 0;
  for (let i = from; i < to; i++) {
    w.uvarint(c.seqs[i] - prevSeq);
    prevSeq = c.seqs[i];
    w.uvarint(c.series[i]);
    w.svarint(c.timestamps[i] - prevT);
    prevT = c.timestamps[i];
    w.float64From(c.values, i);
  }
  return w.bytes();
}

/** Upper bound on samples in one chunk, so a corrupt count cannot allocate gigabytes. */
export const MAX_CHUNK_SAMPLES = 1 << 20;

export function decodeChunk(firstSeq: number, value: Uint8Array): ChunkColumns {
  const r = new ByteReader(value);
  const n = r.uvarint();
  if (n > MAX_CHUNK_SAMPLES || n > value.length) throw new BufferError('ERR_BUFFER_CORRUPT', `implausible chunk sample count ${n}`);
  const c: ChunkColumns = { n, seqs: new Float64Array(n), series: new Uint32Array(n), timestamps: new Float64Array(n), values: new Float64Array(n) };
  let seq = firstSeq;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const d = r.uvarint();
    if (i > 0 && d === 0) throw new BufferError('ERR_BUFFER_CORRUPT', 'seqs not increasing');
    seq += d;
    c.seqs[i] = seq;
    c.series[i] = r.uvarint();
    t += r.svarint();
    c.timestamps[i] = t;
    r.float64Into(c.values, i);
  }
  if (!r.done) throw new BufferError('ERR_BUFFER_CORRUPT', 'trailing bytes after chunk');
  return c;
}

/**
 * Held chunk value: the clock domain (string: buffer boot id, plus a run token when the
 * monotonic clock does not count from the kernel's boot), then a chunk (encodeChunk) whose
 * seqs are hold seqs and whose timestamps are monotonic ms of that domain.
 */
export function encodeHeld(domain: string, firstHoldSeq: number, c: ChunkColumns, from = 0, to = c.n): Uint8Array {
  const w = new ByteWriter(16 + domain.length);
  w.string(domain);
  const head = w.bytes();
  const body = encodeChunk(firstHoldSeq, c, from, to);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function decodeHeld(firstHoldSeq: number, value: Uint8Array): { domain: string; cols: ChunkColumns } {
  const r = new ByteReader(value);
  const domain = r.string();
  return { domain, cols: decodeChunk(firstHoldSeq, value.subarray(r.pos)) };
}
