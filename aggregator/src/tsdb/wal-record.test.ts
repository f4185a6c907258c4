import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { float64FromBits, float64Hi, float64Lo, STALE_NAN } from '../storage/value.js';
import {
  ByteSink,
  crc32,
  crc32Fallback,
  decodeRecord,
  encodeSeries,
  MAX_SAMPLES_PER_RECORD,
  RecordType,
  SamplesEncoder,
  scanFrames,
  type RecordVisitor,
} from './wal-record.js';

const hex = (v: number) => `${float64Hi(v).toString(16)}:${float64Lo(v).toString(16)}`;

function decodeAll(sink: ByteSink) {
  const series: [number, string][] = [];
  const samples: [number, number, string][] = [];
  const ooo: [number, number, string][] = [];
  const visit: RecordVisitor = {
    series: (ref, l) => void series.push([ref, l.toString()]),
    sample: (ref, t, v) => void samples.push([ref, t, hex(v)]),
    oooSample: (ref, t, v) => void ooo.push([ref, t, hex(v)]),
  };
  const r = scanFrames(sink.buf.subarray(0, sink.len), (p) => decodeRecord(p, visit));
  return { series, samples, ooo, ...r };
}

describe('WAL records', () => {
  it('computes the same CRC-32 natively and with the table fallback', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Fallback(data)).toBe(0xcbf43926);
    const rnd = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32Fallback(rnd)).toBe(crc32(rnd));
  });

  it('round-trips series and samples, values bit-exact, timestamps at the range ends', () => {
    const sink = new ByteSink(16);
    const a = Labels.from({ __name__: 'up', job: 'nöde ✓', instance: 'x'.repeat(300) });
    encodeSeries(sink, [0, 2 ** 31 - 1], [a, Labels.from({ __name__: 'b' })]);
    const enc = new SamplesEncoder();
    enc.begin(sink);
    const values = [STALE_NAN, float64FromBits(0xfff80000, 1), -0, Infinity, 5e-324, 1.5];
    const ts = [2 ** 52, -(2 ** 52), 0, 1_700_000_000_123, -1, 2 ** 52 - 1];
    for (let i = 0; i < values.length; i++) enc.add(i % 2 === 0 ? 0 : 2 ** 31 - 1, ts[i], values[i]);
    enc.end();
    const got = decodeAll(sink);
    expect(got.problem).toBeUndefined();
    expect(got.series).toEqual([[0, a.toString()], [2 ** 31 - 1, 'b']]);
    expect(got.samples).toEqual(values.map((v, i) => [i % 2 === 0 ? 0 : 2 ** 31 - 1, ts[i], hex(v)]));
    // Timestamps 2^53 apart cannot share a record base: the encoder started new records.
    expect(got.records).toBeGreaterThan(2);
  });

  it('round-trips ref and timestamp deltas on both sides of the one-byte fast path', () => {
    const sink = new ByteSink(16);
    const enc = new SamplesEncoder();
    enc.begin(sink);
    const want: [number, number, string][] = [];
    let ref = 1000;
    for (const d of [0, 1, -1, 63, -63, 64, -64, 65, -65, 127, 128, -200, 1e6, -1e6, 2 ** 30]) {
      ref = Math.max(0, ref + d);
      const t = 1_700_000_000_000 + d;
      enc.add(ref, t, d);
      want.push([ref, t, hex(d)]);
    }
    enc.end();
    expect(decodeAll(sink).samples).toEqual(want);
  });

  it('splits samples records at MAX_SAMPLES_PER_RECORD', () => {
    const sink = new ByteSink();
    const enc = new SamplesEncoder();
    enc.begin(sink);
    const n = MAX_SAMPLES_PER_RECORD + 10;
    for (let i = 0; i < n; i++) enc.add(1000 + (i % 100), 1_700_000_000_000 + Math.floor(i / 100) * 15_000, i);
    enc.end();
    const got = decodeAll(sink);
    expect(got.records).toBe(2);
    expect(got.samples).toHaveLength(n);
    expect(got.samples[n - 1]).toEqual([1000 + ((n - 1) % 100), 1_700_000_000_000 + Math.floor((n - 1) / 100) * 15_000, hex(n - 1)]);
  });

  it('spends about 10 bytes per sample on a scrape: 8 value bytes, 1-byte ref and t deltas', () => {
    const sink = new ByteSink();
    const enc = new SamplesEncoder();
    for (let k = 0; k < 10; k++) {
      enc.begin(sink);
      for (let i = 0; i < 100; i++) enc.add(5000 + i, 1_700_000_000_000 + k * 15_000, i * 1.5);
      enc.end();
    }
    expect(decodeAll(sink).samples).toHaveLength(1000);
    expect(sink.len / 1000).toBeLessThan(10.3);
  });

  it('keeps out-of-order samples in records of their own type (3), same layout', () => {
    const sink = new ByteSink(16);
    const inOrder = new SamplesEncoder();
    const ooo = new SamplesEncoder();
    inOrder.begin(sink);
    inOrder.add(7, 2000, 2);
    inOrder.end();
    ooo.begin(sink, RecordType.OooSamples);
    ooo.add(7, 1000, STALE_NAN);
    ooo.add(9, 1500, -0);
    ooo.end();
    const types: number[] = [];
    scanFrames(sink.buf.subarray(0, sink.len), (p) => void types.push(p[0]));
    expect(types).toEqual([2, 3]);
    const got = decodeAll(sink);
    expect(got.samples).toEqual([[7, 2000, hex(2)]]);
    expect(got.ooo).toEqual([[7, 1000, hex(STALE_NAN)], [9, 1500, hex(-0)]]);
  });

  it('reports a short last frame as torn and a bad checksum as corrupt', () => {
    const sink = new ByteSink();
    encodeSeries(sink, [1], [Labels.from({ __name__: 'a' })]);
    const first = sink.len;
    encodeSeries(sink, [2], [Labels.from({ __name__: 'b' })]);
    const data = Buffer.from(sink.buf.subarray(0, sink.len));
    const noop = () => {};
    expect(scanFrames(data.subarray(0, data.length - 1), noop)).toMatchObject({ end: first, records: 1, problem: { kind: 'torn' } });
    expect(scanFrames(data.subarray(0, first + 3), noop)).toMatchObject({ end: first, problem: { kind: 'torn' } });
    const flipped = Buffer.from(data);
    flipped[first + 10] ^= 0x10;
    expect(scanFrames(flipped, noop)).toMatchObject({ end: first, problem: { kind: 'corrupt', reason: 'checksum mismatch' } });
    const zeros = Buffer.concat([data, Buffer.alloc(100)]);
    expect(scanFrames(zeros, noop)).toMatchObject({ end: data.length, records: 2, problem: { kind: 'torn' } });
  });
});
