/**
 * Metric metadata of scraped targets through the real HTTP API: `/api/v1/metadata` and
 * `/api/v1/targets/metadata` answered from what two real targets on 127.0.0.1 expose
 * (text and OpenMetrics), refreshed by later scrapes, kept over a failed one, gone with
 * the target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, OPENMETRICS_CONTENT_TYPE } from '@edgeprom/shared';
import { mergeMetadata } from '../api/sources.js';
import { startTestApi, type TestApi } from '../api/test-helpers.js';
import { MemoryStorage } from '../storage/memory.js';
import { ScrapeManager } from './manager.js';
import { scrapeMetadata } from './target-metadata.js';
import { Reports, startServer, type TestServer } from './test-util.js';
import { scrapeJob, type TargetGroup } from './types.js';

const TEXT = `# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{code="200"} 3
# TYPE temp_celsius gauge
temp_celsius 21.5
# HELP only_help Help without a type.
only_help 1
# TYPE odd untyped
odd 2
no_metadata 1
`;

const OM = `# TYPE http_requests counter
# HELP http_requests Requests served, other wording.
http_requests_total{code="200"} 5
# TYPE disk_bytes gauge
# UNIT disk_bytes bytes
# HELP disk_bytes Disk used.
disk_bytes 10
# EOF
`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const text: TestServer = await startServer({ body: TEXT });
  const om: TestServer = await startServer({ body: OM, contentType: OPENMETRICS_CONTENT_TYPE });
  cleanups.push(() => text.close(), () => om.close());
  const reports = new Reports();
  const manager = ScrapeManager.create({ appendable: new MemoryStorage(), clock, onScrape: reports.push });
  cleanups.push(() => manager.stop());
  await manager.applyConfig([scrapeJob({ job_name: 'node', scrape_interval: 10_000, scrape_timeout: 1_000 })]);
  await manager.updateTargets(
    new Map<string, TargetGroup[]>([['node', [{ source: 's', targets: [{ __address__: text.address }, { __address__: om.address }], labels: { site: 'lab' } }]]]),
  );
  manager.start();
  const md = scrapeMetadata(manager);
  const api: TestApi = await startTestApi({ metadata: mergeMetadata(md), targetMetadata: md });
  cleanups.push(() => api.close());
  /** Runs one scrape of both targets. */
  const scrapeBoth = async (): Promise<void> => {
    await clock.advance(10_000);
    await reports.next();
    await reports.next();
  };
  return { clock, text, om, manager, api, scrapeBoth };
}

const data = async (api: TestApi, path: string, params?: Record<string, string>): Promise<unknown> => {
  const r = await api.get(path, params);
  expect(r.status, r.text).toBe(200);
  return (r.json() as { data: unknown }).data;
};

