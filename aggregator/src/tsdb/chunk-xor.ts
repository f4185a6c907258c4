/**
 * Gorilla-style XOR chunks, byte for byte the format of Prometheus's chunkenc XOR chunk
 * (EncXOR), so that blocks we write could be read by Prometheus tools and vice versa:
 *
 *   2 bytes   big-endian sample count
 *   sample 0  signed zig-zag varint t, then the 64 bits of v
 *   sample 1  unsigned varint (t - t0), then v XOR-encoded
 *   sample n  delta-of-delta of t in a bucket, then v XOR-encoded:
 *               0                      dod == 0
 *               10   + 14 bits         dod in [-8191, 8192]
 *               110  + 17 bits         dod in [-65535, 65536]
 *               1110 + 20 bits         dod in [-524287, 524288]
 *               1111 + 64 bits         anything else
 *             (wider buckets than Gorilla's because our timestamps are milliseconds)
 *   XOR value  0 if v equals the previous value bit for bit; otherwise 1, then either
 *               0 + the meaningful bits inside the previous leading/trailing-zero window, or
 *               1 + 5 bits leading zeros (clamped to 31) + 6 bits significant-bit count
 *                 (64 written as 0) + the significant bits.
 *
 * Varints and the 64-bit value of sample 0 are written at the current bit position, not
 * byte-aligned, exactly as bstream.writeByte does. Values round-trip bit-exact, including
 * NaN payloads such as the stale marker.
 *
 * The encoder is a function over a small state object and a BitWriter so that the head can
 * keep each series' state in a compact record and its bytes in a shared arena (head-series.ts);
 * XorChunk below is the self-contained form for tests and blocks.
 */
import { ValueType, type SampleIterator } from '../storage/interface.js';
import { float64FromBits, isValidTimestamp } from '../storage/value.js';
import { BitReader, BitWriter, ChunkCorruptError } from './chunk-bits.js';

/** Bytes of the sample-count header. */
export const CHUNK_HEADER_BYTES = 2;
/** Upper bound of the bytes one sample can add (varint + 64-bit value, or 68 + 77 bits). */
export const MAX_SAMPLE_BYTES = 24;
/** The header is 16 bits; the head cuts chunks far earlier (120 samples by default). */
export const MAX_CHUNK_SAMPLES = 0xffff;

const TWO32 = 2 ** 32;

const f64 = new Float64Array(1);
/**
 * The value's two 32-bit words, read as int32: int32s are small integers (Smis) to V8, so
 * passing them between the encoder's functions never boxes them in a heap number, as a
 * uint32 of 2^31 or more would (~12 bytes of garbage per sample, measured). The bit
 * operators below read them as 32 bits either way.
 */
const i32 = new Int32Array(f64.buffer);

/** What the encoder must remember between samples of one chunk. */
export interface XorState {
  /** Samples in the chunk so far. */
  num: number;
  /** Last timestamp and the delta before it. */
  t: number;
  tDelta: number;
  /** Bit pattern of the last value (high, low 32-bit words, as int32: see i32). */
  vHi: number;
  vLo: number;
  /** Current XOR window; leading 0xff means none yet (forces a new window). */
  leading: number;
  trailing: number;
}

export function newXorState(): XorState {
  return { num: 0, t: 0, tDelta: 0, vHi: 0, vLo: 0, leading: 0xff, trailing: 0 };
}

/**
 * Appends (t, v) to the chunk whose header starts at byte `base` of w.buf; w.pos is where
 * the previous sample ended. The caller guarantees MAX_SAMPLE_BYTES of zeroed capacity and
 * t > st.t (strictly increasing), and updates nothing else: st and the header are updated here.
 */
