/**
 * The scrape cache keyed by the series text of the body (issue #6): a body that reorders a
 * series's labels, mixes lines the parser's fast path reads with escaped ones, repeats a
 * series, or drops one still maps to the right stored series, with staleness and metric
 * relabeling as before. Real HTTP target on 127.0.0.1; time from a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import { compileRelabel } from '../relabel/relabel.js';
import { ScrapeLoop } from './scrape-loop.js';
import { populateLabels, Target } from './target.js';
import { scrapeJob } from './types.js';
import { dump, startServer, type TestServer } from './test-util.js';

const T0 = Date.UTC(2026, 0, 1);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(relabel: Parameters<typeof compileRelabel>[0] = []) {
  server = await startServer({ body: '' });
  const clock = new ManualClock(T0);
  const store = new MemoryStorage();
  const job = scrapeJob({ job_name: 'j', scrape_interval: 15_000, scrape_timeout: 10_000 });
  const l = populateLabels(Labels.from({ __address__: server.address }), job, []).labels!;
  const loop = new ScrapeLoop({
    target: new Target(l, l, {}),
    job,
    metricProgram: compileRelabel(relabel),
    appendable: store,
    clock,
    intervalMs: 15_000,
    timeoutMs: 10_000,
  });
  const scrape = async (n: number, body: string) => {
    server!.reply = { body };
    const t = T0 + n * 15_000;
    await clock.advance(t - clock.now());
    return loop.scrapeAndReport(t);
  };
  const series = (name: string) => new Map([...dump(store)].filter(([k]) => k.startsWith(`${name}{`)));
  return { scrape, series, loop };
}

describe('scrape cache keyed by the series text', () => {
  it('maps a reordered, escaped or repeated series to the same stored series', async () => {
    const { scrape, series } = await setup();
    let r = await scrape(0, 'a{x="1",y="2"} 1\nb{v="q\\"uote"} 1\nc 1\n');
    expect(r.error).toBeUndefined();
    expect(r.seriesAdded).toBe(3);
    r = await scrape(1, 'a{y="2",x="1"} 2\nb{v="q\\"uote"} 2\nc 2\n'); // labels reordered
    expect(r.error).toBeUndefined();
    r = await scrape(2, 'a{x="1",y="2"} 3\nb{v="q\\"uote"} 3\nc 3\nc 4\n'); // c twice
    expect(r.refused).toBe(1); // the duplicate, as Prometheus counts it
    const a = series('a');
    expect([...a.keys()]).toEqual(['a{instance="' + server!.address + '", job="j", x="1", y="2"}']);
    expect([...a.values()][0].map(([t, v]) => [(t - T0) / 15_000, v])).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect([...series('b').values()][0].map(([, v]) => v)).toEqual([1, 2, 3]);
    expect([...series('c').values()][0].map(([, v]) => v)).toEqual([1, 2, 3]);
  });

  it('marks vanished series stale and keeps relabeling drops cached', async () => {
    const { scrape, series, loop } = await setup([{ source_labels: ['x'], regex: 'drop', action: 'drop' }]);
    await scrape(0, 'a{x="1"} 1\na{x="drop"} 1\n');
    await scrape(1, 'a{x="1"} 2\na{x="drop"} 2\n');
    expect(loop.cache.size).toBe(2); // the dropped series is remembered too
    await scrape(2, 'a{x="drop"} 3\n');
    const a = series('a');
    expect(a.size).toBe(1);
    expect([...a.values()][0].map(([, v]) => v)).toEqual([1, 2, 'stale']);
    await scrape(3, 'a{x="drop"} 4\n');
    expect(loop.cache.size).toBe(1); // the vanished series was forgotten
  });
});
