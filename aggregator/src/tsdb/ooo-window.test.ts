import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { readSeriesSet } from '../storage/contract.js';
import { SampleError } from '../storage/errors.js';
import { STALE_NAN } from '../storage/value.js';
import { Head, type HeadOptions } from './head.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP_MS = 15_000;
const T0 = Date.UTC(2026, 0, 10);
const up = (instance: string) => Labels.from({ __name__: 'up', instance });

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SampleError) return e.code;
    throw e;
  }
  return '';
}

/** A head whose clock reads T0, with samples of `a` every 15s over the hour before T0. */
async function headWithHour(opts: HeadOptions = {}): Promise<{ head: Head; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const head = new Head({ clock, ...opts });
  const app = head.appender();
  for (let t = T0 - HOUR + 15_000; t <= T0; t += 15_000) app.append(up('a'), t, t / 1000);
  await app.commit();
  return { head, clock };
}

async function commit(head: Head, samples: [Labels, number, number][]): Promise<string[]> {
  const app = head.appender();
  const codes = samples.map(([l, t, v]) => codeOf(() => app.append(l, t, v)));
  await app.commit();
  return codes;
}

const times = (head: Head, l: Labels, mint = -Infinity, maxt = Infinity): number[] =>
  readSeriesSet(head.querier(mint, maxt).select([]))
    .find((s) => s.labels === l.toString())
    ?.samples.map(([t]) => t) ?? [];

