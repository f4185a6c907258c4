import { describe, expect, it } from 'vitest';
import { IngestMetrics, OVERFLOW_AGENT } from './ingest-metrics.js';

describe('IngestMetrics.families: per-device series are bounded', () => {
  it('gives the first devices their own agent series and sums the rest under #overflow', () => {
    const m = new IngestMetrics(2);
    m.batch('a', 'ok');
    m.batch('b', 'ok');
    m.batch('b', 'malformed');
    m.batch('c', 'ok');
    m.batch('d', 'malformed');
    m.batch('d', 'malformed');
    m.batch('a', 'ok'); // a device seen first stays in its own series
    const fams = m.families(3);
    const batches = fams.find((f) => f.name === 'edgeprom_ingest_batches_total')!;
    expect(batches.type).toBe('counter');
    expect(batches.samples.map((s) => [s.labels.get('agent'), s.labels.get('result'), s.value])).toEqual([
      ['a', 'ok', 2],
      ['b', 'ok', 1],
      ['b', 'malformed', 1],
      [OVERFLOW_AGENT, 'ok', 1],
      [OVERFLOW_AGENT, 'malformed', 2],
    ]);
    // The fleet view's per-device counts are not capped.
    expect(m.batchCount('d', 'malformed')).toBe(2);
    const one = (name: string) => fams.find((f) => f.name === name)!.samples[0]!.value;
    expect(one('edgeprom_ingest_devices')).toBe(4);
    expect(one('edgeprom_ingest_device_series_limit')).toBe(2);
    expect(one('edgeprom_ingest_batches_pending')).toBe(3);
  });
});
