/**
 * Reloading the configuration of a running aggregator (POST /-/reload and reload(), which
 * SIGHUP calls): a new static target gets scraped while the existing loop is kept, push
 * settings and the broker's anonymous policy change, and a bad file keeps the old config,
 * answers 500 with file:line, and is recorded for prometheus_config_last_reload_successful.
 * Also /-/quit (403 without --web.enable-lifecycle). The SIGHUP and /-/quit wiring of the
 * binary (a graceful stop) is tested in cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { tryConnect } from '../mqtt/test-util.js';
import { eventually, metricsTarget, PerTest, query, recordingLogger, request, startTestAggregator } from './test-harness.js';

const each = new PerTest();

const job = (name: string, address: string) => `  - job_name: ${name}
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['${address}']
`;

async function upIs1(url: string, jobName: string): Promise<true> {
  return eventually(`up{job="${jobName}"} == 1`, async () => ((await query(url, `up{job="${jobName}"}`))[0]?.value[1] === '1' ? true : undefined));
}

describe('/-/reload', () => {
  it('answers 403 with Prometheus\'s message without --web.enable-lifecycle, 405 for GET', async () => {
    const d = each.dir();
    d.config('');
    const agg = await each.aggregator(startTestAggregator(d));
    const r = await request(`${agg.url}/-/reload`, 'POST');
    expect(r).toMatchObject({ status: 403, body: 'Lifecycle API is not enabled.' });
    expect((await request(`${agg.url}/-/reload`, 'PUT')).status).toBe(403);
    const get = await request(`${agg.url}/-/reload`);
    expect(get).toMatchObject({ status: 405, body: 'Only POST or PUT requests allowed' });
    expect(get.headers.allow).toBe('POST, PUT');
  });

  it('/-/quit: 403 without the flag; with it, Goodbye once, then "already in progress"', async () => {
    const d = each.dir();
    d.config('');
    let agg = await each.aggregator(startTestAggregator(d));
    expect(await request(`${agg.url}/-/quit`, 'POST')).toMatchObject({ status: 403, body: 'Lifecycle API is not enabled.' });
    expect((await request(`${agg.url}/-/quit`, 'PUT')).status).toBe(403);
    const get = await request(`${agg.url}/-/quit`);
    expect(get).toMatchObject({ status: 405, body: 'Only POST or PUT requests allowed' });
    await agg.stop();

    agg = await each.aggregator(startTestAggregator(d, { flags: ['--web.enable-lifecycle'] }));
    let quit = false;
    void agg.quitRequested.then(() => (quit = true));
    expect(await request(`${agg.url}/-/quit`, 'GET')).toMatchObject({ status: 405 });
    expect(quit).toBe(false);
    expect(await request(`${agg.url}/-/quit`, 'PUT')).toMatchObject({ status: 200, body: 'Requesting termination... Goodbye!' });
    await agg.quitRequested;
    // Stopping is the process's job (cli.ts, tested there); until then a repeat is told so.
    expect(await request(`${agg.url}/-/quit`, 'POST')).toMatchObject({ status: 200, body: 'Termination already in progress.' });
  });

  it('applies a new static target, keeps the running loop, and refuses garbage keeping the old config', async () => {
    const a = await metricsTarget(() => 'a_metric 1\n');
    const b = await metricsTarget(() => 'b_metric 2\n');
    each.closers.push(a.close, b.close);
    const d = each.dir();
    d.config(`scrape_configs:\n${job('a', a.address)}`);
    const agg = await each.aggregator(startTestAggregator(d, { flags: ['--web.enable-lifecycle'] }));
    const url = agg.url;
    await upIs1(url, 'a');
    const before = agg.collection.scrape.targetsActive().get('a')![0]!;
    const started = agg.reloadStatus().lastSuccessMs;

    d.config(`scrape_configs:\n${job('a', a.address)}${job('b', b.address)}`);
    const ok = await request(`${url}/-/reload`, 'POST');
    expect(ok).toMatchObject({ status: 200, body: '' });
    await upIs1(url, 'b');
    expect((await query(url, 'b_metric'))[0]?.value[1]).toBe('2');
    // Job a was unchanged: the same target object, so the same loop kept scraping.
    expect(agg.collection.scrape.targetsActive().get('a')![0]).toBe(before);
    expect(agg.reloadStatus()).toMatchObject({ successful: true, lastError: undefined });
    expect(agg.reloadStatus().lastSuccessMs).toBeGreaterThanOrEqual(started);
    expect(JSON.parse((await request(`${url}/api/v1/status/config`)).body).data.yaml).toContain('job_name: b');

    d.config(`scrape_configs:\n${job('a', a.address)}  - job_name: [broken\n`);
    const bad = await request(`${url}/-/reload`, 'POST');
    expect(bad.status).toBe(500);
    // The unclosed flow sequence is reported where the parser gives up: the end of the file.
    expect(bad.body).toMatch(/^failed to reload config: .*aggregator\.yml:8:1: YAML syntax error: /);
    expect(agg.reloadStatus()).toMatchObject({ successful: false });
    expect(agg.reloadStatus().lastError).toMatch(/aggregator\.yml:8:1/);
    const runtime = JSON.parse((await request(`${url}/api/v1/status/runtimeinfo`)).body) as { data: { reloadConfigSuccess: boolean } };
    expect(runtime.data.reloadConfigSuccess).toBe(false);
    // The old config is still the one shown and run: both jobs keep being scraped.
    expect(JSON.parse((await request(`${url}/api/v1/status/config`)).body).data.yaml).toContain('job_name: b');
    const n = b.scrapes();
    await eventually('job b scraped again after the failed reload', () => (b.scrapes() > n ? true : undefined));
    await expect(agg.reload()).rejects.toThrow(/aggregator\.yml:8:1/);
  });

  it('applies push settings and the broker\'s allow_anonymous', async () => {
    const d = each.dir();
    d.config('mqtt:\n  embedded:\n    allow_anonymous: false\n');
    const agg = await each.aggregator(startTestAggregator(d));
    const mqttUrl = agg.mqttUrl!;
    expect(await tryConnect(mqttUrl, { clientId: 'edgeprom-dev1' })).toBe(5); // not authorized
    expect((await request(`${agg.url}/metrics/job/j`, 'PUT', 'a 1\n')).status).toBe(404);

    d.config('mqtt:\n  embedded:\n    allow_anonymous: loopback\npush:\n  enabled: true\n  insecure: true\n');
    await agg.reload();
    expect(await tryConnect(mqttUrl, { clientId: 'edgeprom-dev1' })).toBe('connected');
    expect((await request(`${agg.url}/metrics/job/j`, 'PUT', 'a 1\n')).status).toBe(200);
    expect((await query(agg.url, 'a'))[0]?.metric).toEqual({ __name__: 'a', job: 'j' });

    d.config('push:\n  enabled: false\n');
    await agg.reload();
    expect(await tryConnect(mqttUrl, { clientId: 'edgeprom-dev1' })).toBe(5);
    expect((await request(`${agg.url}/metrics/job/j`, 'PUT', 'a 1\n')).status).toBe(404);
  });
});

describe('settings accepted but not acted on yet', () => {
  it('says so at start and on reload: rule_files, alerting, remote_write, query log, storage', async () => {
    const d = each.dir();
    d.config(`global:
  query_log_file: q.log
rule_files: [rules/*.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['localhost:9093']
`);
    const lines: string[] = [];
    const agg = await each.aggregator(startTestAggregator(d, { logger: recordingLogger(lines) }));
    const warned = () => lines.filter((l) => / is not (built|applied)/.test(l));
    expect(warned()).toHaveLength(3);
    expect(warned().join('\n')).toMatch(/rule evaluation is not built: the 1 rule_files pattern\(s\) are not read.*"section":"rule_files"/);
    expect(warned().join('\n')).toMatch(/alerting is not built.*1 alertmanager config\(s\) ignored.*"section":"alerting"/);
    expect(warned().join('\n')).toContain('"section":"global.query_log_file"');

    d.config(`remote_write:\n  - url: http://localhost:9/write\nstorage:\n  tsdb:\n    out_of_order_time_window: 1h\n`);
    await agg.reload();
    expect(warned().slice(3).map((l) => /"section":"([^"]+)"/.exec(l)![1])).toEqual(['remote_write', 'storage.tsdb']);

    d.config('scrape_configs: []\n');
    await agg.reload();
    expect(warned()).toHaveLength(5);
  });
});
