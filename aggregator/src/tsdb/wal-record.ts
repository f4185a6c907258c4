/**
 * WAL records: the byte layout of one framed record and the pure encoders and decoders of
 * its payload (bytes in, records out; no I/O here). docs/tsdb.md has the layout as a table.
 *
 *   frame   = length u32 LE | crc32 u32 LE | payload (length bytes)
 *   payload = type u8 | body; bit 7 of the type byte (COMMIT_FLAG) marks the last frame
 *             of a commit: replay applies a commit's frames only once it has seen that one,
 *             so a commit is all there or not at all
 *   series  (type 1) = count uvarint, then per series: ref uvarint, pairs uvarint,
 *                      then per label: name (uvarint byte length, UTF-8), value (same)
 *   samples (type 2) = count uvarint, baseRef uvarint, baseT zigzag varint, then per
 *                      sample: ref - previous ref zigzag varint (baseRef for the
 *                      first), t - baseT zigzag varint,
 *                      value float64 LE (8 bytes, bit pattern as is: the stale NaN survives)
 *   ooo samples (type 3) = the samples layout, for samples the head stored out of order:
 *                      replay puts them back into its out-of-order store
 *
 * The CRC (CRC-32/ISO-HDLC, zlib's) covers the payload; the length is checked by bounds:
 * a length running past the end of the data is a torn write, not a bad record. Prometheus
 * packs records into 32 KiB pages; plain framing is simpler, and since we never reuse or
 * preallocate segment files, a torn tail is always a short last frame.
 */
import zlib from 'node:zlib';
import { Labels } from '@edgeprom/shared';

export const FRAME_HEADER_BYTES = 8;
export const RecordType = { Series: 1, Samples: 2, OooSamples: 3 } as const;
export const COMMIT_FLAG = 0x80;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];
/** Samples per samples record before the encoder starts another (bounds record size to ~1 MiB). */
export const MAX_SAMPLES_PER_RECORD = 65_536;
/** The largest payload a reader accepts: anything bigger is a corrupt length field. */
export const MAX_PAYLOAD_BYTES = 256 * 2 ** 20;
/** Timestamp deltas within one samples record stay below this, so zigzag stays exact. */
const MAX_T_DELTA = 2 ** 51;

const tableCrc32 = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return (data: Uint8Array): number => {
    let c = -1;
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
})();

/** CRC-32 of data: node:zlib's native one (Node >= 20.15), else a table-driven fallback. */
export const crc32: (data: Uint8Array) => number =
  typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : tableCrc32;
/** @internal For the test that both implementations agree. */
export const crc32Fallback = tableCrc32;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * A growable byte buffer that records are encoded into. The WAL writer keeps two and swaps
 * them, so steady-state encoding allocates nothing.
 */
export class ByteSink {
  buf: Buffer;
  len = 0;
  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  reset(): void {
    this.len = 0;
  }
  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
  u8(x: number): void {
    this.ensure(1);
    this.buf[this.len++] = x;
  }
  /** Unsigned varint of a non-negative integer up to 2^53. */
  uvarint(x: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.len;
    if (x < 0x80000000) {
      while (x >= 0x80) {
        b[p++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
    } else {
      while (x >= 0x80) {
        b[p++] = (x % 128) | 0x80;
        x = Math.floor(x / 128);
      }
    }
    b[p++] = x;
    this.len = p;
  }
  /** Signed varint (zigzag) of an integer with |x| < 2^52. */
  varint(x: number): void {
    this.uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }
  /** A float64's 8 bytes, little-endian, bit pattern untouched. */
  f64(v: number): void {
    this.ensure(8);
    f64[0] = v;
    const b = this.buf;
    const p = this.len;
    const lo = u32[0];
    const hi = u32[1];
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.len = p + 8;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n);
    this.ensure(n);
    this.buf.write(s, this.len, n, 'utf8');
    this.len += n;
  }
  /** Starts a frame; returns its offset, to pass to endFrame once the payload is written. */
  beginFrame(type: RecordType): number {
    this.ensure(FRAME_HEADER_BYTES + 1);
    const start = this.len;
    this.len += FRAME_HEADER_BYTES;
    this.buf[this.len++] = type;
    return start;
  }
  endFrame(start: number): void {
    const payload = this.buf.subarray(start + FRAME_HEADER_BYTES, this.len);
    this.buf.writeUInt32LE(payload.length, start);
    this.buf.writeUInt32LE(crc32(payload), start + 4);
  }
}

/** Sets the commit flag on the frame starting at `start` of buf and updates its CRC. */
export function markCommit(buf: Buffer, start: number): void {
  const len = buf.readUInt32LE(start);
  const body = start + FRAME_HEADER_BYTES;
  buf[body] |= COMMIT_FLAG;
  buf.writeUInt32LE(crc32(buf.subarray(body, body + len)), start + 4);
}

/** Start offset of the last frame among the frames in buf[from, to). */
export function lastFrameStart(buf: Buffer, from: number, to: number): number {
  let last = -1;
  for (let off = from; off < to; off += FRAME_HEADER_BYTES + buf.readUInt32LE(off)) last = off;
  return last;
}

/** Encodes one series record: new series of a commit, by WAL ref. */
export function encodeSeries(sink: ByteSink, refs: ArrayLike<number>, labels: readonly Labels[]): void {
  const start = sink.beginFrame(RecordType.Series);
  sink.uvarint(refs.length);
  for (let i = 0; i < refs.length; i++) {
    sink.uvarint(refs[i]);
    const kv = labels[i].pairs();
    sink.uvarint(kv.length >>> 1);
    for (let j = 0; j < kv.length; j++) sink.str(kv[j]);
  }
  sink.endFrame(start);
}

/**
 * Streams samples into samples records, starting a new record when one is full or a
 * timestamp is too far from the record's base for an exact zigzag delta.
 */
export class SamplesEncoder {
  #sink: ByteSink | undefined;
  #start = -1;
  #countAt = -1;
  #count = 0;
  /** Ref of the previous sample (the record's first ref before any). */
  #baseRef = 0;
  #baseT = 0;
  #type: RecordType = RecordType.Samples;

