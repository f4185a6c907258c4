/**
 * Scrape behaviour end to end on real HTTP servers (127.0.0.1, port 0), the in-memory store
 * and a ManualClock that drives the intervals.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, OPENMETRICS_CONTENT_TYPE, SCRAPE_ACCEPT_HEADER } from '@edgeprom/shared';
import { Labels } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { MemoryStorage, type MemoryStorageOptions } from '../storage/memory.js';
import { netErrorText } from './http-scraper.js';
import { ScrapeManager } from './manager.js';
import { Reports, dump, startServer, type Reply, type TestServer } from './test-util.js';
import { scrapeJob, type ScrapeJob } from './types.js';

const INTERVAL = 10_000;
const T0 = Date.UTC(2026, 0, 1);

interface Ctx {
  clock: ManualClock;
  store: MemoryStorage;
  server: TestServer;
  manager: ScrapeManager;
  reports: Reports;
  /** Moves the clock to the first scrape and waits for its report. */
  first(): ReturnType<Reports['next']>;
  /** Moves the clock one interval and waits for the report. */
  tick(): ReturnType<Reports['next']>;
}

const open: Ctx[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.manager.stop();
    await c.server.close();
  }
});

async function setup(
  reply: TestServer['reply'],
  job: Partial<ScrapeJob> = {},
  appended?: Labels[][],
  storeOpts: MemoryStorageOptions = {},
): Promise<Ctx> {
  const clock = new ManualClock(T0);
  const store = new MemoryStorage(storeOpts);
  // Records the Labels objects each transaction receives.
  const recording: Appendable = {
    appender(opts) {
      const app = store.appender(opts);
      const seen: Labels[] = [];
      appended?.push(seen);
      return {
        append: (l, t, v, ref) => {
          seen.push(l);
          return app.append(l, t, v, ref);
        },
        commit: () => app.commit(),
        rollback: () => app.rollback(),
      };
    },
  };
  const server = await startServer(reply);
  const reports = new Reports();
  const manager = ScrapeManager.create({ appendable: appended ? recording : store, clock, onScrape: reports.push });
  await manager.applyConfig([scrapeJob({ job_name: 'node', scrape_interval: INTERVAL, scrape_timeout: 1_000, ...job })]);
  await manager.updateTargets(new Map([['node', [{ source: 'static/0', targets: [{ __address__: server.address }], labels: { env: 'test' } }]]]));
  manager.start();
  const c: Ctx = {
    clock,
    store,
    server,
    manager,
    reports,
    first: async () => {
      const t = manager.pool('node')!.activeTargets()[0];
      await clock.advance(t.offset(INTERVAL, clock.now()));
      return reports.next();
    },
    tick: async () => {
      await clock.advance(INTERVAL);
      return reports.next();
    },
  };
  open.push(c);
  return c;
}

const BODY = '# TYPE a counter\na_total 1\nb{x="1"} 2\nb{x="2"} 3\n';

function series(c: Ctx) {
  return dump(c.store);
}

