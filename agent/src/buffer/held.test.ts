/** The held part of the buffer (samples of an untrusted clock): invisible to reads until released. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { MemorySampleBuffer } from './memory-buffer.js';
import { MemoryStore } from './memory-store.js';
import { gauges } from './testing.js';

describe('held samples', () => {
  let dir: string;
  let clock: ManualClock;
  let b: MemorySampleBuffer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-held-'));
    await writeFile(join(dir, 'boot_id'), 'boot-1\n');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = async (o: { store?: MemoryStore; maxBytes?: number } = {}) => {
    b = new MemorySampleBuffer({ clock, bootIdPath: join(dir, 'boot_id'), ...o });
    await b.open();
    return b;
  };

  it('are not read until released; released ones take their seqs before an append made meanwhile', async () => {
    const buf = await open();
    buf.append([gauges('before', 1)], 1_000);
    buf.hold([gauges('held', 2)], 5, 100, 'dom');
    buf.hold([gauges('held', 2)], 6, 115, 'dom');
    await buf.flush();
    expect((await buf.readFrom(undefined, 100)).flatMap((r) => r.labels.map((l) => l.name))).toEqual(['before']);
    expect(buf.stats().held).toMatchObject({ samples: 4, pendingSamples: 0 });
    const release = buf.releaseHeld('dom', 2_000_000);
    expect(release.seqs).toBe(4);
    buf.append([gauges('after', 1)], 2_000_200); // while the release runs: deferred behind it
    expect(await release.done).toEqual({ released: 4, dropped: 0 });
    await buf.flush();
    const [run] = await buf.readFrom(undefined, 100);
    expect(run.labels.map((l) => l.name)).toEqual(['before', 'held', 'held', 'held', 'held', 'after']);
    expect([...run.seqs]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...run.timestamps]).toEqual([1_000, 2_000_100, 2_000_100, 2_000_115, 2_000_115, 2_000_200]);
    expect(buf.stats().held).toMatchObject({ samples: 0, released: 4 });
  });

  it('reserve seqs for samples a running flush is writing; holds made during a release stay held', async () => {
    const buf = await open();
    buf.hold([gauges('a', 3)], 0, 0, 'dom');
    const flushing = buf.flush(); // takes the pending held samples; its write has not resolved
    const r = buf.releaseHeld('dom', 10);
    expect(r.seqs).toBe(3);
    buf.hold([gauges('b', 2)], 0, 5, 'dom'); // a release runs: applied after it
    await flushing;
    expect(await r.done).toEqual({ released: 3, dropped: 0 });
    await buf.flush();
    expect(buf.stats().held.samples).toBe(2);
    const [run] = await buf.readFrom(undefined, 100);
    expect(run.labels.map((l) => l.name)).toEqual(['a', 'a', 'a']);
    expect([...run.seqs]).toEqual([1, 2, 3]);
  });

  it('survive a reopen; held samples of another clock domain are dropped and counted on release', async () => {
    const store = new MemoryStore();
    let buf = await open({ store });
    buf.hold([gauges('old', 3)], 0, 10, 'boot-a');
    await buf.close();
    buf = await open({ store });
    expect(buf.stats().held.samples).toBe(3);
    expect(buf.stats().series).toBe(3);
    buf.hold([gauges('new', 1)], 0, 20, 'boot-b');
    const r = buf.releaseHeld('boot-b', 1_000);
    expect(r.seqs).toBe(1);
    expect(await r.done).toEqual({ released: 1, dropped: 3 });
    await buf.flush();
    expect(buf.stats().held.dropped.reboot).toBe(3);
    expect(buf.stats().series).toBe(1); // the dropped samples' series are forgotten
    const [run] = await buf.readFrom(undefined, 10);
    expect(run.labels.map((l) => l.name)).toEqual(['new']);
    expect([...run.timestamps]).toEqual([1_020]);
  });

  it('count towards maxBytes and go last when the buffer is full', async () => {
    const buf = await open({ maxBytes: 20_000 });
    for (let i = 0; i < 100; i++) {
      buf.hold([gauges('held', 20, () => i)], 0, i * 15_000, 'dom');
      await buf.flush();
      expect(buf.stats().sizeBytes).toBeLessThanOrEqual(20_000);
    }
    const held = buf.stats().held;
    expect(held.dropped.size).toBeGreaterThan(0);
    expect(held.samples + held.dropped.size).toBe(2000);
  });

  it('refuse a change of clock domain with samples pending, and a non-finite offset', async () => {
    const buf = await open();
    buf.hold([gauges('x', 1)], 0, 0, 'a');
    expect(() => buf.hold([gauges('x', 1)], 0, 0, 'b')).toThrow(/clock domain changed from a to b/);
    expect(() => buf.releaseHeld('a', NaN)).toThrow(/offsetMs must be finite/);
  });
});