  /**
   * Starts writing into sink, records of `type` (Samples or OooSamples); nothing is framed
   * until the first sample.
   */
  begin(sink: ByteSink, type: RecordType = RecordType.Samples): void {
    this.#sink = sink;
    this.#start = -1;
    this.#type = type;
  }

  add(ref: number, t: number, v: number): void {
    const sink = this.#sink!;
    if (this.#start < 0 || this.#count >= MAX_SAMPLES_PER_RECORD || Math.abs(t - this.#baseT) >= MAX_T_DELTA) {
      this.#close();
      this.#start = sink.beginFrame(this.#type);
      // The count is patched in at the end: reserve a fixed 3-byte varint (counts < 2^21).
      sink.ensure(3);
      this.#countAt = sink.len;
      sink.len += 3;
      this.#count = 0;
      this.#baseRef = ref;
      this.#baseT = t;
      sink.uvarint(ref);
      sink.varint(t);
    }
    // A scrape's series were created together, so consecutive refs differ by about 1, and
    // its samples share a timestamp: both deltas are one byte on the fast path below.
    const dr = ref - this.#baseRef;
    const dt = t - this.#baseT;
    this.#baseRef = ref;
    this.#count++;
    if (dr > -64 && dr < 64 && dt > -64 && dt < 64) {
      sink.ensure(10);
      const b = sink.buf;
      const p = sink.len;
      b[p] = dr >= 0 ? dr * 2 : -dr * 2 - 1;
      b[p + 1] = dt >= 0 ? dt * 2 : -dt * 2 - 1;
      sink.len = p + 2;
    } else {
      sink.varint(dr);
      sink.varint(dt);
    }
    sink.f64(v);
  }

  /** Frames the open record, if any. */
  end(): void {
    this.#close();
    this.#sink = undefined;
  }

  #close(): void {
    if (this.#start < 0) return;
    const b = this.#sink!.buf;
    const n = this.#count;
    const p = this.#countAt;
    b[p] = (n & 0x7f) | 0x80;
    b[p + 1] = ((n >>> 7) & 0x7f) | 0x80;
    b[p + 2] = (n >>> 14) & 0x7f;
    this.#sink!.endFrame(this.#start);
    this.#start = -1;
  }
}

/** What a decoded record hands over; called in record order. */
export interface RecordVisitor {
  series(ref: number, labels: Labels): void;
  sample(ref: number, t: number, v: number): void;
  /** A sample of an ooo samples record. */
  oooSample(ref: number, t: number, v: number): void;
}

/** A payload that passed its CRC but does not parse: written by a bug or another version. */
export class RecordDecodeError extends Error {}

/** Reads a payload's fields; throws RecordDecodeError on anything out of bounds. */
class PayloadReader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  uvarint(): number {
    const b = this.b;
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= b.length) throw new RecordDecodeError('varint runs past the record');
      const c = b[this.pos++];
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 128;
    }
    throw new RecordDecodeError('varint too long');
  }
  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  f64(): number {
    const b = this.b;
    const p = this.pos;
    if (p + 8 > b.length) throw new RecordDecodeError('value runs past the record');
    u32[0] = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    u32[1] = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    this.pos = p + 8;
    return f64[0];
  }
  str(): string {
    const n = this.uvarint();
    if (this.pos + n > this.b.length) throw new RecordDecodeError('string runs past the record');
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }
}

