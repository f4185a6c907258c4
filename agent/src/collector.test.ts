import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock, type MetricFamily } from '@edgeprom/shared';
import { Collector } from './collector.js';
import type { Exporter } from './exporter/interface.js';
import { FamilySet } from '@edgeprom/shared';
import { samples, value } from './testing/fake-tree.js';

/** An exporter returning one gauge, counting its calls; `behave` may replace the result. */
function fake(name: string, behave?: (call: number, signal?: AbortSignal) => Promise<MetricFamily[]>): Exporter & { calls: number } {
  const e = {
    name,
    calls: 0,
    async collect(signal?: AbortSignal) {
      e.calls++;
      if (behave) return behave(e.calls, signal);
      return new FamilySet().gauge(`${name}_value`, `${name}.`, undefined, e.calls).list();
    },
  };
  return e;
}

/** A pino logger writing JSON lines into an array. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

describe('Collector', () => {
  it('collects at start and then every interval, handing each batch to listeners with its time', async () => {
    const clock = new ManualClock(1_000_000);
    const a = fake('a');
    collector = new Collector({ exporters: [a], intervalMs: 15_000, clock });
    const batches: [number, number | undefined][] = [];
    collector.onCollect((fams, t) => void batches.push([t, value(fams, 'a_value')]));
    collector.start();
    await clock.advance(0);
    expect(a.calls).toBe(1);
    await clock.advance(14_999);
    expect(a.calls).toBe(1);
    await clock.advance(1);
    expect(a.calls).toBe(2);
    await clock.advance(30_000);
    expect(batches).toEqual([
      [1_000_000, 1],
      [1_015_000, 2],
      [1_030_000, 3],
      [1_045_000, 4],
    ]);
    expect(collector.lastCollectionMs).toBe(1_045_000);
  });

  it('serves scrapes from the cache: concurrent snapshots never run the exporters', async () => {
    const clock = new ManualClock();
    const a = fake('a');
    collector = new Collector({ exporters: [a], clock });
    // Before the first cycle completes, ten concurrent snapshots share one collection.
    const first = await Promise.all(Array.from({ length: 10 }, () => collector!.snapshot()));
    expect(a.calls).toBe(1);
    expect(first.every((f) => value(f, 'a_value') === 1)).toBe(true);
    const again = await Promise.all(Array.from({ length: 10 }, () => collector!.snapshot()));
    expect(a.calls).toBe(1);
    expect(value(again[9], 'a_value')).toBe(1);
    expect(collector.ready).toBe(true);
  });

  it('joins a cycle already running instead of starting another', async () => {
    const clock = new ManualClock();
    const slow = fake('slow', async (n) => {
      await clock.sleep(1000);
      return new FamilySet().gauge('slow_value', 'slow.', undefined, n).list();
    });
    collector = new Collector({ exporters: [slow], clock });
    const p1 = collector.collect();
    const p2 = collector.collect();
    await clock.advance(1000);
    await Promise.all([p1, p2]);
    expect(slow.calls).toBe(1);
  });

  it('isolates a failing exporter: up 0 for it, the others carry on; logs once per change', async () => {
    const clock = new ManualClock();
    const { logger, lines } = capture();
    let broken = true;
    const bad = fake('bad', async (n) => {
      if (broken) throw new Error('cannot read /proc/nothing');
      return new FamilySet().gauge('bad_value', 'bad.', undefined, n).list();
    });
    const good = fake('good');
    collector = new Collector({ exporters: [bad, good], clock, logger, intervalMs: 1000 });
    collector.start();
    await clock.advance(2500); // three cycles
    const fams = await collector.snapshot();
    expect(value(fams, 'edgeprom_exporter_up', { exporter: 'bad' })).toBe(0);
    expect(value(fams, 'edgeprom_exporter_up', { exporter: 'good' })).toBe(1);
    expect(value(fams, 'good_value')).toBe(3);
    expect(samples(fams, 'bad_value')).toEqual([]);
    expect(samples(fams, 'edgeprom_exporter_duration_seconds')).toHaveLength(2);
    const failures = lines.filter((l) => l.msg === 'exporter failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ exporter: 'bad', err: 'cannot read /proc/nothing', level: 40 });
    expect(collector.status().find((s) => s.name === 'bad')).toMatchObject({ up: false, lastError: 'cannot read /proc/nothing' });

    broken = false;
    await clock.advance(1000);
    expect(value(await collector.snapshot(), 'edgeprom_exporter_up', { exporter: 'bad' })).toBe(1);
    expect(lines.filter((l) => l.msg === 'exporter recovered')).toHaveLength(1);
  });

  it('logs a failure again when its message changes', async () => {
    const clock = new ManualClock();
    const { logger, lines } = capture();
    const bad = fake('bad', async (n) => {
      throw new Error(n < 3 ? 'first problem' : 'second problem');
    });
    collector = new Collector({ exporters: [bad], clock, logger, intervalMs: 1000 });
    collector.start();
    await clock.advance(4000);
    expect(lines.filter((l) => l.msg === 'exporter failed').map((l) => l.err)).toEqual(['first problem', 'second problem']);
  });

  it('times an exporter out, aborts its signal, and does not stack calls while it is stuck', async () => {
    const clock = new ManualClock();
    let aborted: unknown;
    let release!: () => void;
    const stuck = fake('stuck', (_n, signal) => {
      signal?.addEventListener('abort', () => (aborted = signal.reason));
      return new Promise<MetricFamily[]>((resolve) => (release = () => resolve([])));
    });
    const good = fake('good');
    collector = new Collector({ exporters: [stuck, good], clock, intervalMs: 15_000, timeoutMs: 5000 });
    collector.start();
    await clock.advance(5000);
    let fams = await collector.snapshot();
    expect(value(fams, 'edgeprom_exporter_up', { exporter: 'stuck' })).toBe(0);
    expect(value(fams, 'edgeprom_exporter_duration_seconds', { exporter: 'stuck' })).toBe(5);
    expect(value(fams, 'good_value')).toBe(1);
    expect(aborted).toMatchObject({ code: 'ERR_EXPORTER_TIMEOUT' });

    await clock.advance(10_000); // second cycle: the first call still hangs
    expect(stuck.calls).toBe(1);
    expect(collector.status().find((s) => s.name === 'stuck')?.lastError).toMatch(/ERR_EXPORTER_STUCK/);
    fams = await collector.snapshot();
    expect(value(fams, 'good_value')).toBe(2);

    release(); // it finally returns: the next cycle calls it again
    await clock.advance(15_000);
    expect(stuck.calls).toBe(2);
  });

  it('runs live exporters on every snapshot and the others only on the interval', async () => {
    const clock = new ManualClock(0);
    const cached = fake('cached');
    const live: Exporter = {
      name: 'clock',
      live: true,
      collect: async () => new FamilySet().gauge('now_seconds', 'now.', undefined, clock.now() / 1000).list(),
    };
    collector = new Collector({ exporters: [cached, live], clock });
    collector.start();
    await clock.advance(0);
    await clock.advance(4000);
    const fams = await collector.snapshot();
    expect(value(fams, 'now_seconds')).toBe(4);
    expect(value(fams, 'cached_value')).toBe(1);
    expect(cached.calls).toBe(1);
  });

  it('merges a family reported by two exporters and keeps the first on a type clash', async () => {
    const clock = new ManualClock();
    const { logger, lines } = capture();
    const one: Exporter = { name: 'one', collect: async () => new FamilySet().gauge('shared', 'h', { from: 'one' }, 1).gauge('clash', 'h', undefined, 1).list() };
    const two: Exporter = {
      name: 'two',
      collect: async () =>
        new FamilySet()
          .gauge('shared', 'h', { from: 'two' }, 2)
          .gauge('shared', 'h', { from: 'two' }, 3) // a duplicate series: dropped
          .counter('clash', 'h', undefined, 9)
          .list(),
    };
    collector = new Collector({ exporters: [one, two], clock, logger });
    const fams = await collector.snapshot();
    expect(samples(fams, 'shared').map((s) => s.value)).toEqual([1, 2]);
    expect(fams.filter((f) => f.name === 'clash')).toEqual([expect.objectContaining({ type: 'gauge' })]);
    expect(lines.filter((l) => String(l.msg).includes('different types'))).toHaveLength(1);
    const names = fams.map((f) => f.name);
    expect(names).toEqual([...names].sort());
  });

  it('stop() aborts running exporters and leaves no timer behind', async () => {
    const clock = new ManualClock();
    let sawAbort = false;
    const slow = fake('slow', (_n, signal) => new Promise<MetricFamily[]>((_, reject) => signal?.addEventListener('abort', () => ((sawAbort = true), reject(signal.reason)))));
    collector = new Collector({ exporters: [slow], clock });
    collector.start();
    await clock.advance(0);
    await collector.stop();
    expect(sawAbort).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    collector = undefined;
  });

  it('applyConfig changes the interval and the exporter set, keeping state by name', async () => {
    const clock = new ManualClock();
    const a = fake('a');
    const b = fake('b');
    collector = new Collector({ exporters: [a], clock, intervalMs: 10_000 });
    collector.start();
    await clock.advance(0);
    collector.applyConfig({ intervalMs: 1000, exporters: [a, b] });
    await clock.advance(1000);
    expect(a.calls).toBe(2);
    expect(b.calls).toBe(1);
    expect(collector.intervalMs).toBe(1000);
    expect(() => collector!.applyConfig({ intervalMs: 0 })).toThrow(/positive/);
    expect(collector.intervalMs).toBe(1000);
  });

  it('refuses two exporters with one name', () => {
    expect(() => new Collector({ exporters: [fake('x'), fake('x')] })).toThrow(/two exporters are named "x"/);
  });

  it('a listener that throws is logged and does not stop the cache update', async () => {
    const clock = new ManualClock();
    const { logger, lines } = capture();
    collector = new Collector({ exporters: [fake('a')], clock, logger });
    collector.onCollect(() => {
      throw new Error('disk full');
    });
    const off = collector.onCollect(() => undefined);
    off();
    expect(value(await collector.snapshot(), 'a_value')).toBe(1);
    expect(lines.some((l) => l.msg === 'collect listener failed')).toBe(true);
  });
});
