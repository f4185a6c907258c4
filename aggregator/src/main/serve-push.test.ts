/**
 * The push API mounted in the aggregator: config → auth → the HTTP listener → TSDB → PromQL,
 * secrets redacted in /api/v1/status/config and absent from the log, groups persisted under
 * the storage path across a restart, and 404 when disabled.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../pushgw/index.js';
import { PerTest, query, recordingLogger, request, startTestAggregator } from './test-harness.js';

const each = new PerTest();

const TOKEN = 'tok-0123456789abcdef';
const bearer = { Authorization: `Bearer ${TOKEN}` };
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('the push API in the aggregator binary', () => {
  it('is off by default: PUT /metrics/job/... is 404 like any unknown path', async () => {
    const d = each.dir();
    d.config('');
    const agg = await each.aggregator(startTestAggregator(d));
    const r = await request(`${agg.url}/metrics/job/j`, 'PUT', 'a 1\n');
    expect(r.status).toBe(404);
    expect(r.body).toBe('404 page not found\n');
  });

  it('takes authenticated pushes into the TSDB, redacts the hashes, logs no secret, and keeps groups across a restart', async () => {
    const d = each.dir();
    const hash = await hashPassword('ci-Pa55', 10);
    d.write('tokens.txt', `# push tokens\n${TOKEN}\n\n`);
    d.config(`push:
  enabled: true
  basic_auth_users:
    ci: ${hash}
  bearer_token_file: tokens.txt
  body_size_limit: 1KiB
  max_ttl: 1h
`);
    const lines: string[] = [];
    let agg = await each.aggregator(startTestAggregator(d, { logger: recordingLogger(lines) }));
    const url = agg.url;

    expect((await request(`${url}/metrics/job/backup/instance/db1`, 'PUT', 'last_run 17\n')).status).toBe(401);
    expect((await request(`${url}/metrics/job/backup/instance/db1`, 'PUT', 'last_run 17\n', { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await request(`${url}/metrics/job/backup/instance/db1`, 'PUT', 'last_run 17\n', basic('ci', 'wrong'))).status).toBe(401);
    expect((await request(`${url}/metrics/job/backup/instance/db1`, 'PUT', 'last_run 17\n', bearer)).status).toBe(200);
    expect((await request(`${url}/metrics/job/report/instance/x`, 'POST', 'rows 3\n', basic('ci', 'ci-Pa55'))).status).toBe(200);
    const tooBig = await request(`${url}/metrics/job/big`, 'PUT', `x ${'1'.repeat(2000)}\n`, bearer);
    expect(tooBig.status).toBe(413);

    // Written into the TSDB: PromQL sees them with the grouping labels.
    const r = await query(url, 'last_run');
    expect(r.map((s) => [s.metric, s.value[1]])).toEqual([[{ __name__: 'last_run', instance: 'db1', job: 'backup' }, '17']]);
    expect((await query(url, 'rows'))[0]?.value[1]).toBe('3');
    // The Prometheus API still answers next to it.
    expect((await request(`${url}/api/v1/labels`)).status).toBe(200);

    const cfg = JSON.parse((await request(`${url}/api/v1/status/config`)).body) as { data: { yaml: string } };
    expect(cfg.data.yaml).toContain('ci: <secret>');
    expect(cfg.data.yaml).toContain('bearer_token_file: tokens.txt');
    expect(cfg.data.yaml).not.toContain(hash.split('$')[4]);
    const all = lines.join('\n');
    for (const secret of [TOKEN, 'ci-Pa55', hash]) expect(all).not.toContain(secret);

    await agg.stop();
    agg = await each.aggregator(startTestAggregator(d));
    const groups = agg.push.groups().map((g) => g.labels);
    expect(groups).toEqual(expect.arrayContaining([{ job: 'backup', instance: 'db1' }, { job: 'report', instance: 'x' }]));
    const listing = await request(`${agg.url}/api/v1/metrics`, 'GET', undefined, bearer);
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('last_run');
  });

  it('refuses to start when the bearer token file is missing, naming it', async () => {
    const d = each.dir();
    d.config('push:\n  enabled: true\n  bearer_token_file: missing.txt\n');
    await expect(startTestAggregator(d)).rejects.toThrow(/push\.bearer_token_file ".*missing\.txt": cannot read: ENOENT/);
  });
});