export function xorAppend(w: BitWriter, st: XorState, base: number, t: number, v: number): void {
  f64[0] = v;
  const hi = i32[1];
  const lo = i32[0];
  const num = st.num;
  let tDelta = 0;
  if (num === 0) {
    writeUvarint(w, t >= 0 ? t * 2 : -t * 2 - 1); // zig-zag, as Go's binary.PutVarint
    w.writeBits(hi, 32);
    w.writeBits(lo, 32);
  } else if (num === 1) {
    tDelta = t - st.t;
    writeUvarint(w, tDelta);
    writeXorValue(w, st, hi, lo);
  } else {
    tDelta = t - st.t;
    const dod = tDelta - st.tDelta;
    // Bucket prefix and bits in one write (the buffer is zeroed: a 0 bit is just a skip).
    if (dod === 0) {
      w.pos++;
    } else if (dod >= -8191 && dod <= 8192) {
      w.writeBits(0x8000 | (dod & 0x3fff), 16); // 10 + 14 bits
    } else if (dod >= -65535 && dod <= 65536) {
      w.writeBits(0xc0000 | (dod & 0x1ffff), 20); // 110 + 17 bits
    } else if (dod >= -524287 && dod <= 524288) {
      w.writeBits(0xe00000 | (dod & 0xfffff), 24); // 1110 + 20 bits
    } else {
      w.writeBits(0b1111, 4);
      const dHi = Math.floor(dod / TWO32); // two's complement split, exact below 2^53
      w.writeBits(dHi | 0, 32);
      w.writeBits((dod - dHi * TWO32) | 0, 32);
    }
    writeXorValue(w, st, hi, lo);
  }
  st.t = t;
  st.tDelta = tDelta;
  st.vHi = hi;
  st.vLo = lo;
  st.num = num + 1;
  w.buf[base] = (num + 1) >>> 8;
  w.buf[base + 1] = (num + 1) & 0xff;
}

