/**
 * The PromQL benchmark's own parts: its dataset must be valid OpenMetrics that our parser
 * takes whole (a bad file would make the benchmark compare partial loads), and the profile
 * summary must count only the samples inside the query windows.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseExposition } from '@edgeprom/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { summariseProfile, type CpuProfile } from './cpu-profile.js';
import { BENCH_QUERIES, writePromqlBenchDataset } from './promql-dataset.js';

const dir = fs.mkdtempSync(path.join(tmpdir(), 'edgeprom-bench-support-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('PromQL benchmark dataset', () => {
  it('is OpenMetrics our parser accepts whole, with the series and samples it reports', () => {
    const file = path.join(dir, 'small.om');
    const ds = writePromqlBenchDataset(file, { instances: 3, hours: 0.25 });
    const body = fs.readFileSync(file);
    expect(ds.bytes).toBe(body.length);
    const fams = parseExposition(body, { format: 'openmetrics', source: file, limits: { maxBodyBytes: 0, maxSamples: 0 } });
    const samples = fams.flatMap((f) => f.samples);
    expect(samples.length).toBe(ds.samples);
    expect(new Set(samples.map((s) => s.labels.key)).size).toBe(ds.series);
    expect(ds.series).toBe(3 * 69);
    expect(fams.map((f) => `${f.name}:${f.type}`)).toEqual([
      'bench_http_requests:counter',
      'bench_http_request_duration_seconds:histogram',
      'bench_cpu_temperature_celsius:gauge',
      'bench_build_info:gauge',
    ]);
    // Each series in time order, and data before and after the queried range.
    const last = new Map<string, number>();
    let unordered = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const s of samples) {
      const t = s.timestampMs!;
      if (!(t > (last.get(s.labels.key) ?? -Infinity))) unordered++;
      last.set(s.labels.key, t);
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    expect(unordered).toBe(0);
    expect(min).toBeLessThan(ds.startMs - 5 * 60_000);
    expect(max).toBeGreaterThan(ds.endMs);
    // Every metric a benchmark query reads is in the file.
    const names = new Set(samples.map((s) => s.labels.name));
    for (const q of BENCH_QUERIES) {
      for (const m of q.query.matchAll(/bench_[a-z_]+/g)) expect(names.has(m[0]), `${q.id}: ${m[0]}`).toBe(true);
    }
  });

  it('has at least 1,000 series at its default size', () => {
    // 25 instances × 69 series; checked by arithmetic so the test does not write 300 MB.
    expect(25 * 69).toBeGreaterThanOrEqual(1000);
    const file = path.join(dir, 'one.om');
    expect(writePromqlBenchDataset(file, { instances: 1, hours: 0.05 }).series).toBe(69);
  });
});

describe('summariseProfile', () => {
  // root → main → hot (self) and main → cold (self); samples every 1 ms from t = 1000 µs.
  const frame = (functionName: string, line: number) => ({ functionName, url: '', lineNumber: line, columnNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', -1), children: [2] },
      { id: 2, callFrame: frame('main', 1), children: [3, 4] },
      { id: 3, callFrame: frame('hot', 10) },
      { id: 4, callFrame: frame('cold', 20) },
    ],
    startTime: 0,
    endTime: 10_000,
    // t = 1000, 2000, ..., 8000
    samples: [3, 3, 3, 4, 4, 4, 4, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };

  it('counts only samples inside the windows', () => {
    const s = summariseProfile(profile, { root: '/nowhere', windows: [[500, 3500]] });
    expect(s.windowed).toBe(true);
    expect(s.sampledMs).toBe(3);
    expect(s.self.map((h) => [h.fn, h.ms])).toEqual([['hot', 3]]);
  });

  it('falls back to the whole profile when no window overlaps it, and says so', () => {
    const s = summariseProfile(profile, { root: '/nowhere', windows: [[50_000, 60_000]] });
    expect(s.windowed).toBe(false);
    // The last sample has no successor, so no duration.
    expect(s.self.map((h) => [h.fn, h.ms])).toEqual([
      ['cold', 4],
      ['hot', 3],
    ]);
    expect(s.self[0]!.pct).toBeCloseTo(57.1, 1);
  });
});
