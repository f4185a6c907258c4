/**
 * /api/v1/metadata and /api/v1/targets/metadata on the real aggregator (HTTP and embedded
 * broker on 127.0.0.1): TYPE/HELP/UNIT of a scraped target, of a push API group and of an
 * MQTT device's batch `meta`, merged in one answer as Grafana reads it.
 */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { encodeBatch } from '@edgeprom/shared/wire';
import { eventually, metricsTarget, PerTest, pushingDevice, request, startTestAggregator } from './test-harness.js';

const each = new PerTest();

type Meta = Record<string, { type: string; help: string; unit: string }[]>;

async function metadata(url: string, q = ''): Promise<Meta> {
  const r = await request(`${url}/api/v1/metadata${q}`);
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { data: Meta }).data;
}

describe('metric metadata in the aggregator binary', () => {
  it('lists scraped, push API and MQTT-pushed families', async () => {
    const target = await metricsTarget(() => '# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5\n');
    each.closers.push(target.close);
    const d = each.dir();
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
    const agg = await each.aggregator(startTestAggregator(d));
    const url = agg.url;

    const pushed = await request(`${url}/metrics/job/backup`, 'PUT', '# HELP backup_last_success Last good run.\n# TYPE backup_last_success gauge\nbackup_last_success 17\n');
    expect(pushed.status, pushed.body).toBe(200);

    const device = await pushingDevice(agg.mqttUrl!, 'pi-1');
    each.closers.push(device.close);
    const now = Date.now();
    const bytes = encodeBatch({
      agent: 'pi-1',
      boot: 'boot-1',
      seqFrom: 1,
      seqTo: 1,
      series: [{ labels: Labels.from({ __name__: 'temp_celsius' }), timestamps: [now], values: [21.5], seqs: [1] }],
      meta: [{ metric: 'temp_celsius', type: 'gauge', help: 'Board temperature.', unit: 'celsius' }],
    });
    await device.push(bytes);

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
