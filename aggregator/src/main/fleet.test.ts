/**
 * /api/v1/fleet on a real aggregator (HTTP and embedded broker on 127.0.0.1): a scraped
 * device (a /metrics target whose clock runs 2.5 s ahead and that reports a backlog) and a
 * pushing device (a real MQTT client speaking the wire format: a live presence whose clock
 * is 3 s behind, then batches), with the `state` and `mode` filters.
 */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { encodeBatch, encodePresence } from '@edgeprom/shared/wire';
import path from 'node:path';
import { selfTargetMatcher, type FleetDevice } from './fleet.js';
import { parseServeFlags } from './flags.js';
import { startAggregator } from './serve.js';
import { eventually, metricsTarget, PerTest, pushingDevice, request, SILENT, startTestAggregator } from './test-harness.js';

const each = new PerTest();

interface FleetBody {
  status: string;
  data: { devices: FleetDevice[] };
  errorType?: string;
  error?: string;
}

interface TargetsBody {
  data: { activeTargets: { scrapePool: string; scrapeUrl: string; health: string }[] };
}

async function activeTargets(url: string): Promise<TargetsBody['data']['activeTargets']> {
  return (JSON.parse((await request(`${url}/api/v1/targets?state=active`)).body) as TargetsBody).data.activeTargets;
}

async function fleet(url: string, q = ''): Promise<FleetBody> {
  const r = await request(`${url}/api/v1/fleet${q}`);
  return JSON.parse(r.body) as FleetBody;
}

const f64 = (xs: number[]) => Float64Array.from(xs);

function batch(agent: string, seq: number, now: number, backlog: number): Buffer {
  return Buffer.from(
    encodeBatch({
      agent,
      boot: 'boot-1',
      seqFrom: seq,
      seqTo: seq + 1,
      series: [
        { labels: Labels.from({ __name__: 'temp_celsius' }), timestamps: f64([now]), values: f64([21.5]), seqs: f64([seq]) },
        { labels: Labels.from({ __name__: 'edgeprom_push_backlog_samples' }), timestamps: f64([now]), values: f64([backlog]), seqs: f64([seq + 1]) },
      ],
    }),
  );
}

describe('/api/v1/fleet', () => {
  it('lists scraped and pushing devices with health, mode, backlog and clock offset', async () => {
    const target = await metricsTarget(
      () => `node_time_seconds ${(Date.now() + 2500) / 1000}\nedgeprom_push_backlog_samples 42\n`,
    );
    each.closers.push(target.close);
    const d = each.dir();
    d.config(`scrape_configs:
  - job_name: dev
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['${target.address}']
  - job_name: edgeprom
    mqtt_sd_configs:
      - topic_prefix: edgeprom/
mqtt:
  embedded:
    allow_anonymous: loopback
`);
    const agg = await each.aggregator(startTestAggregator(d));
    const url = agg.url;

    // The pushing device: anonymous from loopback, acting as agent "pusher-1".
    const device = await pushingDevice(agg.mqttUrl!, 'pusher-1');
    each.closers.push(device.close);
    // No addresses: announced, but not a scrape target.
    const presence = encodePresence({ agent: 'pusher-1', boot: 'boot-1', bootSeq: 1, state: 'online', version: 'test', ts: Date.now() - 3000 });
    await device.client.publishAsync('edgeprom/presence/pusher-1', Buffer.from(presence), { qos: 1, retain: true });
    await device.push(batch('pusher-1', 1, Date.now(), 7));

    const devices = await eventually('both devices listed, the target scraped', async () => {
      const body = await fleet(url);
      const scraped = body.data.devices.find((x) => x.id === target.address);
      return scraped?.health === 'up' && scraped.clockOffsetMethod === 'scrape' && body.data.devices.some((x) => x.id === 'pusher-1')
        ? body.data.devices
        : undefined;
    });
    const scraped = devices.find((x) => x.id === target.address)!;
    expect(scraped).toMatchObject({
      agentId: null,
      labels: { job: 'dev', instance: target.address },
      discovery: ['static'],
      health: 'up',
      lastError: '',
      mode: 'pull',
      backlogSamples: 42,
      lastPush: null,
    });
    expect(scraped.targets).toHaveLength(1);
    expect(scraped.targets[0]!.scrapePool).toBe('dev');
    expect(scraped.lastScrape).toMatch(/^\d{4}-\d\d-\d\dT/);
    // offset = node_time - (t + duration / 2): within half the scrape, plus the 1% of the interval
    // a scrape timestamp may be aligned back by (and ms rounding), of +2.5 s.
    expect(Math.abs(scraped.clockOffsetSeconds! - 2.5)).toBeLessThanOrEqual(scraped.lastScrapeDuration! / 2 + 0.012);

    const pusher = devices.find((x) => x.id === 'pusher-1')!;
    expect(pusher).toMatchObject({
      agentId: 'pusher-1',
      labels: { job: 'edgeprom', instance: 'pusher-1' },
      discovery: ['mqtt', 'push'],
      health: 'up',
      mode: 'push',
      targets: [],
      lastScrape: null,
      lastPushResult: 'ok',
      pushBoot: 'boot-1',
      pushSeq: 2,
      backlogSamples: 7,
      clockOffsetMethod: 'presence',
      presence: { state: 'online', boot: 'boot-1', version: 'test' },
    });
    // ts was taken 3 s behind the send; delivery only makes it look further behind.
    expect(pusher.clockOffsetSeconds!).toBeLessThanOrEqual(-3);
    expect(pusher.clockOffsetSeconds!).toBeGreaterThan(-60);

    expect((await fleet(url, '?mode=push')).data.devices.map((x) => x.id)).toEqual(['pusher-1']);
    expect((await fleet(url, '?mode=PULL')).data.devices.map((x) => x.id)).toEqual([target.address]);
    expect((await fleet(url, '?state=down')).data.devices).toEqual([]);
    const bad = await request(`${url}/api/v1/fleet?state=sideways`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 'error', errorType: 'bad_data', error: expect.stringContaining('"state"') });

    // A malformed batch: the device is down with the reason; the scraped one is untouched.
    await device.client.publishAsync('edgeprom/push/pusher-1', Buffer.from('not cbor'), { qos: 1 });
    const down = await eventually('the pusher marked down', async () => {
      const list = (await fleet(url, '?state=down')).data.devices;
      return list.length > 0 ? list : undefined;
    });
    expect(down.map((x) => [x.id, x.lastPushResult])).toEqual([['pusher-1', 'malformed']]);
    expect(down[0]!.lastError).not.toBe('');
  });
});

