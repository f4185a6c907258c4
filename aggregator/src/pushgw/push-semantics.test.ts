import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, latest, type Harness } from './test-util.js';

let h: Harness;
afterEach(async () => h?.close());

const T0 = Date.UTC(2026, 0, 1);

describe('PUT, POST and DELETE', () => {
  it('PUT replaces the whole group, POST only the families it names', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j1/instance/i1', 'a 1\nb 2\n')).status).toBe(200);
    expect(latest(h.storage, { job: 'j1' })).toEqual(
      new Map([
        ['a{instance="i1", job="j1"}', 1],
        ['b{instance="i1", job="j1"}', 2],
        ['push_failure_time_seconds{instance="i1", job="j1"}', 0],
        ['push_time_seconds{instance="i1", job="j1"}', T0 / 1000],
      ]),
    );
    await h.clock.advance(1000);
    expect((await h.request('POST', '/metrics/job/j1/instance/i1', 'a 10\nc 3\n')).status).toBe(200);
    let now = latest(h.storage, { job: 'j1' });
    expect(now.get('a{instance="i1", job="j1"}')).toBe(10);
    expect(now.get('b{instance="i1", job="j1"}')).toBe(2);
    expect(now.get('c{instance="i1", job="j1"}')).toBe(3);
    expect(now.get('push_time_seconds{instance="i1", job="j1"}')).toBe(T0 / 1000 + 1);
    await h.clock.advance(1000);
    expect((await h.request('PUT', '/metrics/job/j1/instance/i1', 'a 5\n')).status).toBe(200);
    now = latest(h.storage, { job: 'j1' });
    expect(now.get('a{instance="i1", job="j1"}')).toBe(5);
    expect(now.has('b{instance="i1", job="j1"}')).toBe(false); // stale now
    expect(now.has('c{instance="i1", job="j1"}')).toBe(false);
  });

  it('PUT with an empty body empties the group but updates push_time_seconds; POST with one changes only that', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.clock.advance(2000);
    expect((await h.request('POST', '/metrics/job/j', '')).status).toBe(200);
    let now = latest(h.storage, { job: 'j' });
    expect(now.get('a{job="j"}')).toBe(1);
    expect(now.get('push_time_seconds{job="j"}')).toBe(T0 / 1000 + 2);
    await h.clock.advance(2000);
    expect((await h.request('PUT', '/metrics/job/j', '')).status).toBe(200);
    now = latest(h.storage, { job: 'j' });
    expect(now.has('a{job="j"}')).toBe(false);
    expect(now.get('push_time_seconds{job="j"}')).toBe(T0 / 1000 + 4);
  });

  it('DELETE drops only the exact group and answers 202, also for unknown groups', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.request('PUT', '/metrics/job/j/instance/i', 'b 1\n');
    expect((await h.request('DELETE', '/metrics/job/j')).status).toBe(202);
    expect((await h.request('DELETE', '/metrics/job/nothing')).status).toBe(202);
    const now = latest(h.storage);
    expect(now.has('a{job="j"}')).toBe(false);
    expect(now.get('b{instance="i", job="j"}')).toBe(1);
    expect(h.push.groups().map((g) => g.labels)).toEqual([{ job: 'j', instance: 'i' }]);
  });

  it('other methods get 405, other paths are left to the caller', async () => {
    h = await harness();
    const r = await h.request('GET', '/metrics/job/j');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('DELETE, POST, PUT');
    expect((await h.request('PUT', '/metrics/job', 'a 1\n')).status).toBe(404);
    expect((await h.request('PUT', '/metrics/jobx/j', 'a 1\n')).status).toBe(404);
    expect((await h.request('GET', '/api/v1/query')).status).toBe(404);
  });

  it('redirects unclean paths as Go’s router does', async () => {
    h = await harness();
    const r = await h.request('PUT', '/metrics/job/j//x/y', 'a 1\n');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/metrics/job/j/x/y');
    const s = await h.request('PUT', '/metrics/job/', 'a 1\n');
    expect(s.status).toBe(307);
    expect(s.headers.location).toBe('/metrics/job');
    expect((await h.request('PUT', '/metrics/job@base64/', 'a 1\n')).headers.location).toBe('/metrics/job@base64');
  });
});

