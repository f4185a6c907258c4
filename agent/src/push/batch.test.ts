import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { decodeMessage, isStaleMarkerAt, type BatchMessage } from '@edgeprom/shared/wire';
import type { BufferedRun } from '../buffer/interface.js';
import { BatchSizer, encodeFitting } from './batch.js';

const STALE = new Uint8Array([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

function run(n: number, series = 3): BufferedRun {
  const labels = Array.from({ length: series }, (_, i) => Labels.from({ __name__: 'm', i: String(i) }));
  const r: BufferedRun = { boot: 'b7', seqs: new Float64Array(n), timestamps: new Float64Array(n), values: new Float64Array(n), labels: [], dropped: 4 };
  for (let k = 0; k < n; k++) {
    r.seqs[k] = 100 + k;
    r.timestamps[k] = 1_767_225_600_000 + Math.floor(k / series) * 15_000;
    r.values[k] = k * 0.5;
    r.labels.push(labels[k % series]);
  }
  return r;
}

describe('batch encoding', () => {
  it('groups by series, keeps seqs, timestamps and value bits (stale marker included)', () => {
    const r = run(9);
    new Uint8Array(r.values.buffer).set(STALE, 4 * 8); // sample 4 is a stale marker
    const b = encodeFitting('pi-1', r, 9, 1 << 20);
    const m = decodeMessage(b.bytes) as BatchMessage;
    expect(m).toMatchObject({ type: 'batch', agent: 'pi-1', boot: 'b7', seqFrom: 100, seqTo: 108, dropped: 4 });
    expect(m.series.map((s) => [...s.seqs])).toEqual([[100, 103, 106], [101, 104, 107], [102, 105, 108]]);
    const s1 = m.series[1];
    expect(isStaleMarkerAt(s1.values, 1)).toBe(true);
    expect(s1.values[0]).toBe(0.5);
    expect([...m.series[0].timestamps]).toEqual([1_767_225_600_000, 1_767_225_615_000, 1_767_225_630_000]);
  });

  it('cuts a batch smaller until it fits the byte bound, and learns the size per sample', () => {
    const r = run(3000, 50);
    const b = encodeFitting('pi-1', r, 3000, 4096);
    expect(b.bytes.length).toBeLessThanOrEqual(4096);
    expect(b.samples).toBeGreaterThan(10);
    expect(b.seqTo).toBe(100 + b.samples - 1);
    const sizer = new BatchSizer(4096);
    sizer.learn(b);
    const next = encodeFitting('pi-1', r, sizer.next, 4096);
    expect(next.bytes.length).toBeLessThanOrEqual(4096);
  });
});
