import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { ByteReader, ByteWriter, chunkKey, decodeBoot, decodeChunk, decodeLabels, encodeBoot, encodeChunk, encodeLabels, parseChunkKey } from './codec.js';
import { bitsAt, fromBits } from './testing.js';

describe('buffer codec', () => {
  it('varints hold every integer up to 2^53, signed ones both ways', () => {
    const w = new ByteWriter(4);
    const u = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    const s = [0, -1, 1, -15_000, 15_000, -(2 ** 45), 1_767_225_600_000];
    for (const n of u) w.uvarint(n);
    for (const n of s) w.svarint(n);
    const r = new ByteReader(w.bytes());
    expect(u.map(() => r.uvarint())).toEqual(u);
    expect(s.map(() => r.svarint())).toEqual(s);
    expect(r.done).toBe(true);
  });

  it('chunk keys sort by (boot, seq) bytewise and parse back', () => {
    const keys = [chunkKey(1, 2 ** 32 + 1), chunkKey(1, 5), chunkKey(2, 1), chunkKey(1, 2 ** 33)];
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
    expect(keys.map(hex).sort()).toEqual([chunkKey(1, 5), chunkKey(1, 2 ** 32 + 1), chunkKey(1, 2 ** 33), chunkKey(2, 1)].map(hex));
    expect(parseChunkKey(chunkKey(7, Number.MAX_SAFE_INTEGER))).toEqual({ ord: 7, firstSeq: Number.MAX_SAFE_INTEGER });
  });

  it('chunks round-trip with gaps, clock steps back and exact value bits, at ~11 bytes a sample', () => {
    const n = 1000;
    const c = { n, seqs: new Float64Array(n), series: new Uint32Array(n), timestamps: new Float64Array(n), values: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      c.seqs[i] = 100 + i + (i > 500 ? 3 : 0);
      c.series[i] = i % 200;
      c.timestamps[i] = 1_767_225_600_000 + Math.floor(i / 200) * 15_000 - (i === 700 ? 60_000 : 0);
      c.values[i] = i * 1.5;
    }
    new BigUint64Array(c.values.buffer)[3] = 0x7ff0000000000002n;
    const bytes = encodeChunk(100, c);
    expect(bytes.length / n).toBeLessThan(12);
    const d = decodeChunk(100, bytes);
    expect([...d.seqs]).toEqual([...c.seqs]);
    expect([...d.series]).toEqual([...c.series]);
    expect([...d.timestamps]).toEqual([...c.timestamps]);
    expect(bitsAt(d.values, 3)).toBe('7ff0000000000002');
    expect(d.values[999]).toBe(999 * 1.5);
    expect(fromBits(0x3ff0000000000000n)).toBe(1);
  });

  it('refuses damaged entries with ERR_BUFFER_CORRUPT instead of throwing something else', () => {
    const c = { n: 2, seqs: Float64Array.of(1, 2), series: Uint32Array.of(1, 1), timestamps: Float64Array.of(5, 5), values: Float64Array.of(1, 2) };
    const good = encodeChunk(1, c);
    for (const bad of [good.subarray(0, good.length - 3), Uint8Array.of(...good, 0), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)]) {
      expect(() => decodeChunk(1, bad)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_CORRUPT' }));
    }
    expect(() => decodeLabels(Uint8Array.of(1, 5, 0x61))).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_CORRUPT' }));
  });

  it('labels and boot records round-trip', () => {
    const l = Labels.from({ __name__: 'node_hwmon_temp_celsius', chip: 'thermal_thermal_zone0', sensor: 'temp1', note: 'ünïcode' });
    expect(decodeLabels(encodeLabels(l)).key).toBe(l.key);
    const b = { ord: 3, id: '3d1219c7-7a3c-4f0e-a4c9-0d0b8a1b2c3d', lastSeq: 2 ** 40, ackedSeq: 17, dropped: 4 };
    expect(decodeBoot(3, encodeBoot(b))).toEqual(b);
  });
});
