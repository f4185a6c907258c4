/**
 * Head series garbage collection (Head.gc, run by every truncation) and what it means for
 * SeriesRefs that callers keep: churn of short-lived series across several cuts, data of
 * collected series still read from blocks, a stale ref falling back to the labels, and the
 * race of an appender whose pending sample's series would be collected before it commits.
 */
import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { Matcher } from '../storage/matcher.js';
import { Head } from './head.js';
import { openTsdb } from './tsdb.js';
import { dump, tempDir } from './wal-test-util.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const pod = (gen: number, i: number) => Labels.from({ __name__: 'up', job: 'k8s', pod: `p${gen}-${i}` });
const steady = (i: number) => Labels.from({ __name__: 'up', job: 'k8s', node: `n${i}` });

describe('head series garbage collection', () => {
  it('drops series left without samples after a truncation; a stale ref falls back to the labels', async () => {
    const clock = new ManualClock(T0 + 100 * H);
    const head = new Head({ clock, appendWindowMs: Infinity });
    const refs = new Map<string, number>();
    // 5 generations of 200 pods, each living 2 h, next to 10 steady series.
    for (let gen = 0; gen < 5; gen++) {
      for (let t = T0 + gen * 2 * H; t < T0 + (gen + 1) * 2 * H; t += 10 * 60_000) {
        const app = head.appender();
        for (let i = 0; i < 10; i++) refs.set(`s${i}`, app.append(steady(i), t, i, refs.get(`s${i}`)));
        for (let i = 0; i < 200; i++) app.append(pod(gen, i), t, gen);
        await app.commit();
      }
      expect(head.numSeries).toBe(10 + 200 * Math.min(gen + 1, 2));
      // The cut at the start of this generation's range: earlier generations have no sample left.
      head.truncate(T0 + gen * 2 * H);
      expect(head.numSeries).toBe(10 + 200);
    }
    expect(head.metrics.seriesRemoved).toBe(4 * 200);
    expect(head.stats().series).toBe(210);
    // The index forgot them: labels, postings, label values.
    const q = head.querier(-Infinity, Infinity);
    expect(q.labelValues('pod')).toHaveLength(200);
    expect([...q.select([Matcher.equal('job', 'k8s')])]).toHaveLength(210);
    q.close();

    // A ref to a collected series: the append finds no series by it and creates one anew.
    const app = head.appender();
    const old = app.append(pod(4, 0), T0 + 10 * H, 7); // still live: gets a ref
    expect(old).not.toBe(0);
    await app.commit();
    head.truncate(T0 + 11 * H); // pod(4, 0) and the steady series have no sample left
    expect(head.numSeries).toBe(0);
    const again = head.appender();
    expect(again.append(pod(4, 0), T0 + 12 * H, 8, old)).toBe(0); // new series: no ref yet
    await again.commit();
    const third = head.appender();
    const fresh = third.append(pod(4, 0), T0 + 12 * H + 1, 9, old);
    expect(fresh).not.toBe(0);
    expect(fresh).not.toBe(old); // refs are never reused
    await third.commit();
    expect(head.numSeries).toBe(1);
    expect(dump(head).get(pod(4, 0).toString())).toEqual([
      [T0 + 12 * H, '4020000000000000'],
      [T0 + 12 * H + 1, '4022000000000000'],
    ]);
  });

  it('keeps a series an open appender has a pending sample for, and loses no sample', async () => {
    const clock = new ManualClock(T0 + 100 * H);
    const head = new Head({ clock, appendWindowMs: Infinity });
    const a = pod(0, 1);
    const b = pod(0, 2);
    const first = head.appender();
    const ra = first.append(a, T0, 1);
    first.append(b, T0, 1);
    await first.commit();
    const peek = head.appender();
    const ref = peek.append(a, T0 + 1, 1); // a's ref
    peek.rollback();
    expect(ra).toBe(0);
    expect(ref).not.toBe(0);
    // The race: a sample appended to a and to a new series, then a cut that leaves both
    // series of the first commit empty, then the commit.
    const slow = head.appender();
    slow.append(a, T0 + 3 * H, 2, ref);
    slow.append(pod(0, 3), T0 + 3 * H, 3);
    head.truncate(T0 + 2 * H);
    expect(head.numSeries).toBe(1); // b went, a stayed: it has a pending sample
    await slow.commit();
    expect(dump(head)).toEqual(
      new Map([
        [a.toString(), [[T0 + 3 * H, '4000000000000000']]],
        [pod(0, 3).toString(), [[T0 + 3 * H, '4008000000000000']]],
      ]),
    );
    // Committed or rolled back, an appender pins nothing any more.
    const rolled = head.appender();
    rolled.append(a, T0 + 4 * H, 4);
    rolled.rollback();
    head.truncate(T0 + 4 * H);
    expect(head.numSeries).toBe(0);
  });

  it('in the store: churn across cuts returns the head to the live set, queries still read blocks, reopen agrees', async () => {
    const t = tempDir('head-gc');
    try {
      const clock = new ManualClock(T0 + 100 * H);
      let db = await openTsdb({ dir: t.dir, clock, compactIntervalMs: 0 });
      for (let gen = 0; gen < 4; gen++) {
        for (let ts = T0 + gen * 2 * H; ts < T0 + (gen + 1) * 2 * H; ts += 15 * 60_000) {
          const app = db.appender();
          for (let i = 0; i < 5; i++) app.append(steady(i), ts, i);
          for (let i = 0; i < 50; i++) app.append(pod(gen, i), ts, gen * 100 + i);
          await app.commit();
        }
        await db.compact();
      }
      // Cuts so far leave generation 3 and the one before it in the head (1.5 ranges rule).
      await db.compactHead({ all: true });
      expect(db.head.numSeries).toBe(0);
      expect(db.head.metrics.seriesRemoved).toBe(5 + 4 * 50);
      const want = dump(db);
      expect(want.size).toBe(5 + 4 * 50);
      expect(want.get(pod(0, 7).toString())).toHaveLength(8);
      const q = db.querier(-Infinity, Infinity);
      expect([...q.select([Matcher.regex('pod', 'p1-.*')])]).toHaveLength(50);
      q.close();
      // A collected series comes back: a new head series, continuing after its block data.
      const app = db.appender();
      app.append(pod(0, 7), T0 + 9 * H, 1);
      await app.commit();
      expect(db.head.numSeries).toBe(1);
      want.get(pod(0, 7).toString())!.push([T0 + 9 * H, '3ff0000000000000']);
      expect(dump(db)).toEqual(want);
      await db.close();
      db = await openTsdb({ dir: t.dir, clock, compactIntervalMs: 0 });
      expect(db.head.numSeries).toBe(1);
      expect(dump(db)).toEqual(want);
      await db.close();
    } finally {
      t.cleanup();
    }
  });
});
