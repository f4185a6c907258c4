import { afterEach, describe, expect, it } from 'vitest';
import { dump, harness, latest, type Harness } from './test-util.js';

let h: Harness;
afterEach(async () => h?.close());

const T0 = Date.UTC(2026, 0, 1);

describe('appending into the TSDB', () => {
  it('re-appends every group at each interval with the current time', async () => {
    h = await harness({ intervalMs: 15_000 });
    await h.clock.advance(1000);
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.clock.advance(44_000); // ticks at 15s, 30s, 45s after start
    const pts = dump(h.storage, { __name__: 'a' }).get('a{job="j"}')!;
    expect(pts.map((p) => p.t)).toEqual([T0 + 1000, T0 + 15_000, T0 + 30_000, T0 + 45_000]);
    expect(pts.every((p) => p.v === 1)).toBe(true);
    // push_time_seconds keeps the push time as its value at every tick.
    const pt = dump(h.storage, { __name__: 'push_time_seconds' }).get('push_time_seconds{job="j"}')!;
    expect(pt.map((p) => p.v)).toEqual([(T0 + 1000) / 1000, (T0 + 1000) / 1000, (T0 + 1000) / 1000, (T0 + 1000) / 1000]);
  });

  it('writes stale markers for every series of a deleted group, and stops appending it', async () => {
    h = await harness({ intervalMs: 10_000 });
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.clock.advance(10_000);
    await h.clock.advance(2_000);
    expect((await h.request('DELETE', '/metrics/job/j')).status).toBe(202);
    await h.clock.advance(30_000);
    const all = dump(h.storage, { job: 'j' });
    expect([...all.keys()].sort()).toEqual(['a{job="j"}', 'push_failure_time_seconds{job="j"}', 'push_time_seconds{job="j"}']);
    for (const pts of all.values()) {
      const last = pts[pts.length - 1]!;
      expect(last.stale).toBe(true);
      expect(last.t).toBe(T0 + 12_000);
    }
  });

  it('a PUT that drops a series marks it stale at once', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\nb 1\n');
    await h.clock.advance(1000);
    await h.request('PUT', '/metrics/job/j', 'a 2\n');
    const b = dump(h.storage, { __name__: 'b' }).get('b{job="j"}')!;
    expect(b.at(-1)).toMatchObject({ t: T0 + 1000, stale: true });
  });

  it('a change in the same millisecond still lands (1 ms later)', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.request('PUT', '/metrics/job/j', 'a 2\n');
    expect(dump(h.storage, { __name__: 'a' }).get('a{job="j"}')!.map((p) => [p.t - T0, p.v])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(h.push.refusedSamples.size).toBe(0);
  });
});

describe('TTL', () => {
  it('expires a group after X-Edgeprom-TTL, with stale markers', async () => {
    h = await harness({ intervalMs: 5_000 });
    expect((await h.request('PUT', '/metrics/job/short', 'a 1\n', { 'X-Edgeprom-TTL': '20s' })).status).toBe(200);
    await h.request('PUT', '/metrics/job/long', 'b 1\n');
    expect(h.push.groups().find((g) => g.labels.job === 'short')?.expiresAtMs).toBe(T0 + 20_000);
    await h.clock.advance(15_000);
    expect(latest(h.storage, { job: 'short' }).get('a{job="short"}')).toBe(1);
    await h.clock.advance(5_000);
    const a = dump(h.storage, { __name__: 'a' }).get('a{job="short"}')!;
    expect(a.at(-1)).toMatchObject({ t: T0 + 20_000, stale: true });
    expect(h.push.groups().map((g) => g.labels.job)).toEqual(['long']);
    await h.clock.advance(3_600_000);
    expect(latest(h.storage, { job: 'long' }).get('b{job="long"}')).toBe(1);
  });

  it('a new push renews the TTL; the default TTL applies without the header', async () => {
    h = await harness({ intervalMs: 5_000, defaultTtlMs: 30_000 });
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.clock.advance(25_000);
    await h.request('POST', '/metrics/job/j', 'a 2\n');
    await h.clock.advance(25_000);
    expect(latest(h.storage, { job: 'j' }).get('a{job="j"}')).toBe(2);
    await h.clock.advance(5_000);
    expect(latest(h.storage, { job: 'j' }).size).toBe(0);
  });

  it('X-Edgeprom-TTL: 0 keeps a group forever unless maxTtl caps it; bad values are 400', async () => {
    h = await harness({ defaultTtlMs: 10_000, maxTtlMs: 60_000 });
    await h.request('PUT', '/metrics/job/j', 'a 1\n', { 'X-Edgeprom-TTL': '0' });
    expect(h.push.groups()[0]!.ttlMs).toBe(60_000);
    await h.request('PUT', '/metrics/job/j', 'a 1\n', { 'X-Edgeprom-TTL': '2h' });
    expect(h.push.groups()[0]!.ttlMs).toBe(60_000);
    const r = await h.request('PUT', '/metrics/job/j', 'a 1\n', { 'X-Edgeprom-TTL': 'soon' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^invalid X-Edgeprom-TTL header "soon": /);
  });
});
