/**
 * A device that leaves takes its pushed family metadata (batch `meta`) out of
 * /api/v1/metadata: the real aggregator (HTTP and embedded broker on 127.0.0.1), devices
 * connecting with an offline presence as their last will, as agents do.
 */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { encodeBatch, encodePresence, type WireFamilyMetadata } from '@edgeprom/shared/wire';
import { eventually, PerTest, pushingDevice, request, startTestAggregator, type PushingDevice } from '../main/test-harness.js';

const each = new PerTest();

type Meta = Record<string, { type: string; help: string; unit: string }[]>;

async function metadata(url: string): Promise<Meta> {
  const r = await request(`${url}/api/v1/metadata`);
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { data: Meta }).data;
}

async function presenceOf(url: string, id: string): Promise<string | undefined> {
  const r = await request(`${url}/api/v1/fleet`);
  const devices = (JSON.parse(r.body) as { data: { devices: { id: string; presence: { state: string; boot: string } | null }[] } }).data.devices;
  const p = devices.find((d) => d.id === id)?.presence;
  return p ? `${p.state} ${p.boot}` : undefined;
}

function presence(agent: string, state: 'online' | 'offline', bootSeq = 1): Buffer {
  return Buffer.from(encodePresence({ agent, boot: `boot-${bootSeq}`, bootSeq, state, version: 'test', ts: Date.now() }));
}

function batch(agent: string, seq: number, meta: WireFamilyMetadata[], bootSeq = 1): Uint8Array {
  const series = [{ labels: Labels.from({ __name__: meta[0]!.metric }), timestamps: [Date.now()], values: [1], seqs: [seq] }];
  return encodeBatch({ agent, boot: `boot-${bootSeq}`, seqFrom: seq, seqTo: seq, series, meta });
}

const TEMP: WireFamilyMetadata = { metric: 'temp_celsius', type: 'gauge', help: 'Board temperature.', unit: 'celsius' };
const UPTIME: WireFamilyMetadata = { metric: 'uptime_seconds', type: 'counter', help: 'Uptime.', unit: 'seconds' };

/** A device as an agent connects: offline presence as its retained last will, then online. */
async function device(mqttUrl: string, id: string, bootSeq = 1): Promise<PushingDevice> {
  const d = await pushingDevice(mqttUrl, id, { will: { topic: `edgeprom/presence/${id}`, payload: presence(id, 'offline', bootSeq), qos: 1, retain: true } });
  each.closers.push(d.close);
  await d.client.publishAsync(`edgeprom/presence/${id}`, presence(id, 'online', bootSeq), { qos: 1, retain: true });
  return d;
}

async function start(): Promise<{ url: string; mqttUrl: string }> {
  const d = each.dir();
  d.config('mqtt:\n  embedded:\n    allow_anonymous: loopback\n');
  const agg = await each.aggregator(startTestAggregator(d));
  return { url: agg.url, mqttUrl: agg.mqttUrl! };
}

describe('pushed family metadata when a device leaves', () => {
  it('is dropped when its connection dies (last will); a family another device also has stays', async () => {
    const { url, mqttUrl } = await start();
    const pi1 = await device(mqttUrl, 'pi-1');
    const pi2 = await device(mqttUrl, 'pi-2');
    await pi1.push(batch('pi-1', 1, [TEMP, UPTIME]));
    await pi2.push(batch('pi-2', 1, [UPTIME]));
    const before = await metadata(url);
    expect(before.temp_celsius).toEqual([{ type: 'gauge', help: 'Board temperature.', unit: 'celsius' }]);
    expect(before.uptime_seconds).toEqual([{ type: 'counter', help: 'Uptime.', unit: 'seconds' }]);

    pi1.client.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await eventually('pi-1 offline in the fleet view', async () => ((await presenceOf(url, 'pi-1')) === 'offline boot-1' ? true : undefined));
    const after = await eventually('temp_celsius gone', async () => {
      const m = await metadata(url);
      return m.temp_celsius === undefined ? m : undefined;
    });
    expect(after.uptime_seconds).toEqual([{ type: 'counter', help: 'Uptime.', unit: 'seconds' }]);
  });

  it('is dropped after a goodbye that follows the last batch before it is committed, and sent again on the next connection', async () => {
    const { url, mqttUrl } = await start();
    const pi1 = await device(mqttUrl, 'pi-1');
    // The batch and the goodbye back to back, as an agent stopping: the batch is still being
    // committed when the offline presence arrives.
    const acked = pi1.push(batch('pi-1', 1, [TEMP]));
    await pi1.client.publishAsync('edgeprom/presence/pi-1', presence('pi-1', 'offline'), { qos: 1, retain: true });
    await acked;
    await eventually('pi-1 offline in the fleet view', async () => ((await presenceOf(url, 'pi-1')) === 'offline boot-1' ? true : undefined));
    expect((await metadata(url)).temp_celsius).toBeUndefined();

    // Back (a new connection sends its metadata again).
    await pi1.client.publishAsync('edgeprom/presence/pi-1', presence('pi-1', 'online'), { qos: 1, retain: true });
    await pi1.push(batch('pi-1', 2, [TEMP]));
    expect((await metadata(url)).temp_celsius).toEqual([{ type: 'gauge', help: 'Board temperature.', unit: 'celsius' }]);
  });

  it('is kept when a stale last will of an earlier boot arrives after the new boot is online', async () => {
    const { url, mqttUrl } = await start();
    const pi1 = await device(mqttUrl, 'pi-1', 2);
    await pi1.push(batch('pi-1', 1, [TEMP], 2));
    // The will of boot 1, published late by the broker (as when the device restarted fast).
    await pi1.client.publishAsync('edgeprom/presence/pi-1', presence('pi-1', 'offline', 1), { qos: 1, retain: true });
    // A later message of the same device shows the stale one was handled.
    await pi1.client.publishAsync('edgeprom/presence/pi-1', presence('pi-1', 'online', 2), { qos: 1, retain: true });
    await pi1.push(batch('pi-1', 2, [UPTIME], 2));
    expect(await presenceOf(url, 'pi-1')).toBe('online boot-2');
    const m = await metadata(url);
    expect(m.temp_celsius).toEqual([{ type: 'gauge', help: 'Board temperature.', unit: 'celsius' }]);
  });
});