describe('grouping labels', () => {
  it('overwrite the same labels in the body; other body labels stay', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j3', 'a{job="x",instance="y"} 1\n')).status).toBe(200);
    expect(latest(h.storage, { __name__: 'a' })).toEqual(new Map([['a{instance="y", job="j3"}', 1]]));
  });

  it('an empty grouping value removes the body label', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j/x@base64/=', 'a{x="1",y="2"} 1\n')).status).toBe(200);
    expect(latest(h.storage, { __name__: 'a' })).toEqual(new Map([['a{job="j", y="2"}', 1]]));
  });

  it('base64 job and values with slashes', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job@base64/L3Zhci90bXA/path@base64/L2E=', 'a 1\n')).status).toBe(200);
    expect(latest(h.storage, { __name__: 'a' })).toEqual(new Map([['a{job="/var/tmp", path="/a"}', 1]]));
    // %2F is a separator, as in Pushgateway.
    const r = await h.request('PUT', '/metrics/job/j5/x/a%2Fb', 'a 1\n');
    expect(r.status).toBe(400);
    expect(r.body).toBe('odd number of components in label string "/x/a/b"\n');
    // Percent-encoding works for other characters.
    expect((await h.request('PUT', '/metrics/job/titan/name/%CE%A0', 'b 1\n')).status).toBe(200);
    expect(latest(h.storage, { __name__: 'b' })).toEqual(new Map([['b{job="titan", name="Π"}', 1]]));
  });

  it('path errors are 400 with Pushgateway’s message', async () => {
    h = await harness();
    const r = await h.request('PUT', '/metrics/job/j4/__a/b', 'a 1\n');
    expect(r.status).toBe(400);
    expect(r.body).toBe('improper label name "__a"\n');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await h.request('PUT', '/metrics/job@base64/=', 'a 1\n')).body).toBe('job name is required\n');
  });
});

describe('validation', () => {
  it('refuses timestamps with 400 and records push_failure_time_seconds', async () => {
    h = await harness();
    const r = await h.request('PUT', '/metrics/job/j1', 'a 1 1234\n');
    expect(r.status).toBe(400);
    expect(r.body).toBe('pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps\n');
    const now = latest(h.storage, { job: 'j1' });
    expect(now.get('push_failure_time_seconds{job="j1"}')).toBe(T0 / 1000);
    expect(now.get('push_time_seconds{job="j1"}')).toBe(0);
    expect(now.has('a{job="j1"}')).toBe(false);
  });

  it('refuses a type that conflicts with another group', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j1', 'a 1\n')).status).toBe(200);
    const r = await h.request('PUT', '/metrics/job/j2', '# TYPE a counter\na 1\n');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^pushed metrics are invalid or inconsistent with existing metrics: collected metric "a" .* is not a UNTYPED\n$/);
    // ...but replacing the only group that has it may change the type.
    expect((await h.request('PUT', '/metrics/job/j1', '# TYPE a counter\na 1\n')).status).toBe(200);
  });

  it('refuses duplicate series, within a push or across groups', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j11', 'a{x="1"} 1\na{x="1"} 2\n')).status).toBe(400);
    expect((await h.request('PUT', '/metrics/job/j/instance/1', 'x 1\n')).status).toBe(200);
    const r = await h.request('PUT', '/metrics/job/j', 'x{instance="1"} 2\n');
    expect(r.status).toBe(400);
    expect(r.body).toContain('was collected before with the same name and label values');
    // Grouping labels overwrite the body, which can make duplicates.
    expect((await h.request('PUT', '/metrics/job/k', 'y{job="a"} 1\ny{job="b"} 2\n')).status).toBe(400);
  });

  it('refuses names that collide with a histogram or summary', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/a', '# TYPE s summary\ns_sum 1\ns_count 2\n')).status).toBe(200);
    const r = await h.request('PUT', '/metrics/job/b', 's_count 3\n');
    expect(r.status).toBe(400);
    expect(r.body).toContain('collides with previously collected summary named "s"');
  });

  it('a failed push leaves the group as it was', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    await h.request('PUT', '/metrics/job/other', 'b 1\n');
    expect((await h.request('PUT', '/metrics/job/j', '# TYPE b gauge\nb 2\n')).status).toBe(400);
    const now = latest(h.storage, { job: 'j' });
    expect(now.get('a{job="j"}')).toBe(1);
    expect(now.get('push_failure_time_seconds{job="j"}')).toBe(T0 / 1000);
  });

  it('parse errors are 400 and do not touch the group', async () => {
    h = await harness();
    const r = await h.request('POST', '/metrics/job/j6', 'garbage garbage\n');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^text format parsing error in line 1: /);
    expect(h.push.groups()).toEqual([]);
  });

  it('overrides pushed push_time_seconds', async () => {
    h = await harness();
    expect((await h.request('PUT', '/metrics/job/j10', 'push_time_seconds 5\n')).status).toBe(200);
    expect(latest(h.storage, { __name__: 'push_time_seconds' }).get('push_time_seconds{job="j10"}')).toBe(T0 / 1000);
  });
});

