/**
 * The scrape cache's series refs against the TSDB head: a cached series is appended by the
 * ref the head returned the scrape before, and after a truncation garbage-collected every
 * series the cached refs are stale: the next scrape falls back to the labels, recreates the
 * series and caches the new refs. Real HTTP target on 127.0.0.1; time from a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { Head } from '../tsdb/head.js';
import { dump } from '../tsdb/wal-test-util.js';
import { compileRelabel } from '../relabel/relabel.js';
import { ScrapeLoop } from './scrape-loop.js';
import { populateLabels, Target } from './target.js';
import { scrapeJob } from './types.js';
import { startServer, type TestServer } from './test-util.js';

const T0 = Date.UTC(2026, 0, 1);
const H = 3_600_000;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('scrape cache series refs', () => {
  it('appends cached series by ref, and falls back to the labels when the head collected them', async () => {
    server = await startServer({ body: '# TYPE a gauge\na{x="1"} 1\na{x="2"} 2\n' });
    const clock = new ManualClock(T0);
    const head = new Head({ clock, futureToleranceMs: Infinity });
    // What each append of the `a` series passed in and got back, per scrape.
    let calls: { x: string; in: number; out: number }[] = [];
    const recording: Appendable = {
      appender: (opts) => {
        const app = head.appender(opts);
        return {
          append: (l, t, v, ref) => {
            const out = app.append(l, t, v, ref);
            if (l.name === 'a') calls.push({ x: l.get('x'), in: ref ?? 0, out });
            return out;
          },
          commit: () => app.commit(),
          rollback: () => app.rollback(),
        };
      },
    };
    const job = scrapeJob({ job_name: 'j', scrape_interval: 15_000, scrape_timeout: 10_000 });
    const l = populateLabels(Labels.from({ __address__: server.address }), job, []).labels!;
    const loop = new ScrapeLoop({
      target: new Target(l, l, {}),
      job,
      metricProgram: compileRelabel([]),
      appendable: recording,
      clock,
      intervalMs: 15_000,
      timeoutMs: 10_000,
    });
    const scrape = async (t: number) => {
      calls = [];
      await clock.advance(t - clock.now()); // the scrape happens at its time
      const r = await loop.scrapeAndReport(t);
      expect(r.error).toBeUndefined();
      return calls.sort((p, q) => p.x.localeCompare(q.x));
    };

    const first = await scrape(T0);
    expect(first.map((c) => [c.in, c.out])).toEqual([[0, 0], [0, 0]]); // new series: no ref yet
    const second = await scrape(T0 + 15_000);
    expect(second.every((c) => c.in === 0 && c.out !== 0)).toBe(true); // looked up, ref returned
    const third = await scrape(T0 + 30_000);
    expect(third.map((c) => c.in)).toEqual(second.map((c) => c.out)); // appended by ref
    expect(third.map((c) => c.out)).toEqual(second.map((c) => c.out));

    head.truncate(T0 + H); // everything was older: every series is collected
    expect(head.numSeries).toBe(0);
    const after = await scrape(T0 + H + 15_000);
    expect(after.map((c) => c.in)).toEqual(third.map((c) => c.out)); // stale refs passed...
    expect(after.map((c) => c.out)).toEqual([0, 0]); // ...ignored: the series are created anew
    const again = await scrape(T0 + H + 30_000);
    expect(again.every((c) => c.out !== 0 && !third.some((o) => o.out === c.out))).toBe(true); // new refs
    const fourth = await scrape(T0 + H + 45_000);
    expect(fourth.map((c) => c.in)).toEqual(again.map((c) => c.out));

    const stored = dump(head);
    const a1 = [...stored].find(([k]) => k.startsWith('a{') && k.includes('x="1"'))!;
    expect(a1[1].map(([t]) => t - T0)).toEqual([H + 15_000, H + 30_000, H + 45_000]);
    expect(head.numSeries).toBe(2 + 5); // a x2 and the report series
  });
});