describe('scrape', () => {
  it('scrapes, adds target labels and writes the report series in the same commit', async () => {
    const c = await setup({ body: BODY });
    const r = await c.first();
    expect(r.error).toBeUndefined();
    const inst = c.server.address;
    const s = series(c);
    const t = r.time;
    expect(s.get(`a_total{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 1]]);
    expect(s.get(`b{env="test", instance="${inst}", job="node", x="2"}`)).toEqual([[t, 3]]);
    expect(s.get(`up{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 1]]);
    expect(s.get(`scrape_samples_scraped{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 3]]);
    expect(s.get(`scrape_samples_post_metric_relabeling{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 3]]);
    expect(s.get(`scrape_series_added{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 3]]);
    expect(s.has(`scrape_duration_seconds{env="test", instance="${inst}", job="node"}`)).toBe(true);
    const req = c.server.requests[0];
    expect(req.headers.accept).toBe(SCRAPE_ACCEPT_HEADER);
    expect(req.headers['accept-encoding']).toBe('gzip');
    expect(req.headers['x-prometheus-scrape-timeout-seconds']).toBe('1');
    expect(req.url).toBe('/metrics');
    const target = c.manager.pool('node')!.activeTargets()[0];
    expect(target.health).toBe('up');
    expect(target.lastScrape).toBe(t);
    // Second scrape: cached series, none added.
    const r2 = await c.tick();
    expect(r2.seriesAdded).toBe(0);
    expect(series(c).get(`a_total{env="test", instance="${inst}", job="node"}`)).toEqual([[t, 1], [t + INTERVAL, 1]]);
  });

  it('marks the target down with the HTTP status', async () => {
    const c = await setup({ status: 500, body: 'oops' });
    const r = await c.first();
    expect(r.error?.message).toBe('server returned HTTP status 500 Internal Server Error');
    const target = c.manager.pool('node')!.activeTargets()[0];
    expect(target.health).toBe('down');
    expect(series(c).get(`up{env="test", instance="${c.server.address}", job="node"}`)).toEqual([[r.time, 0]]);
  });

  it("words socket failures as Go's net package does (Prometheus's lastError)", async () => {
    const c = await setup({ body: BODY });
    const port = Number(c.server.address.split(':')[1]);
    await c.server.close(); // nothing listens on the port any more
    const r = await c.first();
    expect(r.error?.message).toBe(`Get "http://127.0.0.1:${port}/metrics": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(netErrorText(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nowhere.invalid' }))).toBe(
      'dial tcp: lookup nowhere.invalid: no such host',
    );
    expect(netErrorText(new Error('plain'))).toBeUndefined();
  });

  it('times out through the clock: up 0, context deadline exceeded', async () => {
    const c = await setup({ hang: true });
    const t = c.manager.pool('node')!.activeTargets()[0];
    await c.clock.advance(t.offset(INTERVAL, c.clock.now()));
    // Wait for the request to reach the server before the deadline passes.
    while (c.server.requests.length === 0) await new Promise((r) => setTimeout(r, 1));
    await c.clock.advance(1_000);
    const r = await c.reports.next();
    expect(r.error?.message).toBe(`Get "http://${c.server.address}/metrics": context deadline exceeded`);
    expect(series(c).get(`up{env="test", instance="${c.server.address}", job="node"}`)).toEqual([[r.time, 0]]);
  });

  it('a bad body fails the scrape with the parse error and marks the previous series stale', async () => {
    const c = await setup({ body: BODY });
    const r1 = await c.first();
    c.server.reply = { body: 'a_total 1\nb{x="1"} notanumber\n' };
    const r2 = await c.tick();
    expect(r2.error?.message).toMatch(/^2:\d+: /);
    const s = series(c);
    const inst = c.server.address;
    // Rolled back: a_total of the failed scrape was not stored; every old series is stale.
    expect(s.get(`a_total{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 1], [r2.time, 'stale']]);
    expect(s.get(`up{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 1], [r2.time, 0]]);
    expect(s.get(`scrape_samples_scraped{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 3], [r2.time, 1]]);
  });

  it('enforces sample_limit on the samples kept after relabeling', async () => {
    const c = await setup({ body: BODY }, { sample_limit: 2 });
    const r = await c.first();
    expect(r.error?.message).toBe('sample limit exceeded');
    expect(r.scraped).toBe(3);
    const s = series(c);
    expect(s.get(`up{env="test", instance="${c.server.address}", job="node"}`)).toEqual([[r.time, 0]]);
    expect([...s.keys()].some((k) => k.startsWith('b{'))).toBe(false);
  });

  it('enforces label_limit, label_name_length_limit and label_value_length_limit', async () => {
    const c1 = await setup({ body: 'm{a="1",b="2"} 1\n' }, { label_limit: 4 });
    expect((await c1.first()).error?.message).toBe('label_limit exceeded (metric: m, number of labels: 6, limit: 4)');
    const c2 = await setup({ body: 'm{long_name="1"} 1\n' }, { label_name_length_limit: 8 });
    // __name__ (8 bytes) passes; long_name does not.
    expect((await c2.first()).error?.message).toBe('label_name_length_limit exceeded (metric: m, label name: long_name, length: 9, limit: 8)');
    const c3 = await setup({ body: 'm{a="123456"} 1\n' }, { label_value_length_limit: 5 });
    const e3 = (await c3.first()).error?.message ?? '';
    expect(e3).toMatch(/^label_value_length_limit exceeded \(metric: m, label name: /);
    expect(e3).toMatch(/length: \d+, limit: 5\)$/);
  });

  it('enforces body_size_limit while streaming, on decoded bytes', async () => {
    const c = await setup({ body: BODY, gzip: true }, { body_size_limit: 20 });
    const r = await c.first();
    expect(r.error?.message).toBe('body size limit exceeded');
    expect(r.scraped).toBe(0);
    // A body one byte under the limit passes (a body of exactly the limit fails, as in Prometheus).
    c.server.reply = { body: 'm 1\n'.padStart(19, '\n') };
    expect((await c.tick()).error).toBeUndefined();
  });

  it('enforces body_size_limit on an inflated gzip body at the same bound', async () => {
    const c = await setup({ body: 'm 1\n'.padStart(20, '\n'), gzip: true }, { body_size_limit: 20 });
    expect((await c.first()).error?.message).toBe('body size limit exceeded');
    c.server.reply = { body: 'm 1\n'.padStart(19, '\n'), gzip: true };
    const r = await c.tick();
    expect(r.error).toBeUndefined();
    expect(r.scraped).toBe(1);
  });

  it('fails a scrape whose gzip body is corrupt, and reads the next one', async () => {
    const c = await setup({ body: BODY, gzip: true });
    c.server.reply = { body: BODY, gzip: true, corrupt: true };
    expect((await c.first()).error?.message).toMatch(/^Get "http:\/\/127\.0\.0\.1:\d+\/metrics": /);
    c.server.reply = { body: BODY, gzip: true };
    expect((await c.tick()).scraped).toBe(3);
  });

  it('reads gzip bodies', async () => {
    const c = await setup({ body: BODY, gzip: true });
    const r = await c.first();
    expect(r.error).toBeUndefined();
    expect(r.scraped).toBe(3);
  });

  it('reads a gzip body that arrives in many socket reads', async () => {
    // Each read lands in one buffer shared by all connections: zlib must get copies.
    const lines = Array.from({ length: 20_000 }, (_, i) => `m{i="${i}",pad="${'x'.repeat(i % 40)}"} ${i}\n`).join('');
    const c = await setup({ body: lines, gzip: true });
    const r = await c.first();
    expect(r.error).toBeUndefined();
    expect(r.scraped).toBe(20_000);
  });

  it('keeps one connection to the target across scrapes and closes it when the pool stops', async () => {
    const c = await setup({ body: BODY });
    await c.first();
    await c.tick();
    c.server.reply = { status: 404, body: 'no metrics here\n' }; // read and dropped: the connection stays
    expect((await c.tick()).error?.message).toBe('server returned HTTP status 404 Not Found');
    c.server.reply = { body: BODY };
    expect((await c.tick()).error).toBeUndefined();
    expect(c.server.requests).toHaveLength(4);
    expect(c.server.connections).toBe(1);
    await c.manager.stop();
    await vi.waitFor(() => expect(c.server.openConnections()).toBe(0));
  });

  it('asks for identity encoding when compression is disabled', async () => {
    const c = await setup({ body: BODY }, { enable_compression: false });
    await c.first();
    expect(c.server.requests[0].headers['accept-encoding']).toBe('identity');
  });

  it('chooses the parser by Content-Type', async () => {
    const om = '# TYPE a counter\na_total 1 1767225600.5\n# EOF\n';
    const c = await setup({ body: om, contentType: OPENMETRICS_CONTENT_TYPE });
    const r = await c.first();
    expect(r.error).toBeUndefined();
    expect(series(c).get(`a_total{env="test", instance="${c.server.address}", job="node"}`)).toEqual([[1767225600500, 1]]);
    // The same body served as the text format: a float timestamp is an error there.
    c.server.reply = { body: om };
    const r2 = await c.tick();
    expect(r2.error?.message).toMatch(/timestamp/);
  });

  it('honor_labels: false moves clashing exposed labels to exported_*', async () => {
    const body = 'm{job="other",instance="x",exported_job="y"} 1\n';
    const c = await setup({ body });
    await c.first();
    const keys = [...series(c).keys()].filter((k) => k.startsWith('m{'));
    // exported_job is taken by the exposed label, so the exposed job moves one prefix further.
    expect(keys).toEqual([`m{env="test", exported_exported_job="other", exported_instance="x", exported_job="y", instance="${c.server.address}", job="node"}`]);
  });

  it('honor_labels: true keeps exposed values', async () => {
    const c = await setup({ body: 'm{job="other"} 1\n' }, { honor_labels: true });
    await c.first();
    const keys = [...series(c).keys()].filter((k) => k.startsWith('m{'));
    expect(keys).toEqual([`m{env="test", instance="${c.server.address}", job="other"}`]);
  });

  it('honor_timestamps decides whose timestamp is stored', async () => {
    const body = 'm 1 1767225000000\n';
    const a = await setup({ body });
    await a.first();
    expect(series(a).get(`m{env="test", instance="${a.server.address}", job="node"}`)).toEqual([[1767225000000, 1]]);
    const b = await setup({ body }, { honor_timestamps: false });
    const r = await b.first();
    expect(series(b).get(`m{env="test", instance="${b.server.address}", job="node"}`)).toEqual([[r.time, 1]]);
  });

  it('writes stale markers for series that disappear, once', async () => {
    const c = await setup({ body: BODY });
    const r1 = await c.first();
    c.server.reply = { body: 'a_total 2\n' };
    const r2 = await c.tick();
    const r3 = await c.tick();
    const s = series(c);
    const inst = c.server.address;
    expect(s.get(`b{env="test", instance="${inst}", job="node", x="1"}`)).toEqual([[r1.time, 2], [r2.time, 'stale']]);
    expect(s.get(`a_total{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 1], [r2.time, 2], [r3.time, 2]]);
  });

  it('no stale markers for series with explicit timestamps', async () => {
    const c = await setup({ body: 'm 1 1767225000000\nn 1\n' });
    await c.first();
    c.server.reply = { body: '' };
    const r2 = await c.tick();
    const s = series(c);
    expect(s.get(`m{env="test", instance="${c.server.address}", job="node"}`)).toEqual([[1767225000000, 1]]);
    expect(s.get(`n{env="test", instance="${c.server.address}", job="node"}`)?.at(-1)).toEqual([r2.time, 'stale']);
  });

  it('marks every series stale after its target goes away', async () => {
    const c = await setup({ body: BODY });
    const r1 = await c.first();
    await c.manager.updateTargets(new Map([['node', []]]));
    expect(c.manager.pool('node')!.activeTargets()).toEqual([]);
    await c.clock.advance(3 * INTERVAL);
    const s = series(c);
    const inst = c.server.address;
    const staleAt = r1.time + INTERVAL;
    expect(s.get(`b{env="test", instance="${inst}", job="node", x="1"}`)).toEqual([[r1.time, 2], [staleAt, 'stale']]);
    expect(s.get(`up{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 1], [staleAt, 'stale']]);
  });

  it('discards late stale markers of a vanished target when the series was written newer meanwhile (OOO store)', async () => {
    // Prometheus #11730: the target moved to another pool or job, which keeps writing the
    // same series. With an out-of-order window the end-of-run marker (written about one
    // interval after its timestamp) would be stored between the newer samples and cut the series.
    const c = await setup({ body: BODY }, {}, undefined, { outOfOrder: true });
    const r1 = await c.first();
    const inst = c.server.address;
    await c.manager.updateTargets(new Map([['node', []]]));
    const staleAt = r1.time + INTERVAL;
    await c.clock.advance(INTERVAL + 5_000); // past staleAt, before the markers are written
    const other = c.store.appender();
    const taken = { __name__: 'b', env: 'test', instance: inst, job: 'node', x: '1' };
    const upLabels = { __name__: 'up', env: 'test', instance: inst, job: 'node' };
    other.append(Labels.from(taken), staleAt + 5_000, 7);
    other.append(Labels.from(upLabels), staleAt + 5_000, 1);
    await other.commit();
    await c.clock.advance(3 * INTERVAL);
    const s = series(c);
    // Written newer by the other writer: the marker is discarded, no stale NaN in the middle.
    expect(s.get(`b{env="test", instance="${inst}", job="node", x="1"}`)).toEqual([[r1.time, 2], [staleAt + 5_000, 7]]);
    expect(s.get(`up{env="test", instance="${inst}", job="node"}`)).toEqual([[r1.time, 1], [staleAt + 5_000, 1]]);
    // Series nobody took over still end with the marker.
    expect(s.get(`b{env="test", instance="${inst}", job="node", x="2"}`)).toEqual([[r1.time, 3], [staleAt, 'stale']]);
    expect(s.get(`scrape_samples_scraped{env="test", instance="${inst}", job="node"}`)?.at(-1)).toEqual([staleAt, 'stale']);
    // Whereas a default appender on this store would have stored the older marker.
    const plain = c.store.appender();
    plain.append(Labels.from(taken), staleAt, 0);
    await plain.commit();
    expect(series(c).get(`b{env="test", instance="${inst}", job="node", x="1"}`)).toEqual([[r1.time, 2], [staleAt, 0], [staleAt + 5_000, 7]]);
  });

  it('metric_relabel_configs drop and rewrite series; post-relabel counts follow', async () => {
    const c = await setup(
      { body: BODY },
      {
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'a_total', action: 'drop', separator: ';', replacement: '$1', target_label: '', modulus: 0 },
          { source_labels: ['x'], regex: '(.*)', target_label: 'y', replacement: 'v$1', action: 'replace', separator: ';', modulus: 0 },
        ],
      },
    );
    const r = await c.first();
    expect(r.scraped).toBe(3);
    expect(r.postRelabel).toBe(2);
    const keys = [...series(c).keys()].filter((k) => k.startsWith('b{') || k.startsWith('a_total'));
    expect(keys.sort()).toEqual([
      `b{env="test", instance="${c.server.address}", job="node", x="1", y="v1"}`,
      `b{env="test", instance="${c.server.address}", job="node", x="2", y="v2"}`,
    ]);
  });

  it('the scrape cache hands the store the same Labels objects every scrape', async () => {
    const appended: Labels[][] = [];
    const c = await setup({ body: BODY }, {}, appended);
    await c.first();
    await c.tick();
    expect(appended).toHaveLength(2);
    expect(appended[0]).toHaveLength(3 + 5);
    for (let i = 0; i < appended[0].length; i++) expect(appended[1][i]).toBe(appended[0][i]);
  });
});
