/**
 * /api/v1/fleet on a real aggregator (HTTP and embedded broker on 127.0.0.1): a scraped
 * device (a /metrics target whose clock runs 2.5 s ahead and that reports a backlog) and a
 * pushing device (a real MQTT client speaking the wire format: a live presence whose clock
 * is 3 s behind, then batches), with the `state` and `mode` filters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { Labels } from '@edgeprom/shared';
import { encodeBatch, encodePresence } from '@edgeprom/shared/wire';
import { connect } from '../mqtt/test-util.js';
import type { FleetDevice } from './fleet.js';
import type { Aggregator } from './serve.js';
import { eventually, metricsTarget, request, startTestAggregator, TestDir } from './test-harness.js';

let d: TestDir | undefined;
let agg: Aggregator | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await agg?.stop();
  agg = undefined;
  d?.remove();
  d = undefined;
});

interface FleetBody {
  status: string;
  data: { devices: FleetDevice[] };
  errorType?: string;
  error?: string;
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
    closers.push(target.close);
    d = new TestDir();
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
    agg = await startTestAggregator(d);
    const url = agg.url;

    // The pushing device: anonymous from loopback, acting as agent "pusher-1".
    const device: MqttClient = await connect(agg.mqttUrl!, { clientId: 'edgeprom-pusher-1' });
    closers.push(async () => void (await device.endAsync(true)));
    await device.subscribeAsync('edgeprom/ack/pusher-1', { qos: 1 });
    const acks: Buffer[] = [];
    device.on('message', (_t, p) => acks.push(p));
    // No addresses: announced, but not a scrape target.
    const presence = encodePresence({ agent: 'pusher-1', boot: 'boot-1', bootSeq: 1, state: 'online', version: 'test', ts: Date.now() - 3000 });
    await device.publishAsync('edgeprom/presence/pusher-1', Buffer.from(presence), { qos: 1, retain: true });
    await device.publishAsync('edgeprom/push/pusher-1', batch('pusher-1', 1, Date.now(), 7), { qos: 1 });
    await eventually('the batch acked', () => (acks.length > 0 ? true : undefined));

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
    await device.publishAsync('edgeprom/push/pusher-1', Buffer.from('not cbor'), { qos: 1 });
    const down = await eventually('the pusher marked down', async () => {
      const list = (await fleet(url, '?state=down')).data.devices;
      return list.length > 0 ? list : undefined;
    });
    expect(down.map((x) => [x.id, x.lastPushResult])).toEqual([['pusher-1', 'malformed']]);
    expect(down[0]!.lastError).not.toBe('');
  });
});