describe('formats', () => {
  it('reads OpenMetrics by Content-Type, as the text format would expose it', async () => {
    h = await harness();
    const body = '# TYPE c counter\nc_total 3\nc_created 100\n# TYPE g gauge\ng 1.5\n# EOF\n';
    const r = await h.request('PUT', '/metrics/job/om', body, { 'Content-Type': 'application/openmetrics-text; version=1.0.0' });
    expect(r.status).toBe(200);
    const now = latest(h.storage, { job: 'om' });
    expect(now.get('c_total{job="om"}')).toBe(3);
    expect(now.get('c_created{job="om"}')).toBe(100);
    expect(now.get('g{job="om"}')).toBe(1.5);
    const t = await h.request('PUT', '/metrics/job/om', 'g 1 1000\n# EOF\n', { 'Content-Type': 'application/openmetrics-text' });
    expect(t.status).toBe(400);
    expect(t.body).toContain('must not have timestamps');
  });

  it('accepts gzip bodies', async () => {
    h = await harness();
    const r = await h.request('PUT', '/metrics/job/z', gzipSync('a 7\n'), { 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(latest(h.storage, { job: 'z' }).get('a{job="z"}')).toBe(7);
  });

  it('refuses the protobuf format with 400', async () => {
    h = await harness();
    const ct = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
    expect((await h.request('PUT', '/metrics/job/p', Buffer.from([1, 2, 3]), { 'Content-Type': ct })).status).toBe(400);
  });
});

describe('GET /api/v1/metrics', () => {
  it('lists groups as Pushgateway does', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/batch', '# HELP d Duration.\n# TYPE d gauge\nd 0.25\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\nh_sum 4\nh_count 3\n');
    const r = await h.request('GET', '/api/v1/metrics');
    expect(r.status).toBe(200);
    const json = JSON.parse(r.body) as { status: string; data: Record<string, any>[] };
    expect(json.status).toBe('success');
    const g = json.data[0]!;
    expect(g.labels).toEqual({ job: 'batch' });
    expect(g.last_push_successful).toBe(true);
    expect(g.d).toEqual({
      time_stamp: new Date(T0).toISOString(),
      type: 'GAUGE',
      help: 'Duration.',
      metrics: [{ labels: { instance: '', job: 'batch' }, value: '0.25' }],
    });
    expect(g.h.metrics).toEqual([{ labels: { instance: '', job: 'batch' }, buckets: { '1': '2', '+Inf': '3' }, count: '3', sum: '4' }]);
    expect(g.push_time_seconds.metrics[0].value).toBe('1.7672256e+09');
    expect(g.push_failure_time_seconds.metrics[0].value).toBe('0');
  });
});

describe('limits', () => {
  it('refuses a body over the limit with 413', async () => {
    h = await harness({ maxBodyBytes: 100 });
    const r = await h.request('PUT', '/metrics/job/big', 'a 1\n'.repeat(50));
    expect(r.status).toBe(413);
    const z = await h.request('PUT', '/metrics/job/big', gzipSync('a 1\n'.repeat(5000)), { 'Content-Encoding': 'gzip' });
    expect(z.status).toBe(413);
    expect((await h.request('PUT', '/metrics/job/big', 'a 1\n')).status).toBe(200);
  });

  it('refuses more series per group or more groups than allowed', async () => {
    h = await harness({ maxSeriesPerGroup: 2, maxGroups: 2 });
    expect((await h.request('PUT', '/metrics/job/s', 'a 1\nb 1\n')).status).toBe(200);
    const r = await h.request('POST', '/metrics/job/s', 'c 1\n');
    expect(r.status).toBe(400);
    expect(r.body).toContain('more than the limit of 2');
    expect((await h.request('PUT', '/metrics/job/t', 'x 1\n')).status).toBe(200);
    const g = await h.request('PUT', '/metrics/job/u', 'y 1\n');
    expect(g.status).toBe(400);
    expect(g.body).toContain('too many groups');
    expect(h.push.groups()).toHaveLength(2);
  });
});
