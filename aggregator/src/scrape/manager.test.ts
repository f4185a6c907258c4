/** Manager lifecycle: reloads without restarting unchanged loops, and the /api/v1/targets shape. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import { ScrapeManager } from './manager.js';
import { goTime, targetsResponse } from './targets-api.js';
import { Reports, startServer, type TestServer } from './test-util.js';
import { scrapeJob, type TargetGroup } from './types.js';

const servers: TestServer[] = [];
const managers: ScrapeManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  for (const s of servers.splice(0)) await s.close();
});

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const server = await startServer({ body: 'm 1\n' });
  servers.push(server);
  const reports = new Reports();
  const manager = ScrapeManager.create({ appendable: new MemoryStorage(), clock, onScrape: reports.push });
  managers.push(manager);
  const jobs = [
    scrapeJob({ job_name: 'a', scrape_interval: 10_000, scrape_timeout: 1_000 }),
    scrapeJob({
      job_name: 'b',
      scrape_interval: 10_000,
      scrape_timeout: 1_000,
      relabel_configs: [{ source_labels: ['drop'], regex: 'yes', action: 'drop', separator: ';', replacement: '$1', target_label: '', modulus: 0 }],
    }),
  ];
  await manager.applyConfig(jobs);
  await manager.updateTargets(
    new Map<string, TargetGroup[]>([
      ['a', [{ source: 's', targets: [{ __address__: server.address }], labels: {} }]],
      ['b', [{ source: 's', targets: [{ __address__: server.address }, { __address__: 'gone:1', drop: 'yes' }], labels: {} }]],
    ]),
  );
  manager.start();
  return { clock, server, reports, manager, jobs };
}

describe('ScrapeManager', () => {
  it('applyConfig leaves unchanged pools and their loops running', async () => {
    const { manager, jobs } = await setup();
    const loopsA = [...manager.pool('a')!.loops().values()];
    const loopsB = [...manager.pool('b')!.loops().values()];
    await manager.applyConfig([jobs[0], { ...jobs[1], sample_limit: 100 }]);
    expect([...manager.pool('a')!.loops().values()]).toEqual(loopsA);
    expect([...manager.pool('a')!.loops().values()][0]).toBe(loopsA[0]);
    const newB = [...manager.pool('b')!.loops().values()];
    expect(newB[0]).not.toBe(loopsB[0]);
    // Only sample_limit changed: same target, new loop, the old cache kept.
    expect(newB[0].cache).toBe(loopsB[0].cache);
    await manager.applyConfig([jobs[0]]);
    expect(manager.pool('b')).toBeUndefined();
    expect([...manager.pool('a')!.loops().values()][0]).toBe(loopsA[0]);
  });

  it('shapes /api/v1/targets as Prometheus does', async () => {
    const { manager, clock, reports, server } = await setup();
    const t = manager.pool('a')!.activeTargets()[0];
    const tb = manager.pool('b')!.activeTargets()[0];
    const ta = t.offset(10_000, clock.now());
    const tbo = tb.offset(10_000, clock.now());
    await clock.advance(Math.max(ta, tbo));
    await reports.next();
    await reports.next();
    const res = targetsResponse(manager);
    expect(res.status).toBe('success');
    expect(res.data.activeTargets.map((x) => x.scrapePool)).toEqual(['a', 'b']);
    expect(res.data.activeTargets[0]).toEqual({
      discoveredLabels: {
        __address__: server.address,
        __metrics_path__: '/metrics',
        __scheme__: 'http',
        __scrape_interval__: '10s',
        __scrape_timeout__: '1s',
        job: 'a',
      },
      labels: { instance: server.address, job: 'a' },
      scrapePool: 'a',
      scrapeUrl: `http://${server.address}/metrics`,
      globalUrl: `http://${server.address}/metrics`,
      lastError: '',
      lastScrape: goTime(t.lastScrape),
      lastScrapeDuration: 0,
      health: 'up',
      scrapeInterval: '10s',
      scrapeTimeout: '1s',
    });
    expect(res.data.droppedTargets).toEqual([
      {
        discoveredLabels: {
          __address__: 'gone:1',
          __metrics_path__: '/metrics',
          __scheme__: 'http',
          __scrape_interval__: '10s',
          __scrape_timeout__: '1s',
          drop: 'yes',
          job: 'b',
        },
        scrapePool: 'b',
      },
    ]);
    expect(res.data.droppedTargetCounts).toEqual({ a: 0, b: 1 });
    const onlyB = targetsResponse(manager, { state: 'active', scrapePool: 'b' }).data;
    expect(onlyB.activeTargets.map((x) => x.scrapePool)).toEqual(['b']);
    expect(onlyB.droppedTargets).toEqual([]);
    expect(onlyB.droppedTargetCounts).toBeNull();
    expect(targetsResponse(manager, { state: 'DROPPED' }).data.activeTargets).toEqual([]);
  });

  it('formats times as Go does', () => {
    expect(goTime(0)).toBe('0001-01-01T00:00:00Z');
    expect(goTime(Date.UTC(2026, 0, 1, 0, 0, 0, 120))).toBe('2026-01-01T00:00:00.12Z');
    expect(goTime(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00Z');
  });

  it('target_limit fails every scrape of the pool with the reason', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const server = await startServer({ body: 'm 1\n' });
    servers.push(server);
    const reports = new Reports();
    const manager = ScrapeManager.create({ appendable: new MemoryStorage(), clock, onScrape: reports.push });
    managers.push(manager);
    await manager.applyConfig([scrapeJob({ job_name: 'a', scrape_interval: 10_000, scrape_timeout: 1_000, target_limit: 1 })]);
    await manager.updateTargets(new Map<string, TargetGroup[]>([['a', [{ source: 's', targets: [{ __address__: server.address }, { __address__: server.address, x: '1' }], labels: {} }]]]));
    manager.start();
    const offs = manager.pool('a')!.activeTargets().map((t) => t.offset(10_000, clock.now()));
    await clock.advance(Math.max(...offs));
    const r = await reports.next();
    expect(r.error?.message).toBe('target_limit exceeded (number of targets: 2, limit: 1)');
  });
});
