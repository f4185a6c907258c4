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

  it('follows a body whose order changes, whose series leave and come back', async () => {
    const { scrape, series, loop } = await setup([{ source_labels: ['x'], regex: 'drop', action: 'drop' }]);
    const bodies = [
      'a{x="1"} 1\nb{x="1"} 1\nc 1\nd{x="drop"} 1\n',
      'c 2\nd{x="drop"} 2\nb{x="1"} 2\na{x="1"} 2\n', // reversed pairs: every guess fails
      'a{x="1"} 3\nc 3\n', // b and the dropped d leave: forgotten after this scrape
      'a{x="1"} 4\nb{x="1"} 4\nc 4\nd{x="drop"} 4\n', // a's guess (b) was forgotten
      'a{x="1"} 5\nb{x="1"} 5\nc 5\nd{x="drop"} 5\n', // every guess holds
    ];
    const added: number[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const r = await scrape(i, bodies[i]);
      expect(r.error).toBeUndefined();
      added.push(r.seriesAdded);
    }
    expect(added).toEqual([3, 0, 0, 1, 0]);
    const values = (name: string) => [...series(name).values()].map((pts) => pts.map(([, v]) => v));
    expect(values('a')).toEqual([[1, 2, 3, 4, 5]]);
    expect(values('b')).toEqual([[1, 2, 'stale', 4, 5]]);
    expect(values('c')).toEqual([[1, 2, 3, 4, 5]]);
    expect(values('d')).toEqual([]);
    expect(loop.cache.size).toBe(4);
  });

  it('marks a series stale when another one takes its place in the same scrape', async () => {
    const { scrape, series } = await setup();
    await scrape(0, 'a 1\nb 1\n');
    await scrape(1, 'a 2\nc 2\n'); // as many series as before, b gone, c new
    await scrape(2, 'a 3\nc 3\n');
    const values = (name: string) => [...series(name).values()].map((pts) => pts.map(([, v]) => v));
    expect(values('b')).toEqual([[1, 'stale']]);
    expect(values('c')).toEqual([[2, 3]]);
    expect(values('a')).toEqual([[1, 2, 3]]);
  });

  it('marks every series stale when a scrape fails after appending them again', async () => {
    const { scrape, series } = await setup();
    await scrape(0, 'a 1\nb 1\n');
    const r = await scrape(1, 'a 2\nb 2\n{ 3\n'); // both read again, then a parse error
    expect(r.error).toBeDefined();
    const values = (name: string) => [...series(name).values()].map((pts) => pts.map(([, v]) => v));
    expect(values('a')).toEqual([[1, 'stale']]);
    expect(values('b')).toEqual([[1, 'stale']]);
  });

  it('does not take a known series for a line that only starts like it', async () => {
    const { scrape, series } = await setup();
    await scrape(0, 'a 1\nb 1\n');
    // "a" followed by a space, as the guess and the known text "a" are; but the line is
    // a{x="1"} (the text format allows a space before the braces).
    const r = await scrape(1, 'a {x="1"} 2\nb 2\n');
    expect(r.error).toBeUndefined();
    expect(r.seriesAdded).toBe(1);
    const a = series('a');
    expect([...a.keys()]).toEqual(['a{instance="' + server!.address + '", job="j"}', 'a{instance="' + server!.address + '", job="j", x="1"}']);
    expect([...a.values()].map((pts) => pts.map(([, v]) => v))).toEqual([[1, 'stale'], [2]]);
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