describe('scraped metric metadata', () => {
  it('lists nothing before the first scrape', async () => {
    const { api } = await setup();
    expect(await data(api, '/api/v1/metadata')).toEqual({});
    expect(await data(api, '/api/v1/targets/metadata')).toEqual([]);
  });

  it('serves /api/v1/metadata merged across targets, as Prometheus shapes it', async () => {
    const { api, scrapeBoth } = await setup();
    await scrapeBoth();
    expect(await data(api, '/api/v1/metadata')).toEqual({
      disk_bytes: [{ type: 'gauge', help: 'Disk used.', unit: 'bytes' }],
      http_requests: [{ type: 'counter', help: 'Requests served, other wording.', unit: '' }],
      http_requests_total: [{ type: 'counter', help: 'Requests served.', unit: '' }],
      odd: [{ type: 'unknown', help: '', unit: '' }],
      only_help: [{ type: 'unknown', help: 'Help without a type.', unit: '' }],
      temp_celsius: [{ type: 'gauge', help: '', unit: '' }],
    });
    // A bare `# TYPE odd untyped` is listed as unknown, as Prometheus's setType does; a
    // family no metadata line named (no_metadata) is not.
    expect(await data(api, '/api/v1/metadata', { metric: 'odd' })).toEqual({ odd: [{ type: 'unknown', help: '', unit: '' }] });
    expect(await data(api, '/api/v1/metadata', { metric: 'no_metadata' })).toEqual({});
    expect(await data(api, '/api/v1/metadata', { metric: 'temp_celsius' })).toEqual({ temp_celsius: [{ type: 'gauge', help: '', unit: '' }] });
    expect(await data(api, '/api/v1/metadata', { metric: 'nope' })).toEqual({});
    expect(Object.keys((await data(api, '/api/v1/metadata', { limit: '2' })) as object)).toEqual(['disk_bytes', 'http_requests']);
  });

  it('serves /api/v1/targets/metadata with target labels, match_target, metric and limit', async () => {
    const { api, om, text, scrapeBoth } = await setup();
    await scrapeBoth();
    const all = (await data(api, '/api/v1/targets/metadata')) as { target: Record<string, string>; metric: string }[];
    expect(all).toContainEqual({
      target: { instance: om.address, job: 'node', site: 'lab' },
      metric: 'disk_bytes',
      type: 'gauge',
      help: 'Disk used.',
      unit: 'bytes',
    });
    expect(all.filter((e) => e.target.instance === text.address).map((e) => e.metric)).toEqual(['http_requests_total', 'temp_celsius', 'only_help', 'odd']);
    // metric given: only that family, without the `metric` field.
    expect(await data(api, '/api/v1/targets/metadata', { metric: 'temp_celsius' })).toEqual([
      { target: { instance: text.address, job: 'node', site: 'lab' }, type: 'gauge', help: '', unit: '' },
    ]);
    const onlyOm = (await data(api, '/api/v1/targets/metadata', { match_target: `{instance="${om.address}"}` })) as { metric: string }[];
    expect(onlyOm.map((e) => e.metric)).toEqual(['http_requests', 'disk_bytes']);
    expect(await data(api, '/api/v1/targets/metadata', { match_target: '{job="other"}' })).toEqual([]);
    // limit is checked per target: one target's entries are never cut.
    expect(((await data(api, '/api/v1/targets/metadata', { limit: '1' })) as unknown[]).length).toBe(all.filter((e) => e.target.instance === [om.address, text.address].sort()[0]).length);
    expect(await data(api, '/api/v1/targets/metadata', { limit: '0' })).toEqual([]);
  });

  it('refuses bad parameters with a clear error', async () => {
    const { api } = await setup();
    const bad = await api.get('/api/v1/targets/metadata', { match_target: '{job=' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect((bad.json() as { error: string }).error).toMatch(/^invalid parameter "match_target": /);
    const lim = await api.get('/api/v1/targets/metadata', { limit: 'x' });
    expect(lim.status).toBe(400);
    expect((lim.json() as { error: string }).error).toBe('limit must be a number');
  });

  it('sees a HELP text changed in place, a new order and a family gone between scrapes', async () => {
    const { api, text, scrapeBoth } = await setup();
    const targetMetrics = async () =>
      ((await data(api, '/api/v1/targets/metadata', { match_target: `{instance="${text.address}"}` })) as { metric: string; help: string }[]).map((e) => [e.metric, e.help]);
    text.reply = { body: '# HELP a Old text.\n# TYPE a gauge\na 1\n# HELP b Bee.\nb 1\n' };
    await scrapeBoth();
    await scrapeBoth();
    expect(await targetMetrics()).toEqual([
      ['a', 'Old text.'],
      ['b', 'Bee.'],
    ]);
    text.reply = { body: '# HELP a New text.\n# TYPE a gauge\na 1\n# HELP b Bee.\nb 1\n' };
    await scrapeBoth();
    expect(await targetMetrics()).toEqual([
      ['a', 'New text.'],
      ['b', 'Bee.'],
    ]);
    text.reply = { body: '# HELP b Bee.\nb 1\n# HELP a New text.\n# TYPE a gauge\na 1\n' };
    await scrapeBoth();
    expect(await targetMetrics()).toEqual([
      ['b', 'Bee.'],
      ['a', 'New text.'],
    ]);
    text.reply = { body: '# HELP b Bee.\nb 1\n' };
    await scrapeBoth();
    expect(await targetMetrics()).toEqual([['b', 'Bee.']]);
  });

  it('follows the target: refreshed by scrapes, kept over a failure, gone with the target', async () => {
    const { api, text, om, manager, scrapeBoth } = await setup();
    await scrapeBoth();
    text.reply = { body: '# HELP temp_celsius Now with help.\n# TYPE temp_celsius gauge\ntemp_celsius 20\n' };
    await scrapeBoth();
    expect(await data(api, '/api/v1/metadata', { metric: 'temp_celsius' })).toEqual({ temp_celsius: [{ type: 'gauge', help: 'Now with help.', unit: '' }] });
    expect(await data(api, '/api/v1/metadata', { metric: 'http_requests_total' })).toEqual({});
    // A failed scrape keeps what the last good one saw.
    text.reply = { status: 500, body: 'down' };
    await scrapeBoth();
    expect(await data(api, '/api/v1/metadata', { metric: 'temp_celsius' })).toEqual({ temp_celsius: [{ type: 'gauge', help: 'Now with help.', unit: '' }] });
    // The target goes: so does its metadata.
    await manager.updateTargets(new Map<string, TargetGroup[]>([['node', [{ source: 's', targets: [{ __address__: om.address }], labels: { site: 'lab' } }]]]));
    expect(await data(api, '/api/v1/metadata', { metric: 'temp_celsius' })).toEqual({});
    expect(Object.keys((await data(api, '/api/v1/metadata')) as object)).toEqual(['disk_bytes', 'http_requests']);
  });
});
