/**
 * /api/v1/metadata and /api/v1/targets/metadata on the real aggregator (HTTP and embedded
 * broker on 127.0.0.1): TYPE/HELP/UNIT of a scraped target, of a push API group and of an
 * MQTT device's batch `meta`, merged in one answer as Grafana reads it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { Labels } from '@edgeprom/shared';
import { encodeBatch } from '@edgeprom/shared/wire';
import { connect } from '../mqtt/test-util.js';
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

type Meta = Record<string, { type: string; help: string; unit: string }[]>;

async function metadata(url: string, q = ''): Promise<Meta> {
  const r = await request(`${url}/api/v1/metadata${q}`);
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { data: Meta }).data;
}

describe('metric metadata in the aggregator binary', () => {
  it('lists scraped, push API and MQTT-pushed families', async () => {
    const target = await metricsTarget(() => '# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5\n');
    closers.push(target.close);
    d = new TestDir();
    d.config(`scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['${target.address}']
mqtt:
  embedded:
    allow_anonymous: loopback
push:
  enabled: true
  insecure: true
`);
    agg = await startTestAggregator(d);
    const url = agg.url;

    const pushed = await request(`${url}/metrics/job/backup`, 'PUT', '# HELP backup_last_success Last good run.\n# TYPE backup_last_success gauge\nbackup_last_success 17\n');
    expect(pushed.status, pushed.body).toBe(200);

    const device: MqttClient = await connect(agg.mqttUrl!, { clientId: 'edgeprom-pi-1' });
    closers.push(async () => void (await device.endAsync(true)));
    await device.subscribeAsync('edgeprom/ack/pi-1', { qos: 1 });
    const acks: Buffer[] = [];
    device.on('message', (_t, p) => acks.push(p));
    const now = Date.now();
    const bytes = encodeBatch({
      agent: 'pi-1',
      boot: 'boot-1',
      seqFrom: 1,
      seqTo: 1,
      series: [{ labels: Labels.from({ __name__: 'temp_celsius' }), timestamps: [now], values: [21.5], seqs: [1] }],
      meta: [{ metric: 'temp_celsius', type: 'gauge', help: 'Board temperature.', unit: 'celsius' }],
    });
    await device.publishAsync('edgeprom/push/pi-1', Buffer.from(bytes), { qos: 1 });
    await eventually('the batch acked', () => (acks.length > 0 ? true : undefined));

    const all = await eventually('the target scraped', async () => {
      const m = await metadata(url);
      return m.node_load1 !== undefined ? m : undefined;
    });
    expect(all.node_load1).toEqual([{ type: 'gauge', help: '1m load average.', unit: '' }]);
    expect(all.backup_last_success).toEqual([{ type: 'gauge', help: 'Last good run.', unit: '' }]);
    expect(all.temp_celsius).toEqual([{ type: 'gauge', help: 'Board temperature.', unit: 'celsius' }]);
    expect(await metadata(url, '?metric=temp_celsius')).toEqual({ temp_celsius: [{ type: 'gauge', help: 'Board temperature.', unit: 'celsius' }] });

    const tm = await request(`${url}/api/v1/targets/metadata?metric=node_load1`);
    expect(JSON.parse(tm.body)).toEqual({
      status: 'success',
      data: [{ target: { instance: target.address, job: 'node' }, type: 'gauge', help: '1m load average.', unit: '' }],
    });
  });
});
