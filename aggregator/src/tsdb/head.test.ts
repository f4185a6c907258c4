import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { readSeriesSet } from '../storage/contract.js';
import { Matcher } from '../storage/matcher.js';
import { SampleError } from '../storage/errors.js';
import { float64FromBits, MAX_TIMESTAMP, MIN_TIMESTAMP } from '../storage/value.js';
import { Head } from './head.js';

const HOUR = 3_600_000;
const up = (instance: string) => Labels.from({ __name__: 'up', instance });

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SampleError) return e.code;
    throw e;
  }
  return undefined;
}

describe('Head', () => {
  it('reads back chunks reserved from the previous chunk, whether they fit, outgrow it, or are truncated open', async () => {
    const head = new Head({ clock: new ManualClock(10 * HOUR), outOfOrderTimeWindowMs: 0 });
    // 120 constant samples (a tiny chunk), 120 noisy ones (far more than its reservation
    // expects: it moves to a region), then 100 constant ones in a roomy reservation, left open.
    let x = 12345;
    const noise = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 7;
    const wantT: number[] = [];
    const wantV: number[] = [];
    for (let i = 0; i < 340; i++) {
      const v = i >= 120 && i < 240 ? noise() : 42;
      const app = head.appender();
      app.append(up('a'), i * 15_000, v);
      await app.commit();
      wantT.push(i * 15_000);
      wantV.push(v);
    }
    const [s] = [...head.querier(-Infinity, Infinity).select([Matcher.equal('instance', 'a')])];
    const it = s.iterator();
    const ts: number[] = [];
    const vs: number[] = [];
    while (it.next() !== 0) {
      ts.push(it.atT());
      vs.push(it.atV());
    }
    expect(ts).toEqual(wantT);
    expect(vs).toEqual(wantV);
    expect(head.stats().chunks).toBe(3);
    head.truncate(1e12);
    const arena = head.store.arena.stats();
    expect(arena).toMatchObject({ sealedBytes: 0, regionBytes: 0 });
  });

  it('refuses samples older than the appendable window as ERR_TOO_OLD_SAMPLE, for any series', async () => {
    const head = new Head({ clock: new ManualClock(), outOfOrderTimeWindowMs: 0 });
    const app = head.appender();
    app.append(up('a'), 10 * HOUR, 1);
    await app.commit();
    const next = head.appender();
    expect(codeOf(() => next.append(up('b'), 9 * HOUR - 1, 1))).toBe('ERR_TOO_OLD_SAMPLE');
    expect(codeOf(() => next.append(up('b'), 9 * HOUR, 1))).toBeUndefined();
    expect(codeOf(() => next.append(up('a'), 9 * HOUR + 5, 1))).toBe('ERR_OUT_OF_ORDER_SAMPLE');
    await next.commit();
    expect(head.metrics.rejected).toMatchObject({ tooOld: 1, outOfOrder: 1 });
  });

  it('with discardOutOfOrder refuses and counts out-of-order samples despite the window, at append and commit', async () => {
    const head = new Head({ clock: new ManualClock() }); // default 7-day out-of-order window
    const app = head.appender();
    app.append(up('a'), 10 * HOUR, 1);
    app.append(up('b'), 10 * HOUR, 1);
    await app.commit();
    const late = head.appender({ discardOutOfOrder: true });
    expect(codeOf(() => late.append(up('a'), 10 * HOUR - 1, 1))).toBe('ERR_OUT_OF_ORDER_SAMPLE');
    // Below the appendable window (1h): too old, as with the window off.
    expect(codeOf(() => late.append(up('c'), 9 * HOUR - 1, 1))).toBe('ERR_TOO_OLD_SAMPLE');
    late.append(up('b'), 10 * HOUR + 5, 1); // in order now; another transaction overtakes it
    const fast = head.appender();
    fast.append(up('b'), 10 * HOUR + 10, 2);
    await fast.commit();
    await late.commit();
    expect(head.metrics.rejected).toMatchObject({ outOfOrder: 2, tooOld: 1 });
    expect(head.metrics.outOfOrder.appended).toBe(0);
    expect(head.stats().outOfOrder.samples).toBe(0);
    const [b] = readSeriesSet(head.querier(-Infinity, Infinity).select([Matcher.equal('instance', 'b')]));
    expect(b.samples.map(([t]) => t)).toEqual([10 * HOUR, 10 * HOUR + 10]);
  });

  it('refuses timestamps beyond the clock plus tolerance as ERR_TOO_FAR_IN_FUTURE', async () => {
    const clock = new ManualClock(1_000_000_000_000);
    const head = new Head({ clock, futureToleranceMs: 60_000 });
    const app = head.appender();
    expect(codeOf(() => app.append(up('a'), clock.now() + 60_000, 1))).toBeUndefined();
    expect(codeOf(() => app.append(up('a'), clock.now() + 60_001, 1))).toBe('ERR_TOO_FAR_IN_FUTURE');
    app.rollback();
    clock.setWallTime(clock.now() + 60_000);
    const later = head.appender();
    expect(codeOf(() => later.append(up('a'), clock.now() + 60_000, 1))).toBeUndefined();
    expect(head.metrics.rejected.tooFarInFuture).toBe(1);
  });

  it('checks its out-of-order options', () => {
    expect(new Head().outOfOrderTimeWindowMs).toBe(7 * 24 * HOUR);
    expect(new Head({ outOfOrderTimeWindowMs: Infinity }).outOfOrderTimeWindowMs).toBe(Infinity);
    for (const w of [-1, 1.5, NaN]) expect(() => new Head({ outOfOrderTimeWindowMs: w })).toThrow(RangeError);
    for (const c of [0, 2000, 1.5]) expect(() => new Head({ outOfOrderCapacity: c })).toThrow(RangeError);
  });

  it('creates series only when a commit brings them a sample', async () => {
    const head = new Head({ clock: new ManualClock() });
    const app = head.appender();
    app.append(up('a'), 1000, 1);
    app.rollback();
    expect(head.numSeries).toBe(0);
    const again = head.appender();
    again.append(up('b'), 1000, 1);
    again.append(up('a'), 1000, 1);
    await again.commit();
    expect(head.numSeries).toBe(2);
    expect(head.metrics).toMatchObject({ seriesCreated: 2, samplesAppended: 2, commits: 1, rollbacks: 1 });
  });

  it('counts ignored repeats and each kind of refusal', async () => {
    const head = new Head({ clock: new ManualClock(), outOfOrderTimeWindowMs: 0 });
    const app = head.appender();
    app.append(up('a'), 1000, 1);
    app.append(up('a'), 1000, 1);
    codeOf(() => app.append(up('a'), 1000, 2));
    codeOf(() => app.append(up('a'), 999, 2));
    codeOf(() => app.append(Labels.EMPTY, 999, 2));
    await app.commit();
    expect(head.metrics).toMatchObject({
      samplesAppended: 1,
      duplicatesIgnored: 1,
      rejected: { duplicate: 1, outOfOrder: 1, invalid: 1, tooOld: 0, tooFarInFuture: 0 },
    });
  });

  it('cuts chunks every chunkSamples samples and at chunk-range boundaries', async () => {
    const head = new Head({ clock: new ManualClock(), chunkSamples: 120, chunkRangeMs: 2 * HOUR });
    const app = head.appender();
    // 15s interval from 1h50m to 2h40m: crosses the 2h boundary after 40 samples.
    const start = 2 * HOUR - 10 * 60_000;
    for (let i = 0; i < 200; i++) app.append(up('a'), start + i * 15_000, i);
    await app.commit();
    const st = head.stats();
    // [1h50m, 2h) holds 40 samples; then 120 and 40 in the next range.
    expect(st).toMatchObject({ series: 1, samples: 200, chunks: 3, minTime: start, maxTime: start + 199 * 15_000 });
    const q = head.querier(-Infinity, Infinity);
    const [s] = readSeriesSet(q.select([]));
    expect(s.samples.map(([t]) => t)).toEqual(Array.from({ length: 200 }, (_, i) => start + i * 15_000));
    expect(st.chunkBytes).toBeGreaterThan(0);
    expect(st.approxBytes).toBeGreaterThan(st.chunkBytes);
  });

  it('grows open chunks that hold incompressible values, and reads them back', async () => {
    const head = new Head({ clock: new ManualClock(), chunkSamples: 1000, appendWindowMs: Infinity });
    const app = head.appender();
    let x = 0x9e3779b9;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const pats: [number, number][] = [];
    for (let i = 0; i < 900; i++) {
      const p: [number, number] = [rnd(), rnd()];
      pats.push(p);
      app.append(up('noise'), i * 7919, float64FromBits(p[0], p[1]));
    }
    app.append(up('small'), 1, 1);
    await app.commit();
    const [noise, small] = readSeriesSet(head.querier(-Infinity, Infinity).select([]));
    expect(noise.samples).toHaveLength(900);
    const hex = ([hi, lo]: [number, number]) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
    expect(noise.samples.map(([, v]) => v)).toEqual(pats.map(hex));
    expect(small.samples).toEqual([[1, '3ff0000000000000']]);
  });

  it('stores timestamps at both ends of the valid range', async () => {
    const head = new Head({ clock: new ManualClock(), appendWindowMs: Infinity, futureToleranceMs: Infinity });
    const app = head.appender();
    const ts = [MIN_TIMESTAMP, MIN_TIMESTAMP + 1, -1, 0, 1, MAX_TIMESTAMP - 1, MAX_TIMESTAMP];
    for (const t of ts) app.append(up('a'), t, 1);
    await app.commit();
    const [s] = readSeriesSet(head.querier(-Infinity, Infinity).select([]));
    expect(s.samples.map(([t]) => t)).toEqual(ts);
  });

  it('answers label queries from the index, and nothing outside its time range', async () => {
    const head = new Head({ clock: new ManualClock() });
    const app = head.appender();
    app.append(Labels.from({ __name__: 'a', zone: 'z1' }), 1000, 1);
    app.append(Labels.from({ __name__: 'b', rack: 'r1' }), 5000, 1);
    await app.commit();
    const q = head.querier(0, 6000);
    expect(q.labelNames()).toEqual(['__name__', 'rack', 'zone']);
    expect(q.labelValues('__name__', [Matcher.regex('zone', '.+')])).toEqual(['a']);
    // Without matchers the answer has head granularity: no sample lies in [2000, 4000].
    expect(head.querier(2000, 4000).labelValues('__name__')).toEqual(['a', 'b']);
    // With matchers it looks at each matching series' time span.
    expect(head.querier(2000, 4000).labelValues('__name__', [Matcher.regex('rack', '.*')])).toEqual([]);
    expect(head.querier(6000, 7000).labelValues('__name__')).toEqual([]);
  });
});