describe('/api/v1/fleet leaves out the aggregator itself', () => {
  it('the built-in `self` job (no config file) is a target, not a device', async () => {
    const d = each.dir();
    const flags = parseServeFlags([
      `--storage.tsdb.path=${path.join(d.dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--mqtt.listen-address=127.0.0.1:0',
    ]);
    const agg = await each.aggregator(startAggregator(flags, { logger: SILENT, discoveryUpdateInterval: 50 }));
    const url = agg.url;
    const self = await eventually('the self job active', async () => (await activeTargets(url)).find((t) => t.scrapePool === 'self'));
    expect(self.scrapeUrl).toBe(`${url}/metrics`);
    // mDNS on loopback may find agents of other processes: whatever is listed, we are not.
    const devices = (await fleet(url)).data.devices;
    expect(devices.filter((x) => x.targets.some((t) => t.scrapePool === 'self' || t.scrapeUrl === self.scrapeUrl))).toEqual([]);
  });

  it('under any job name and host spelling; a device in a job named `self` stays', async () => {
    const target = await metricsTarget(() => 'temp_celsius 20\n');
    each.closers.push(target.close);
    const d = each.dir();
    d.config('');
    const agg = await each.aggregator(startTestAggregator(d));
    const url = agg.url;
    const port = new URL(url).port;
    const job = (name: string, targets: string[]) =>
      `  - job_name: ${name}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`;
    d.config(`scrape_configs:\n${job('prometheus', [`localhost:${port}`, `127.0.0.1:${port}`])}${job('self', [target.address])}${job('dev', [target.address])}`);
    await agg.reload();
    // Scraped for real: the aggregator answers its own /metrics under both spellings.
    await eventually('every target up', async () => {
      const ts = await activeTargets(url);
      return ts.length === 4 && ts.every((t) => t.health === 'up') ? true : undefined;
    });
    const devices = (await fleet(url)).data.devices;
    expect(devices.map((x) => x.id)).toEqual([target.address]);
    expect(devices[0]!.targets.map((t) => t.scrapePool)).toEqual(['dev', 'self']);
  });
});

describe('selfTargetMatcher', () => {
  const local = new Set(['localhost', '0.0.0.0', '::', 'gw', '192.0.2.7', 'fe80::1']);

  it('listening on every interface: any local address or name, our port, /metrics, http', () => {
    const ours = selfTargetMatcher({ host: '::', port: 9090 }, local);
    for (const u of [
      'http://localhost:9090/metrics',
      'http://127.0.0.1:9090/metrics',
      'http://127.1.2.3:9090/metrics',
      'http://[::1]:9090/metrics',
      'http://GW:9090/metrics',
      'http://192.0.2.7:9090/metrics?x=1',
      'http://[fe80::1]:9090/metrics',
    ]) {
      expect([u, ours(u)]).toEqual([u, true]);
    }
    for (const u of [
      'http://localhost:9091/metrics', // another port: another process
      'http://localhost:9090/federate',
      'https://localhost:9090/metrics',
      'http://192.0.2.8:9090/metrics', // another machine
      'http://other-host:9090/metrics',
      'not a url',
    ]) {
      expect([u, ours(u)]).toEqual([u, false]);
    }
    expect(selfTargetMatcher({ host: '0.0.0.0', port: 80 }, local)('http://gw/metrics')).toBe(true);
  });

  it('listening on one address: that address, and localhost when it is a loopback one', () => {
    const lo = selfTargetMatcher({ host: '127.0.0.1', port: 9090 }, local);
    expect(lo('http://127.0.0.1:9090/metrics')).toBe(true);
    expect(lo('http://localhost:9090/metrics')).toBe(true);
    expect(lo('http://192.0.2.7:9090/metrics')).toBe(false); // another process may listen there
    const lan = selfTargetMatcher({ host: '192.0.2.7', port: 9090 }, local);
    expect(lan('http://192.0.2.7:9090/metrics')).toBe(true);
    expect(lan('http://localhost:9090/metrics')).toBe(false);
    expect(selfTargetMatcher({ host: '::1', port: 9090 }, local)('http://[::1]:9090/metrics')).toBe(true);
  });
});