function writeUvarint(w: BitWriter, x: number): void {
  // Arithmetic rather than bit operators: x may exceed 32 bits.
  while (x >= 0x80) {
    w.writeByte((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  w.writeByte(x);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function writeXorValue(w: BitWriter, st: XorState, hi: number, lo: number): void {
  // int32 throughout (see i32): only zero tests, clz32 and bit operators read them.
  const xh = hi ^ st.vHi;
  const xl = lo ^ st.vLo;
  if (xh === 0 && xl === 0) {
    w.pos++; // a 0 bit: the buffer is zeroed
    return;
  }
  let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
  if (leading >= 32) leading = 31; // must fit in 5 bits
  if (st.leading !== 0xff && leading >= st.leading && trailing >= st.trailing) {
    const sig = 64 - st.leading - st.trailing;
    if (sig <= 30) {
      // Control bits 10 and the meaningful bits (all in the low word) in one write.
      const shift = st.trailing;
      const bits = shift >= 32 ? xh >>> (shift - 32) : shift === 0 ? xl : (xl >>> shift) | (xh << (32 - shift));
      w.writeBits((2 << sig) | (bits & ((1 << sig) - 1)), sig + 2);
    } else {
      w.writeBits(0b10, 2);
      writeShifted(w, xh, xl, st.trailing, sig);
    }
  } else {
    st.leading = leading;
    st.trailing = trailing;
    const sig = 64 - leading - trailing;
    // Control bits 11, 5 bits of leading zeros, 6 of significant bits (64 written as 0,
    // read back as 64), in one write.
    w.writeBits((0b11 << 11) | (leading << 6) | (sig & 63), 13);
    writeShifted(w, xh, xl, trailing, sig);
  }
}

/** Writes the low `nbits` bits of the 64-bit (xh:xl) >> shift (words as int32, see i32). */
function writeShifted(w: BitWriter, xh: number, xl: number, shift: number, nbits: number): void {
  let h: number;
  let l: number;
  if (shift === 0) {
    h = xh;
    l = xl;
  } else if (shift < 32) {
    l = (xl >>> shift) | (xh << (32 - shift));
    h = xh >>> shift;
  } else {
    l = (xh >>> (shift - 32)) | 0;
    h = 0;
  }
  if (nbits > 32) {
    w.writeBits(h, nbits - 32);
    w.writeBits(l, 32);
  } else {
    w.writeBits(l, nbits);
  }
}

/**
 * Decodes a chunk. Reusable: reset() points it at another chunk without allocating. Reads
 * only as many samples as the header held at reset(), so a chunk that is still being
 * appended to can be read safely up to that point.
 */
export class XorIterator implements SampleIterator {
  readonly #r = new BitReader();
  #total = 0;
  #read = 0;
  #done = false;
  #t = 0;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  #leading = 0;
  #trailing = 0;

  /** Points the iterator at the chunk occupying buf[offset, offset + length). */
  reset(buf: Uint8Array, offset: number, length: number): this {
    if (length < CHUNK_HEADER_BYTES) throw new ChunkCorruptError('chunk shorter than its header');
    this.#total = (buf[offset] << 8) | buf[offset + 1];
    this.#r.reset(buf, offset + CHUNK_HEADER_BYTES, length - CHUNK_HEADER_BYTES);
    this.#read = 0;
    this.#done = false;
    this.#t = 0;
    this.#tDelta = 0;
    this.#vHi = 0;
    this.#vLo = 0;
    this.#leading = 0;
    this.#trailing = 0;
    return this;
  }

  get numSamples(): number {
    return this.#total;
  }

  next(): ValueType {
    if (this.#read >= this.#total) {
      this.#done = true;
      return ValueType.None;
    }
    const r = this.#r;
    if (this.#read === 0) {
      const ux = readUvarint(r);
      this.#t = ux % 2 === 0 ? ux / 2 : -(ux + 1) / 2;
      this.#vHi = r.readBits(32);
      this.#vLo = r.readBits(32);
    } else if (this.#read === 1) {
      this.#tDelta = readUvarint(r);
      this.#t += this.#tDelta;
      this.#readValue();
    } else {
      let dod: number;
      if (r.readBit() === 0) dod = 0;
      else if (r.readBit() === 0) dod = signed(r.readBits(14), 14);
      else if (r.readBit() === 0) dod = signed(r.readBits(17), 17);
      else if (r.readBit() === 0) dod = signed(r.readBits(20), 20);
      else dod = (r.readBits(32) | 0) * TWO32 + r.readBits(32);
      this.#tDelta += dod;
      this.#t += this.#tDelta;
      this.#readValue();
    }
    this.#read++;
    return ValueType.Float;
  }

  #readValue(): void {
    const r = this.#r;
    if (r.readBit() === 0) return; // same value as before
    if (r.readBit() === 1) {
      this.#leading = r.readBits(5);
      const sig = r.readBits(6) || 64;
      this.#trailing = 64 - this.#leading - sig;
      if (this.#trailing < 0) throw new ChunkCorruptError('XOR window wider than 64 bits');
    }
    const trailing = this.#trailing;
    const mbits = 64 - this.#leading - trailing;
    let h = 0;
    let l: number;
    if (mbits > 32) {
      h = r.readBits(mbits - 32);
      l = r.readBits(32);
    } else {
      l = r.readBits(mbits);
    }
    if (trailing >= 32) {
      h = l << (trailing - 32);
      l = 0;
    } else if (trailing > 0) {
      h = (h << trailing) | (l >>> (32 - trailing));
      l = l << trailing;
    }
    this.#vHi = (this.#vHi ^ h) >>> 0;
    this.#vLo = (this.#vLo ^ l) >>> 0;
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#read > 0 && this.#t >= t) return ValueType.Float;
    while (this.next() !== ValueType.None) {
      if (this.#t >= t) return ValueType.Float;
    }
    return ValueType.None;
  }

  atT(): number {
    return this.#t;
  }

  atV(): number {
    return float64FromBits(this.#vHi, this.#vLo);
  }
}

function signed(bits: number, size: number): number {
  // Negative numbers come back as large unsigned ones (see Prometheus docs/bstream.md).
  return bits > 1 << (size - 1) ? bits - (1 << size) : bits;
}

function readUvarint(r: BitReader): number {
  let x = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.readByte();
    x += (b & 0x7f) * scale;
    if (b < 0x80) return x;
    scale *= 0x80;
  }
  throw new ChunkCorruptError('varint longer than 10 bytes');
}

/**
 * A standalone XOR chunk with its own growable buffer: for tests, tools and (later) blocks.
 * The head does not use it; it writes the same format into arena pages.
 */
export class XorChunk {
  #buf: Uint8Array;
  readonly #w = new BitWriter();
  readonly #st = newXorState();

  constructor(initialBytes = 128) {
    this.#buf = new Uint8Array(Math.max(initialBytes, CHUNK_HEADER_BYTES + MAX_SAMPLE_BYTES));
    this.#w.reset(this.#buf, CHUNK_HEADER_BYTES * 8);
  }

  get numSamples(): number {
    return this.#st.num;
  }

  /** Appends a sample; timestamps must be valid and strictly increasing. */
  append(t: number, v: number): void {
    const st = this.#st;
    if (!isValidTimestamp(t)) throw new RangeError(`invalid timestamp ${t}`);
    if (st.num > 0 && t <= st.t) throw new RangeError(`timestamp ${t} not after ${st.t}`);
    if (st.num === MAX_CHUNK_SAMPLES) throw new RangeError('chunk is full');
    if ((this.#w.pos >>> 3) + MAX_SAMPLE_BYTES > this.#buf.length) {
      const grown = new Uint8Array(this.#buf.length * 2);
      grown.set(this.#buf);
      this.#buf = grown;
      this.#w.reset(grown, this.#w.pos);
    }
    xorAppend(this.#w, st, 0, t, v);
  }

  /** The encoded chunk (a view; copy it if the chunk will be appended to again). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, (this.#w.pos + 7) >>> 3);
  }

  iterator(reuse?: XorIterator): XorIterator {
    const bytes = this.bytes();
    return (reuse ?? new XorIterator()).reset(bytes, 0, bytes.length);
  }
}
