/**
 * Size regression guard for the figures quoted in docs/wire-format.md ("Size"): a realistic
 * batch of 200 series × 20 samples. Byte counts are deterministic, so these are exact checks,
 * not benchmarks; if an intended format change moves them, update the spec with the new figure.
 */
import { describe, expect, it } from 'vitest';
import { encodeBatch } from './encode.js';
import { realisticBatch } from './realistic-batch.js';

describe('encoded size of a realistic batch', () => {
  const batch = realisticBatch(200, 20);
  const samples = 200 * 20;
  const bytes = encodeBatch(batch).length;

  it('costs about 13 bytes per sample', () => {
    expect(bytes).toBe(52198);
    expect(bytes / samples).toBeCloseTo(13.05, 2);
  });

  it('is a quarter of the naive JSON', () => {
    const json = JSON.stringify({
      v: 1,
      type: 'batch',
      agent: batch.agent,
      boot: batch.boot,
      seqFrom: batch.seqFrom,
      seqTo: batch.seqTo,
      series: batch.series.map((s) => ({
        labels: s.labels.toObject(),
        samples: Array.from(s.timestamps, (t, k) => ({ t, v: s.values[k], seq: s.seqs[k] })),
      })),
    });
    expect(Buffer.byteLength(json)).toBe(218618);
    expect(bytes * 4).toBeLessThan(Buffer.byteLength(json));
  });
});
