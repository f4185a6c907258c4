/**
 * The series dictionary under label churn: entries no sample refers to any more are
 * forgotten in memory and deleted from the store, so 100 000 distinct label sets pushed
 * through a small buffer leave a dictionary the size of what is still buffered.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock, type MetricFamily } from '@edgeprom/shared';
import { PREFIX_SERIES } from './codec.js';
import { MemorySampleBuffer } from './memory-buffer.js';
import { MemoryStore } from './memory-store.js';
import { gauges } from './testing.js';

/** One collection: `n` series with never-repeating `req` labels, and a stable `up`. */
function churn(c: number, n = 10): MetricFamily[] {
  const samples = [];
  for (let i = 0; i < n; i++) samples.push({ labels: Labels.from({ __name__: 'requests', req: `r${c * n + i}` }), value: i });
  return [{ name: 'requests', type: 'gauge', samples }, gauges('up', 1, () => 1)];
}

async function storedSeries(store: MemoryStore): Promise<number> {
  let n = 0;
  for await (const _ of store.scan(PREFIX_SERIES)) n++;
  return n;
}

describe('series dictionary cleanup under label churn', () => {
  let dir: string;
  let clock: ManualClock;
  let b: MemorySampleBuffer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-churn-'));
    await writeFile(join(dir, 'boot_id'), 'boot-1\n');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the dictionary (memory and store) bounded by what is buffered while 100k label sets go through a small buffer', async () => {
    const store = new MemoryStore();
    const maxBytes = 48 * 1024;
    b = new MemorySampleBuffer({ clock, store, bootIdPath: join(dir, 'boot_id'), maxBytes });
    await b.open();
    let maxSeries = 0;
    for (let c = 0; c < 2_000; c++) {
      b.append(churn(c, 50), clock.now() + c * 15_000);
      if (c % 2 === 1) {
        await b.flush();
        const s = b.stats();
        expect(s.sizeBytes).toBeLessThanOrEqual(maxBytes);
        // Every series in the dictionary has a buffered sample: never more series than samples.
        expect(s.series).toBeLessThanOrEqual(s.samples + s.pendingSamples);
        maxSeries = Math.max(maxSeries, s.series);
      }
    }
    await b.flush();
    const s = b.stats();
    expect(s.appended).toBe(102_000);
    expect(s.dropped.size).toBeGreaterThan(95_000);
    // A 48 KiB buffer holds a few thousand samples; without cleanup it would hold 100 001 series.
    expect(maxSeries).toBeLessThan(5_000);
    expect(await storedSeries(store)).toBe(s.series);
    // The stable series survived every round (family fairness), the churned ones did not pile up.
    const runs = await b.readFrom(undefined, 1e9);
    const names = new Set(runs.flatMap((r) => r.labels.map((l) => l.get('req') || l.name)));
    expect(names.has('up')).toBe(true);
    expect(names.has('r0')).toBe(false);
  }, 120_000); // 100k series through the buffer: seconds of CPU on a loaded machine

  it('forgets the series of acked samples, persists that, and reloads the same dictionary', async () => {
    const store = new MemoryStore();
    b = new MemorySampleBuffer({ clock, store, bootIdPath: join(dir, 'boot_id') });
    await b.open();
    for (let c = 0; c < 100; c++) b.append(churn(c), clock.now());
    await b.flush();
    expect(b.stats().series).toBe(1001);
    expect(await storedSeries(store)).toBe(1001);
    // Ack the first 50 collections (11 samples each): their 500 request series go.
    const boot = b.stats().boot;
    await b.ack(boot, 50 * 11);
    await b.flush();
    expect(b.stats().series).toBe(501);
    expect(await storedSeries(store)).toBe(501);
    await b.close();
    b = new MemorySampleBuffer({ clock, store, bootIdPath: join(dir, 'boot_id') });
    await b.open();
    expect(b.stats().series).toBe(501);
    // Reference counts were rebuilt from the stored chunks: acking the rest empties the dictionary.
    await b.ack(boot, 100 * 11);
    await b.flush();
    expect(b.stats().series).toBe(0);
    expect(await storedSeries(store)).toBe(0);
    // A series that comes back gets a fresh entry.
    b.append(churn(0), clock.now());
    await b.flush();
    expect(b.stats().series).toBe(11);
    const [run] = await b.readFrom(undefined, 100);
    expect(run.labels.map((l) => l.get('req') || l.name)).toEqual([...Array.from({ length: 10 }, (_, i) => `r${i}`), 'up']);
  });

  it('a series seen again before the flush that would delete it keeps one entry', async () => {
    const store = new MemoryStore();
    b = new MemorySampleBuffer({ clock, store, bootIdPath: join(dir, 'boot_id') });
    await b.open();
    b.append([gauges('g', 3)], clock.now());
    await b.flush();
    await b.ack(b.stats().boot, 3);
    b.append([gauges('g', 3)], clock.now()); // same label sets, after their entries were forgotten
    await b.flush();
    expect(b.stats().series).toBe(3);
    expect(await storedSeries(store)).toBe(3);
    const [run] = await b.readFrom(undefined, 100);
    expect(run.labels.map((l) => l.get('i'))).toEqual(['0', '1', '2']);
  });
});
