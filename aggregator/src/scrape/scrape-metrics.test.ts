/**
 * The scrape manager's prometheus_target_* metrics, on real HTTP targets (127.0.0.1, port 0),
 * the in-memory store and a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type MetricFamily } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import { ScrapeManager } from './manager.js';
import { Reports, startServer, type TestServer } from './test-util.js';
import { scrapeJob, type ScrapeJob } from './types.js';

const INTERVAL = 10_000;
const T0 = Date.UTC(2026, 0, 1);

const open: { manager: ScrapeManager; servers: TestServer[] }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.manager.stop();
    for (const s of c.servers) await s.close();
  }
});

async function setup(reply: TestServer['reply'], job: Partial<ScrapeJob> = {}, targets = 1) {
  const clock = new ManualClock(T0);
  const servers: TestServer[] = [];
  for (let i = 0; i < targets; i++) servers.push(await startServer(reply));
  const reports = new Reports();
  const manager = ScrapeManager.create({ appendable: new MemoryStorage(), clock, onScrape: reports.push });
  open.push({ manager, servers });
  await manager.applyConfig([scrapeJob({ job_name: 'node', scrape_interval: INTERVAL, scrape_timeout: 1_000, ...job })]);
  await manager.updateTargets(new Map([['node', [{ source: 's', targets: servers.map((s) => ({ __address__: s.address })), labels: {} }]]]));
  manager.start();
  return {
    servers,
    manager,
    /** Runs every target's first scrape (targets spread over the interval). */
    async first() {
      await clock.advance(INTERVAL);
      for (let i = 0; i < targets; i++) await reports.next();
    },
    async tick() {
      await clock.advance(INTERVAL);
      for (let i = 0; i < targets; i++) await reports.next();
    },
  };
}

function value(fams: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.labels.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) return s.value;
    }
  }
  return undefined;
}

const BODY = '# TYPE a counter\na_total 1\nb{x="1"} 2\nb{x="2"} 3\n';

describe('scrape manager metrics', () => {
  it('pools, targets, syncs and the interval between scrapes', async () => {
    const c = await setup({ body: BODY });
    let m = c.manager.collectMetrics();
    expect(value(m, 'prometheus_target_scrape_pools_total')).toBe(1);
    expect(value(m, 'prometheus_target_scrape_pool_targets', { scrape_job: 'node' })).toBe(1);
    expect(value(m, 'prometheus_target_scrape_pool_sync_total', { scrape_job: 'node' })).toBe(1);
    expect(value(m, 'prometheus_target_interval_length_seconds_count', { interval: '10s' })).toBeUndefined();
    await c.first();
    await c.tick();
    await c.tick();
    m = c.manager.collectMetrics();
    // Three scrapes, two intervals of exactly 10 s on the manual clock.
    expect(value(m, 'prometheus_target_interval_length_seconds_count', { interval: '10s' })).toBe(2);
    expect(value(m, 'prometheus_target_interval_length_seconds', { interval: '10s', quantile: '0.5' })).toBe(10);
    expect(value(m, 'prometheus_target_scrapes_exceeded_sample_limit_total')).toBe(0);
  });

  it('counts scrapes over sample_limit and body_size_limit', async () => {
    const a = await setup({ body: BODY }, { sample_limit: 2 });
    await a.first();
    expect(value(a.manager.collectMetrics(), 'prometheus_target_scrapes_exceeded_sample_limit_total')).toBe(1);
    const b = await setup({ body: BODY }, { body_size_limit: 20 });
    await b.first();
    await b.tick();
    expect(value(b.manager.collectMetrics(), 'prometheus_target_scrapes_exceeded_body_size_limit_total')).toBe(2);
  });

  it('counts samples the store refused: out of order, duplicate timestamp, out of bounds', async () => {
    let body = `x 1 ${T0}\ny 1 ${T0}\nz 1 ${T0 + 3_600_000}\n`;
    const c = await setup(() => ({ body }));
    await c.first();
    // x goes back in time, y repeats its timestamp with another value, z is an hour ahead (twice now).
    body = `x 1 ${T0 - 1000}\ny 2 ${T0}\nz 1 ${T0 + 3_600_000}\n`;
    await c.tick();
    const m = c.manager.collectMetrics();
    expect(value(m, 'prometheus_target_scrapes_sample_out_of_order_total')).toBe(1);
    expect(value(m, 'prometheus_target_scrapes_sample_duplicate_timestamp_total')).toBe(1);
    expect(value(m, 'prometheus_target_scrapes_sample_out_of_bounds_total')).toBe(2);
  });

  it('counts syncs over target_limit, and reloads', async () => {
    const c = await setup({ body: BODY }, { target_limit: 1 }, 2);
    let m = c.manager.collectMetrics();
    expect(value(m, 'prometheus_target_scrape_pool_exceeded_target_limit_total')).toBe(1);
    expect(value(m, 'prometheus_target_scrape_pool_targets', { scrape_job: 'node' })).toBe(2);
    await c.manager.applyConfig([scrapeJob({ job_name: 'node', scrape_interval: INTERVAL, scrape_timeout: 1_000, target_limit: 0 })]);
    m = c.manager.collectMetrics();
    expect(value(m, 'prometheus_target_scrape_pool_reloads_total')).toBe(1);
    expect(value(m, 'prometheus_target_scrape_pool_reloads_failed_total')).toBe(0);
    expect(value(m, 'prometheus_target_scrape_pool_sync_total', { scrape_job: 'node' })).toBe(2);
  });
});