describe('out-of-order window', () => {
  it('takes samples back to exactly head.maxTime - window, for old and new series', async () => {
    const window = 2 * HOUR;
    const { head } = await headWithHour({ outOfOrderTimeWindowMs: window });
    const edge = head.maxTime - window;
    expect(await commit(head, [
      [up('a'), edge, 1],
      [up('a'), edge - 1, 1],
      [up('b'), edge, 1], // a new series below the appendable window goes out of order too
      [up('b'), edge - 1, 1],
    ])).toEqual(['', 'ERR_TOO_OLD_SAMPLE', '', 'ERR_TOO_OLD_SAMPLE']);
    expect(times(head, up('a'))[0]).toBe(edge);
    expect(times(head, up('b'))).toEqual([edge]);
    expect(head.metrics.rejected.tooOld).toBe(2);
    expect(head.metrics.outOfOrder).toMatchObject({ appended: 2, tooOld: 2 });
    // b's newest is old now, yet a sample within the appendable window is in order again.
    expect(await commit(head, [[up('b'), head.maxTime - 10, 1]])).toEqual(['']);
    expect(head.metrics.outOfOrder.appended).toBe(2);
  });

  it('measures the window against the head, not the series, and moves with it', async () => {
    const { head } = await headWithHour({ outOfOrderTimeWindowMs: HOUR, futureToleranceMs: HOUR });
    expect(await commit(head, [[up('c'), T0 - 50 * MIN, 1]])).toEqual(['']);
    expect(await commit(head, [[up('a'), T0 + 20 * MIN, 1]])).toEqual(['']);
    // Within an hour of c's newest, but not of the head's (T0 + 20m): too old.
    expect(await commit(head, [[up('c'), T0 - 55 * MIN, 1], [up('c'), T0 - 40 * MIN, 1]])).toEqual([
      'ERR_TOO_OLD_SAMPLE',
      '',
    ]);
    expect(await commit(head, [[up('c'), T0 - 40 * MIN - 1, 1], [up('c'), T0 - 45 * MIN, 1]])).toEqual([
      'ERR_TOO_OLD_SAMPLE',
      'ERR_TOO_OLD_SAMPLE',
    ]);
  });

  it('drops at commit a sample the window left behind since it was appended', async () => {
    const { head } = await headWithHour({ outOfOrderTimeWindowMs: HOUR });
    const slow = head.appender();
    slow.append(up('a'), T0 - HOUR, 1);
    slow.append(up('a'), T0 - HOUR + 67_000, 1);
    await commit(head, [[up('a'), T0 + 70_000, 1]]);
    await slow.commit();
    expect(times(head, up('a'), -Infinity, T0 - HOUR + 15_000)).toEqual([T0 - HOUR + 15_000]);
    expect(times(head, up('a'), T0 - HOUR + 67_000, T0 - HOUR + 67_000)).toEqual([]);
    expect(head.metrics.rejected.tooOld).toBe(2);
    expect(head.metrics.outOfOrder.tooOld).toBe(2);
  });

  it('with a window of 0 refuses older samples as before', async () => {
    const { head } = await headWithHour({ outOfOrderTimeWindowMs: 0 });
    expect(await commit(head, [[up('a'), T0 - 1, 1], [up('b'), T0 - 2 * HOUR, 1]])).toEqual([
      'ERR_OUT_OF_ORDER_SAMPLE',
      'ERR_TOO_OLD_SAMPLE',
    ]);
    expect(head.metrics.rejected).toMatchObject({ outOfOrder: 1, tooOld: 1 });
    expect(head.metrics.outOfOrder.appended).toBe(0);
    expect(head.stats().outOfOrder.series).toBe(0);
  });

  it('refuses timestamps too far in the future whatever the window', async () => {
    const { head, clock } = await headWithHour({ futureToleranceMs: 10 * MIN });
    expect(await commit(head, [[up('a'), clock.now() + 10 * MIN, 1], [up('a'), clock.now() + 10 * MIN + 1, 1]])).toEqual([
      '',
      'ERR_TOO_FAR_IN_FUTURE',
    ]);
    expect(head.metrics.rejected.tooFarInFuture).toBe(1);
  });

  it('checks repeats against sealed in-order chunks, open chunks and out-of-order chunks', async () => {
    const { head } = await headWithHour({ chunkSamples: 20, outOfOrderCapacity: 4 });
    const a = up('a');
    const sealed = T0 - HOUR + 15_000 * 5; // in the first, sealed chunk
    const open = T0 - 15_000 * 2; // in the open chunk
    expect(await commit(head, [
      [a, sealed, sealed / 1000],
      [a, open, open / 1000],
      [a, sealed, 0],
      [a, open, 0],
    ])).toEqual(['', '', 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP']);
    // Out-of-order samples between the in-order ones, enough to cut several chunks.
    const gaps = Array.from({ length: 30 }, (_, i) => T0 - HOUR + 15_000 * i + 7_000);
    await commit(head, gaps.map((t) => [a, t, -t] as [Labels, number, number]));
    expect(head.stats().outOfOrder).toMatchObject({ series: 1, samples: 30 });
    expect(head.stats().outOfOrder.chunks).toBeGreaterThanOrEqual(2);
    const before = { ...head.metrics.outOfOrder };
    expect(await commit(head, [
      ...gaps.map((t) => [a, t, -t] as [Labels, number, number]),
      [a, gaps[3], 1],
      [a, gaps[29], STALE_NAN],
    ])).toEqual([...gaps.map(() => ''), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP']);
    expect(head.metrics.outOfOrder.duplicatesIgnored - before.duplicatesIgnored).toBe(30);
    expect(head.metrics.outOfOrder.duplicate - before.duplicate).toBe(2);
    expect(head.metrics.outOfOrder.appended).toBe(before.appended);
    const ts = times(head, a);
    expect(ts).toEqual([...new Set([...ts])].sort((x, y) => x - y));
    expect(ts).toHaveLength(240 + 30);
  });

  it('keeps samples sent in random order, re-encoding each only a few times', async () => {
    const clock = new ManualClock(T0);
    const head = new Head({ clock, chunkSamples: 30, outOfOrderCapacity: 8 });
    const a = up('a');
    await commit(head, [[a, T0, 0]]);
    const n = 3000;
    const order = Array.from({ length: n }, (_, k) => k);
    let x = 12345;
    for (let k = n - 1; k > 0; k--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (k + 1);
      [order[k], order[j]] = [order[j], order[k]];
    }
    for (let b = 0; b < n; b += 100) {
      await commit(head, order.slice(b, b + 100).map((k) => [a, T0 - DAY + k * STEP_MS, k] as [Labels, number, number]));
    }
    const [s] = readSeriesSet(head.querier(-Infinity, T0 - 1).select([]));
    expect(s.samples.map(([t]) => t)).toEqual(Array.from({ length: n }, (_, k) => T0 - DAY + k * STEP_MS));
    const st = head.stats().outOfOrder;
    expect(st.samples).toBe(n);
    expect(st.buffersGrown).toBeGreaterThan(0);
    expect(st.samplesReencoded / n).toBeLessThan(8);
    // Chunks stay sorted and disjoint.
    const meta = head.ooo.get(head.refOf(a))!.meta;
    for (let i = 3; i < meta.length; i += 3) expect(meta[i]).toBeGreaterThan(meta[i - 2]);
  });

  it('replays a whole day twice to the same data, the second time as no-ops', async () => {
    const clock = new ManualClock(T0);
    const head = new Head({ clock });
    const series = Array.from({ length: 40 }, (_, i) => up(`host-${i}`));
    // In-order data for the last hour first (the agent is back online)...
    const app = head.appender();
    for (let t = T0 - HOUR; t <= T0; t += 15_000) for (const l of series) app.append(l, t, 1);
    await app.commit();
    // ... then the day it buffered while offline, in batches of 500 samples per series.
    const day = async () => {
      for (let from = T0 - DAY - HOUR; from < T0 - HOUR; from += 500 * 15_000) {
        const batch = head.appender();
        for (const [i, l] of series.entries()) {
          for (let t = from; t < Math.min(from + 500 * 15_000, T0 - HOUR); t += 15_000) {
            batch.append(l, t, (t % 7) === 0 ? STALE_NAN : i + t / 15_000);
          }
        }
        await batch.commit();
      }
    };
    await day();
    const snapshot = () => readSeriesSet(head.querier(-Infinity, Infinity).select([]));
    const first = snapshot();
    const m1 = structuredClone(head.metrics);
    expect(m1.outOfOrder.appended).toBe(40 * 5760);
    await day();
    expect(snapshot()).toEqual(first);
    expect(head.metrics.outOfOrder.appended).toBe(m1.outOfOrder.appended);
    expect(head.metrics.samplesAppended).toBe(m1.samplesAppended);
    expect(head.metrics.outOfOrder.duplicatesIgnored - m1.outOfOrder.duplicatesIgnored).toBe(40 * 5760);
    expect(first[0].samples).toHaveLength(5760 + 241);
    expect(head.stats().outOfOrder.samples).toBe(40 * 5760);
  });
});
