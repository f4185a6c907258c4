/**
 * Bit streams over Uint8Array, most significant bit first (the layout of Prometheus's
 * bstream). Both work on a window of a shared buffer (`base` is the window's first byte) so
 * the head can keep thousands of chunks in a few large arena pages instead of one typed
 * array each.
 *
 * Values wider than 32 bits go in two calls (high word first): JS bitwise operators are
 * 32-bit, and BigInt would allocate on every sample.
 */
import { EdgepromError } from '@edgeprom/shared';

/** Appends bits. The caller guarantees capacity and that unwritten bytes are zero. */
export class BitWriter {
  buf: Uint8Array = new Uint8Array(0);
  /** Absolute bit position in `buf` of the next bit to write. */
  pos = 0;

  /** Points the writer at `buf`, continuing at absolute bit position `pos`. */
  reset(buf: Uint8Array, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  writeBit(bit: number): void {
    if (bit !== 0) this.buf[this.pos >>> 3] |= 0x80 >>> (this.pos & 7);
    this.pos++;
  }

  /** Writes the low `n` bits of `v` (1 <= n <= 32), most significant first. */
  writeBits(v: number, n: number): void {
    const pos = this.pos;
    const used = pos & 7;
    if (used + n > 32) {
      // Would span five bytes: split so each part fits the 32-bit window below.
      this.writeBits(v >>> 16, n - 16);
      this.writeBits(v & 0xffff, 16);
      return;
    }
    // Place the n bits right after the `used` bits of the current byte in a 32-bit
    // big-endian window, then store the window's bytes. Bytes after the current one are
    // still zero, so they can be assigned; the current one keeps its earlier bits.
    const x = ((n === 32 ? v : v & ((1 << n) - 1)) << (32 - used - n)) >>> 0;
    const buf = this.buf;
    const i = pos >>> 3;
    const end = used + n;
    buf[i] |= x >>> 24;
    if (end > 8) buf[i + 1] = x >>> 16;
    if (end > 16) buf[i + 2] = x >>> 8;
    if (end > 24) buf[i + 3] = x;
    this.pos = pos + n;
  }

  /** Writes a byte at the current (possibly unaligned) position, like bstream.writeByte. */
  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }
}

/** Reads bits from a window [base, end) of a buffer. Reading past the end throws. */
export class BitReader {
  buf: Uint8Array = new Uint8Array(0);
  /** Absolute bit position of the next bit to read. */
  pos = 0;
  /** Absolute bit position where the window ends. */
  end = 0;

  reset(buf: Uint8Array, byteOffset: number, byteLength: number): void {
    this.buf = buf;
    this.pos = byteOffset * 8;
    this.end = (byteOffset + byteLength) * 8;
  }

  readBit(): number {
    const pos = this.pos;
    if (pos >= this.end) throw truncated();
    this.pos = pos + 1;
    return (this.buf[pos >>> 3] >>> (7 - (pos & 7))) & 1;
  }

  /** Reads `n` bits (1 <= n <= 32) as an unsigned integer. */
  readBits(n: number): number {
    const pos = this.pos;
    if (pos + n > this.end) throw truncated();
    const used = pos & 7;
    if (used + n > 32) {
      const hi = this.readBits(n - 16);
      return ((hi << 16) | this.readBits(16)) >>> 0;
    }
    // Load the 32-bit big-endian window starting at the current byte and cut the n bits
    // out. Only bytes inside the window [pos, end) are used, so bytes past the end of the
    // chunk (another chunk's, or beyond the array: undefined, which | turns into 0) do not
    // leak into the result.
    const buf = this.buf;
    const i = pos >>> 3;
    const w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
    this.pos = pos + n;
    return ((w << used) >>> (32 - n)) >>> 0;
  }

  readByte(): number {
    return this.readBits(8);
  }
}

/** Chunk bytes that cannot be decoded (too short for their sample count, bad fields). */
export class ChunkCorruptError extends EdgepromError {
  constructor(message: string) {
    super('ERR_CHUNK_CORRUPT', message);
    this.name = 'ChunkCorruptError';
  }
}

function truncated(): ChunkCorruptError {
  return new ChunkCorruptError('chunk data ends before its last sample');
}