/** Decodes one payload (type byte and body) into the visitor. */
export function decodeRecord(payload: Uint8Array, visit: RecordVisitor): void {
  if (payload.length === 0) throw new RecordDecodeError('empty record');
  const r = new PayloadReader(payload);
  r.pos = 1;
  switch (payload[0] & ~COMMIT_FLAG) {
    case RecordType.Series: {
      const n = r.uvarint();
      for (let i = 0; i < n; i++) {
        const ref = r.uvarint();
        const pairs = r.uvarint();
        if (pairs === 0 || pairs > 1 << 16) throw new RecordDecodeError(`bad label count ${pairs}`);
        const kv = new Array<string>(pairs * 2);
        for (let j = 0; j < kv.length; j++) kv[j] = r.str();
        for (let j = 2; j < kv.length; j += 2) {
          if (!(kv[j - 2] < kv[j])) throw new RecordDecodeError('label names not sorted');
        }
        visit.series(ref, Labels.fromSortedPairs(kv));
      }
      break;
    }
    case RecordType.Samples:
    case RecordType.OooSamples: {
      const ooo = (payload[0] & ~COMMIT_FLAG) === RecordType.OooSamples;
      const n = r.uvarint();
      let ref = r.uvarint();
      const baseT = r.varint();
      for (let i = 0; i < n; i++) {
        ref += r.varint();
        if (ref < 0) throw new RecordDecodeError('negative series ref');
        const t = baseT + r.varint();
        if (ooo) visit.oooSample(ref, t, r.f64());
        else visit.sample(ref, t, r.f64());
      }
      break;
    }
    default:
      throw new RecordDecodeError(`unknown record type ${payload[0] & ~COMMIT_FLAG}`);
  }
  if (r.pos !== payload.length) throw new RecordDecodeError('trailing bytes in record');
}

/** Why frame scanning stopped before the end of the data. */
export type FrameProblem =
  /** The data ends inside a frame: the header or payload was only partly written. */
  | { kind: 'torn'; offset: number; reason: string }
  /** A complete frame fails its CRC, has an impossible length, or does not decode. */
  | { kind: 'corrupt'; offset: number; reason: string };

/**
 * Walks the frames of one segment, handing each valid payload to onPayload (which may
 * throw RecordDecodeError to mark the frame corrupt). Returns the offset after the last good
 * frame and, if it stopped early, why.
 */
export function scanFrames(
  data: Uint8Array,
  onPayload: (payload: Uint8Array, offset: number) => void,
): { end: number; records: number; problem?: FrameProblem } {
  let off = 0;
  let records = 0;
  while (off < data.length) {
    if (data.length - off < FRAME_HEADER_BYTES) {
      return { end: off, records, problem: { kind: 'torn', offset: off, reason: 'partial frame header' } };
    }
    const len = (data[off] | (data[off + 1] << 8) | (data[off + 2] << 16) | (data[off + 3] << 24)) >>> 0;
    const sum = (data[off + 4] | (data[off + 5] << 8) | (data[off + 6] << 16) | (data[off + 7] << 24)) >>> 0;
    if (len === 0 && sum === 0 && allZero(data, off)) {
      // Some filesystems extend a file before its data lands: zeros after a crash are torn.
      return { end: off, records, problem: { kind: 'torn', offset: off, reason: 'zero-filled tail' } };
    }
    if (len === 0 || len > MAX_PAYLOAD_BYTES) {
      return { end: off, records, problem: { kind: 'corrupt', offset: off, reason: `bad record length ${len}` } };
    }
    const body = off + FRAME_HEADER_BYTES;
    if (body + len > data.length) {
      return {
        end: off,
        records,
        problem: { kind: 'torn', offset: off, reason: `record of ${len} bytes cut after ${data.length - body}` },
      };
    }
    const payload = data.subarray(body, body + len);
    if (crc32(payload) !== sum) {
      return { end: off, records, problem: { kind: 'corrupt', offset: off, reason: 'checksum mismatch' } };
    }
    try {
      onPayload(payload, off);
    } catch (e) {
      if (!(e instanceof RecordDecodeError)) throw e;
      return { end: off, records, problem: { kind: 'corrupt', offset: off, reason: e.message } };
    }
    records++;
    off = body + len;
  }
  return { end: off, records };
}

function allZero(data: Uint8Array, from: number): boolean {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Decodes the commits of one segment into visit, a commit only once its last frame (the one
 * with COMMIT_FLAG) has been read and checked: `end` is the offset after the last whole
 * commit, and frames of a commit cut short are reported as torn at the commit's start.
 */
export function scanCommits(
  data: Uint8Array,
  visit: RecordVisitor,
): { end: number; records: number; commits: number; problem?: FrameProblem } {
  const held: Uint8Array[] = [];
  let commitStart = 0;
  let commits = 0;
  let records = 0;
  const r = scanFrames(data, (payload, offset) => {
    if (held.length === 0) commitStart = offset;
    held.push(payload);
    if ((payload[0] & COMMIT_FLAG) === 0) return;
    try {
      for (const p of held) decodeRecord(p, visit);
    } catch (e) {
      if (e instanceof RecordDecodeError) e.message += ` (in the commit at offset ${commitStart})`;
      throw e;
    }
    records += held.length;
    held.length = 0;
    commits++;
  });
  if (r.problem !== undefined) {
    if (held.length > 0) return { end: commitStart, records, commits, problem: { ...r.problem, offset: commitStart } };
    return { end: r.end, records, commits, problem: r.problem };
  }
  if (held.length > 0) {
    return {
      end: commitStart,
      records,
      commits,
      problem: { kind: 'torn', offset: commitStart, reason: 'last commit has no closing frame' },
    };
  }
  return { end: r.end, records, commits };
}
