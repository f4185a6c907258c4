/** Bounds by bytes (with per-family fairness) and by age, against both stores. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import type { SampleBuffer } from './interface.js';
import { LevelSampleBuffer } from './level-buffer.js';
import { MemorySampleBuffer } from './memory-buffer.js';
import { MemoryStore } from './memory-store.js';
import type { SampleBufferOptions } from './sample-buffer.js';
import { gauges } from './testing.js';

const memoryStores = new Map<string, MemoryStore>(); // one store per test dir: reopening is a restart
const kinds: [string, (dir: string, o: SampleBufferOptions) => SampleBuffer][] = [
  ['memory', (dir, o) => new MemorySampleBuffer({ ...o, store: memoryStores.get(dir) ?? memoryStores.set(dir, new MemoryStore()).get(dir)! })],
  ['LevelDB', (dir, o) => new LevelSampleBuffer({ ...o, path: join(dir, 'buffer') })],
];

describe.each(kinds)('buffer bounds (%s)', (_kind, create) => {
  let dir: string;
  let clock: ManualClock;
  let b: SampleBuffer;
  const make = async (o: SampleBufferOptions) => {
    b = create(dir, { clock, bootIdPath: join(dir, 'boot_id'), ...o });
    await b.open();
    return b;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-bounds-'));
    await writeFile(join(dir, 'boot_id'), 'boot-1\n');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const countBy = async (buf: SampleBuffer) => {
    const runs = await buf.readFrom(undefined, 1e9);
    const out = new Map<string, number[]>();
    for (const r of runs) r.labels.forEach((l, i) => out.set(l.name, [...(out.get(l.name) ?? []), r.timestamps[i]]));
    return out;
  };

  it('stays under maxBytes, dropping the oldest samples of the largest family first, and counts them', async () => {
    const maxBytes = 40_000;
    await make({ maxBytes });
    const t0 = clock.now();
    const collections = 60;
    for (let c = 0; c < collections; c++) {
      // A high-cardinality family (200 series) beside two small ones.
      b.append([gauges('big', 200, (i) => c * 1000 + i), gauges('load1', 1, () => c), gauges('up', 1, () => 1)], clock.now());
      await clock.advance(15_000);
      await b.flush();
      expect(b.stats().sizeBytes).toBeLessThanOrEqual(maxBytes);
    }
    const s = b.stats();
    expect(s.dropped.size).toBeGreaterThan(0);
    expect(s.samples + s.dropped.size).toBe(s.appended);
    expect(s.boots[0].dropped).toBe(s.dropped.size);
    const by = await countBy(b);
    // The small families kept every sample; the big one paid for the space.
    expect(by.get('load1')!.length).toBe(collections);
    expect(by.get('up')!.length).toBe(collections);
    expect(by.get('big')!.length).toBeLessThan(200 * collections);
    // And it lost its oldest samples: its newest collection is complete.
    const big = by.get('big')!;
    const newest = t0 + (collections - 1) * 15_000;
    expect(big.filter((t) => t === newest).length).toBe(200);
    expect(Math.min(...big)).toBeGreaterThan(t0);
    // Seqs only have gaps where samples were dropped: they still increase.
    const runs = await b.readFrom(undefined, 1e9);
    const seqs = [...runs[0].seqs];
    expect(seqs.every((x, i) => i === 0 || x > seqs[i - 1])).toBe(true);
    expect(runs[0].dropped).toBe(s.dropped.size);
    const metric = b.metrics().find((f) => f.name === 'edgeprom_buffer_dropped_samples_total')!;
    expect(metric.samples.find((x) => x.labels.get('reason') === 'size')!.value).toBe(s.dropped.size);
  });

  it('falls back to plain oldest-first when every family is the same size', async () => {
    await make({ maxBytes: 20_000 });
    for (let c = 0; c < 40; c++) {
      b.append([gauges('a', 50), gauges('b', 50)], clock.now());
      await clock.advance(15_000);
      await b.flush();
    }
    const by = await countBy(b);
    expect(Math.abs(by.get('a')!.length - by.get('b')!.length)).toBeLessThanOrEqual(1);
    expect(Math.min(...by.get('a')!)).toBeGreaterThan(Date.UTC(2026, 0, 1));
  });

  it('drops samples older than maxAge, counted as reason="age"', async () => {
    await make({ maxAgeMs: 60_000 });
    const t0 = clock.now();
    b.append([gauges('a', 10)], t0);
    await b.flush();
    await clock.advance(30_000);
    b.append([gauges('a', 10)], clock.now());
    await b.flush();
    expect(b.stats().dropped.age).toBe(0);
    await clock.advance(30_001);
    b.append([gauges('a', 1)], clock.now());
    await b.flush();
    const s = b.stats();
    expect(s.dropped.age).toBe(10);
    expect(s.samples).toBe(11);
    expect(s.oldestTimestampMs).toBe(t0 + 30_000);
    expect(s.boots[0].dropped).toBe(10);
  });

  it('never drops samples stamped before the clock could be trusted for age', async () => {
    await make({ maxAgeMs: 60_000 });
    const f = { name: 'early', type: 'gauge' as const, samples: [{ labels: Labels.from({ __name__: 'early' }), value: 1, timestampMs: 12_000 }] };
    b.append([f], clock.now());
    await b.flush();
    await clock.advance(120_000);
    await b.flush();
    expect(b.stats()).toMatchObject({ samples: 1, dropped: { age: 0 } });
  });

  it('applies the bounds on open too (a smaller max_bytes after a config change)', async () => {
    await make({});
    for (let c = 0; c < 20; c++) b.append([gauges('a', 100)], clock.now() + c);
    await b.close();
    await make({ maxBytes: 5_000 });
    expect(b.stats().sizeBytes).toBeLessThanOrEqual(5_000);
    expect(b.stats().dropped.size).toBeGreaterThan(0);
  });
});
