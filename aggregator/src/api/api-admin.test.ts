/**
 * The TSDB admin endpoints over a real on-disk store, through the real HTTP listener:
 * delete_series, clean_tombstones and snapshot, enabled and disabled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { createEngine } from '../promql/index.js';
import { openTsdb, type Tsdb } from '../tsdb/tsdb.js';
import { tempDir } from '../tsdb/wal-test-util.js';
import { rawRequest, startTestApi, type TestApi } from './test-helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const sec = (ms: number) => String(ms / 1000);

describe('TSDB admin API', () => {
  let tmp: { dir: string; cleanup: () => void };
  let db: Tsdb;
  let on: TestApi;
  let off: TestApi;
  beforeAll(async () => {
    tmp = tempDir('api-admin');
    db = await openTsdb({ dir: tmp.dir, clock: new ManualClock(T0 + 3_600_000), compactIntervalMs: 0, fsync: 'never' });
    const app = db.appender();
    for (let t = T0; t < T0 + 600_000; t += 60_000) {
      for (const job of ['a', 'b', 'c']) app.append(Labels.from({ __name__: 'up', job }), t, 1);
    }
    await app.commit();
    on = await startTestApi({ queryable: db, admin: db, enableAdminApi: true, engine: createEngine() });
    off = await startTestApi({ queryable: db, admin: db });
  });
  afterAll(async () => {
    await on.close();
    await off.close();
    await db.close();
    tmp.cleanup();
  });

  const jobs = async (api: TestApi): Promise<string[]> =>
    (await api.get('/api/v1/series', { 'match[]': 'up' })).json().data.map((l: { job: string }) => l.job).sort();
  const query = async (api: TestApi, q: string, t: number) =>
    (await api.get('/api/v1/query', { query: q, time: sec(t) })).json().data.result as { metric: { job: string }; value: [number, string] }[];

  it('answers Prometheus\'s error while disabled and changes nothing', async () => {
    for (const p of ['delete_series?match[]=up', 'clean_tombstones', 'snapshot']) {
      const r = await rawRequest(off.base, `/api/v1/admin/tsdb/${p}`, { method: 'POST' });
      expect(r.json()).toEqual({ status: 'error', errorType: 'unavailable', error: 'admin APIs disabled' });
    }
    expect(await jobs(off)).toEqual(['a', 'b', 'c']);
  });

  it('refuses delete_series without match[] or with a bad selector or time', async () => {
    const none = await on.post('/api/v1/admin/tsdb/delete_series', {});
    expect(none.status).toBe(400);
    expect(none.json()).toMatchObject({ errorType: 'bad_data', error: 'no match[] parameter provided' });
    const empty = await on.post('/api/v1/admin/tsdb/delete_series', { 'match[]': '{job=~".*"}' });
    expect(empty.status).toBe(400);
    expect(empty.json().error).toContain('at least one non-empty matcher');
    const bad = await on.post('/api/v1/admin/tsdb/delete_series', { 'match[]': ['up', 'up{'] });
    expect(bad.status).toBe(400);
    const time = await on.post('/api/v1/admin/tsdb/delete_series', { 'match[]': 'up', start: 'yesterday' });
    expect(time.status).toBe(400);
    expect(time.json().error).toContain('invalid parameter "start"');
    expect(await jobs(on)).toEqual(['a', 'b', 'c']); // nothing deleted by a refused request
  });

  it('delete_series (204) removes a series from /series and queries; a time range deletes only that range', async () => {
    const r = await on.post('/api/v1/admin/tsdb/delete_series', { 'match[]': 'up{job="b"}' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(await jobs(on)).toEqual(['a', 'c']);
    expect((await query(on, 'up', T0 + 300_000)).map((s) => s.metric.job).sort()).toEqual(['a', 'c']);
    // PUT works too; only [T0, T0 + 4m] of job c goes.
    const put = await rawRequest(
      on.base,
      `/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('up{job="c"}')}&start=${sec(T0)}&end=${sec(T0 + 240_000)}`,
      { method: 'PUT' },
    );
    expect(put.status).toBe(204);
    expect(await query(on, 'count_over_time(up{job="c"}[20m])', T0 + 600_000)).toEqual([
      { metric: { job: 'c' }, value: [(T0 + 600_000) / 1000, '5'] },
    ]);
    const clean = await on.post('/api/v1/admin/tsdb/clean_tombstones', {});
    expect(clean.status).toBe(204);
    expect(await jobs(on)).toEqual(['a', 'c']);
  });

  it('snapshot answers its name, and the directory opens as a store with the data', async () => {
    const bad = await on.post('/api/v1/admin/tsdb/snapshot', { skip_head: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toContain("unable to parse boolean 'skip_head' argument");
    const r = await on.post('/api/v1/admin/tsdb/snapshot', {});
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toEqual({ status: 'success', data: { name: expect.any(String) } });
    const dir = path.join(tmp.dir, 'snapshots', body.data.name);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    const snap = await openTsdb({ dir, clock: new ManualClock(T0 + 3_600_000), compactIntervalMs: 0 });
    try {
      const q = snap.querier(-Infinity, Infinity);
      expect([...q.select([])].map((s) => s.labels.get('job')).sort()).toEqual(['a', 'c']);
      q.close();
    } finally {
      await snap.close();
    }
    // skip_head: the head is not written; this store has no blocks, so the snapshot is empty.
    const skip = await on.post('/api/v1/admin/tsdb/snapshot', { skip_head: 'true' });
    expect(skip.status).toBe(200);
    const skipDir = path.join(tmp.dir, 'snapshots', skip.json().data.name);
    expect(fs.readdirSync(skipDir).filter((n) => /^[0-9A-Z]{26}$/.test(n))).toEqual([]);
  });
});
