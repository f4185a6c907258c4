import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValueType } from '../storage/interface.js';
import {
  float64FromBits,
  float64Hi,
  float64Lo,
  isStaleNaN,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  STALE_NAN,
} from '../storage/value.js';
import { BitReader, BitWriter } from './chunk-bits.js';
import { XorChunk, XorIterator } from './chunk-xor.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Decodes a chunk into timestamps and value bit patterns (never a number[] of values: NaN payloads). */
function decode(chunk: XorChunk): { ts: number[]; his: number[]; los: number[] } {
  const it = chunk.iterator();
  const ts: number[] = [];
  const his: number[] = [];
  const los: number[] = [];
  while (it.next() !== ValueType.None) {
    ts.push(it.atT());
    his.push(float64Hi(it.atV()));
    los.push(float64Lo(it.atV()));
  }
  return { ts, his, los };
}

describe('bit streams', () => {
  it('read back what was written, at any alignment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 0xffffffff }))),
        (items) => {
          const w = new BitWriter();
          w.reset(new Uint8Array(items.length * 4 + 1), 0);
          for (const [n, v] of items) w.writeBits(n === 32 ? v : v % 2 ** n, n);
          const r = new BitReader();
          r.reset(w.buf, 0, w.buf.length);
          for (const [n, v] of items) expect(r.readBits(n)).toBe(n === 32 ? v : v % 2 ** n);
        },
      ),
    );
  });
});

describe('XOR chunk', () => {
  it('encodes exactly like Prometheus chunkenc (vector derived by hand from xor.go)', () => {
    const c = new XorChunk();
    c.append(1000, 1);
    c.append(2000, 1);
    c.append(3000, 2);
    // 0003 count | d00f varint(zigzag 1000) | 3ff0.. 1.0 | e807 uvarint 1000 |
    // bits: 0 (same value) 0 (dod 0) 1 1 00001 001011 11111111111 (2.0 xor 1.0 = 0x7ff<<52)
    expect(hex(c.bytes())).toBe('0003d00f3ff0000000000000e80730' + '97ffc0');
  });

  it('round-trips any increasing timestamps and any float64 bit patterns', () => {
    const delta = fc.oneof(
      fc.constant(15_000),
      fc.integer({ min: 14_990, max: 15_010 }),
      fc.integer({ min: 1, max: 2_000_000 }),
      fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(
        ([h, l]) => h * 2 ** 32 + l + 1,
      ),
    );
    const bitsArb = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
      fc.constantFrom<[number, number]>([0x7ff00000, 2], [0x7ff80000, 0], [0x80000000, 0], [0, 0], [0, 1]),
      fc.integer({ min: -1e6, max: 1e6 }).map((x): [number, number] => [float64Hi(x / 8), float64Lo(x / 8)]),
    );
    const start = fc.oneof(
      fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
      fc.integer({ min: MIN_TIMESTAMP, max: MAX_TIMESTAMP }),
    );
    fc.assert(
      fc.property(start, fc.array(fc.tuple(delta, bitsArb), { minLength: 1, maxLength: 240 }), (t0, steps) => {
        const c = new XorChunk(16);
        const ts: number[] = [];
        const his: number[] = [];
        const los: number[] = [];
        let t = t0;
        for (const [d, [hi, lo]] of steps) {
          if (t > MAX_TIMESTAMP) break;
          c.append(t, float64FromBits(hi, lo));
          ts.push(t);
          his.push(hi);
          los.push(lo);
          t += d;
        }
        expect(decode(c)).toEqual({ ts, his, los });
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips delta-of-delta values at every bucket edge', () => {
    const dods = [0, 1, -1, 8192, -8191, 8193, -8192, 65536, -65535, 65537, -65536, 524288, -524287, 524289, -524288, 2 ** 40];
    const c = new XorChunk();
    let t = 0;
    let delta = 600_000;
    const want: number[] = [];
    c.append(t, 1);
    want.push(t);
    t += delta;
    c.append(t, 1);
    want.push(t);
    for (const dod of dods) {
      delta += dod;
      t += delta;
      c.append(t, 1);
      want.push(t);
    }
    expect(decode(c).ts).toEqual(want);
  });

  it('keeps the stale marker bit-exact', () => {
    const c = new XorChunk();
    c.append(0, 1.5);
    c.append(15_000, STALE_NAN);
    c.append(30_000, STALE_NAN);
    c.append(45_000, 2);
    const it = c.iterator();
    const stale: boolean[] = [];
    while (it.next()) stale.push(isStaleNaN(it.atV()));
    expect(stale).toEqual([false, true, true, false]);
    expect(decode(c).his[1].toString(16) + decode(c).los[1]).toBe('7ff000002');
  });

  it('seeks forward to the first sample at or after t, never backwards', () => {
    const c = new XorChunk();
    for (let i = 0; i < 120; i++) c.append(i * 10, i);
    const it = new XorIterator();
    c.iterator(it);
    expect(it.seek(55)).toBe(ValueType.Float);
    expect([it.atT(), it.atV()]).toEqual([60, 6]);
    expect(it.seek(0)).toBe(ValueType.Float);
    expect(it.atT()).toBe(60);
    expect(it.seek(60)).toBe(ValueType.Float);
    expect(it.next()).toBe(ValueType.Float);
    expect(it.atT()).toBe(70);
    expect(it.seek(1190)).toBe(ValueType.Float);
    expect(it.next()).toBe(ValueType.None);
    expect(it.seek(0)).toBe(ValueType.None);
    c.iterator(it);
    expect(it.seek(1191)).toBe(ValueType.None);
  });

  it('reads a snapshot while the chunk keeps growing', () => {
    const c = new XorChunk(26);
    for (let i = 0; i < 3; i++) c.append(i * 1000, i * 1.25);
    const it = c.iterator();
    for (let i = 3; i < 50; i++) c.append(i * 1000, i * 1.25);
    let n = 0;
    while (it.next()) n++;
    expect(n).toBe(3);
    expect(decode(c).ts).toHaveLength(50);
  });

  it('spends two bits per sample on a constant series at a regular interval', () => {
    const c = new XorChunk();
    for (let i = 0; i < 120; i++) c.append(1_700_000_000_000 + i * 15_000, 1);
    // 2 header + 6 varint t0 + 8 value + 2 uvarint delta, then 1 + 118 * 2 bits = 30 bytes.
    expect(c.bytes().length).toBe(48);
  });

  it('refuses non-increasing or invalid timestamps', () => {
    const c = new XorChunk();
    c.append(10, 1);
    expect(() => c.append(10, 1)).toThrow(RangeError);
    expect(() => c.append(5, 1)).toThrow(RangeError);
    expect(() => c.append(11.5, 1)).toThrow(RangeError);
    expect(() => c.append(MAX_TIMESTAMP + 2, 1)).toThrow(RangeError);
  });

  it('reports truncated bytes as ERR_CHUNK_CORRUPT', () => {
    const c = new XorChunk();
    for (let i = 0; i < 10; i++) c.append(i * 15_000, Math.sqrt(i));
    const bytes = c.bytes();
    const it = new XorIterator().reset(bytes, 0, bytes.length - 3);
    expect(() => {
      while (it.next());
    }).toThrow(expect.objectContaining({ code: 'ERR_CHUNK_CORRUPT' }));
    expect(() => new XorIterator().reset(bytes, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_CHUNK_CORRUPT' }));
  });
});
