import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { encodePresence, topics, type PresenceInput } from '@edgeprom/shared/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttPresenceDiscoverer } from './mqtt-sd.js';
import { EmitLog, MemoryLogger, startTestBroker, waitFor } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
let url: string;
let aggregator: MqttClient;

async function startBroker(): Promise<string> {
  const b = await startTestBroker();
  cleanups.push(b.close);
  return b.url;
}

async function client(opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectAsync(url, { reconnectPeriod: 0, ...opts });
  cleanups.push(() => c.endAsync(true));
  return c;
}

const T = topics('edgeprom/');

function presence(p: Partial<PresenceInput> & { agent: string }): Buffer {
  return Buffer.from(
    encodePresence({
      boot: 'b1',
      bootSeq: 1,
      state: 'online',
      version: '0.1.0',
      metricsPath: '/metrics',
      addresses: ['127.0.0.1'],
      port: 9100,
      ts: Date.UTC(2026, 0, 1),
      ...p,
    }),
  );
}

/** An agent as the presence code runs it: last will offline, then a retained online. */
async function agent(id: string, boot: string, bootSeq: number, extra: Partial<PresenceInput> = {}): Promise<MqttClient> {
  const c = await client({
    clientId: `${id}-${boot}`,
    will: { topic: T.presence(id), payload: presence({ agent: id, boot, bootSeq, state: 'offline', ...extra }), qos: 1, retain: true },
  });
  await c.publishAsync(T.presence(id), presence({ agent: id, boot, bootSeq, ...extra }), { qos: 1, retain: true });
  return c;
}

function start(c: MqttClient, opts: { include_offline?: boolean; prefix?: string } = {}) {
  const log = new EmitLog();
  const logger = new MemoryLogger();
  const ac = new AbortController();
  const d = new MqttPresenceDiscoverer({ topic_prefix: opts.prefix ?? 'edgeprom/', include_offline: opts.include_offline ?? false }, c, { logger });
  const done = d.run(ac.signal, log.emit);
  const stop = async () => {
    ac.abort();
    await done;
  };
  cleanups.push(stop);
  return { log, logger, stop };
}

beforeEach(async () => {
  url = await startBroker();
  aggregator = await client({ clientId: 'aggregator' });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('MqttPresenceDiscoverer', () => {
  it('turns a retained online presence into a target with __meta_mqtt_* labels, and the last will removes it', async () => {
    const pi = await agent('pi-kitchen', 'b7', 3, { addresses: ['127.0.0.1', '::1'], port: 9101, metricsPath: '/m' });
    const { log } = start(aggregator);
    expect(log.emits[0]).toEqual([]); // the full set first: nothing known yet
    await waitFor(() => log.groups.size === 1, 'the retained presence');
    expect(log.targets()).toEqual([
      {
        __address__: '127.0.0.1:9101',
        __meta_mqtt_agent_id: 'pi-kitchen',
        __meta_mqtt_boot: 'b7',
        __meta_mqtt_boot_seq: '3',
        __meta_mqtt_version: '0.1.0',
        __meta_mqtt_metrics_path: '/m',
        __meta_mqtt_state: 'online',
        __meta_mqtt_addresses: '127.0.0.1,::1',
        __meta_mqtt_port: '9101',
        __meta_mqtt_topic: 'edgeprom/presence/pi-kitchen',
      },
    ]);
    expect([...log.groups.keys()]).toEqual(['edgeprom/presence/pi-kitchen']);

    pi.stream.destroy(); // the device vanishes: the broker publishes its will
    await waitFor(() => log.groups.size === 0, 'the last will');
    expect(log.emits.at(-1)).toEqual([{ source: 'edgeprom/presence/pi-kitchen', targets: [], labels: {} }]);
  });

  it('follows agents coming online after it started, and a graceful offline', async () => {
    const { log } = start(aggregator);
    const a = await agent('a', 'b1', 1);
    await agent('b', 'b1', 1, { addresses: ['fe80::1'], port: 9200 });
    await waitFor(() => log.groups.size === 2, 'both agents');
    expect(log.addresses()).toEqual(['127.0.0.1:9100', '[fe80::1]:9200']);
    await a.publishAsync(T.presence('a'), presence({ agent: 'a', state: 'offline' }), { qos: 1, retain: true });
    await waitFor(() => log.groups.size === 1, 'the graceful offline');
    expect(log.addresses()).toEqual(['[fe80::1]:9200']);
  });

  it('ignores a stale last will from an earlier boot that arrives after the new boot is online', async () => {
    const oldBoot = await agent('pi', 'boot-3', 3);
    const { log, logger } = start(aggregator);
    await waitFor(() => log.targets()[0]?.__meta_mqtt_boot === 'boot-3' || undefined, 'boot 3 online');
    // The device restarted; the broker has not noticed the old connection is gone yet.
    const newBoot = await agent('pi', 'boot-4', 4, { port: 9111 });
    await waitFor(() => log.targets()[0]?.__meta_mqtt_boot === 'boot-4' || undefined, 'boot 4 online');
    oldBoot.stream.destroy(); // now the broker publishes boot 3's will
    await waitFor(() => logger.entries.some((e) => e.msg?.includes('stale offline')) || undefined, 'the stale will');
    expect(log.targets()).toMatchObject([{ __address__: '127.0.0.1:9111', __meta_mqtt_boot: 'boot-4', __meta_mqtt_state: 'online' }]);
    newBoot.stream.destroy(); // boot 4's own will does count
    await waitFor(() => log.groups.size === 0, "boot 4's will");
  });

  it('keeps offline agents with include_offline, at their last known address', async () => {
    const pi = await agent('pi', 'b1', 1);
    const { log } = start(aggregator, { include_offline: true });
    await waitFor(() => log.targets()[0]?.__meta_mqtt_state === 'online' || undefined, 'online');
    pi.stream.destroy();
    // The will carries addresses too; this one does not, so the online's are used.
    await waitFor(() => log.targets()[0]?.__meta_mqtt_state === 'offline' || undefined, 'offline kept');
    expect(log.addresses()).toEqual(['127.0.0.1:9100']);
  });

  it('drops bad messages, mismatched agents and presences it cannot scrape, and a cleared retained message removes the agent', async () => {
    const { log, logger } = start(aggregator);
    const dev = await client({ clientId: 'dev' });
    await dev.publishAsync(T.presence('x'), Buffer.from('not cbor'), { qos: 1, retain: true });
    await dev.publishAsync(T.presence('y'), presence({ agent: 'z' }), { qos: 1, retain: true });
    await dev.publishAsync(T.presence('noport'), presence({ agent: 'noport', port: undefined }), { qos: 1 });
    await dev.publishAsync(T.presence('ok'), presence({ agent: 'ok' }), { qos: 1, retain: true });
    await waitFor(() => log.groups.size === 1, 'the good one');
    expect(logger.at('warn').map((e) => e.msg)).toEqual([
      expect.stringContaining('ignoring presence on edgeprom/presence/x'),
      expect.stringContaining('differs from the topic'),
    ]);
    expect([...log.groups.keys()]).toEqual(['edgeprom/presence/ok']);
    await dev.publishAsync(T.presence('ok'), Buffer.alloc(0), { qos: 1, retain: true });
    await waitFor(() => log.groups.size === 0, 'the cleared retained message');
  });

  it('shares one client between discoverers: stopping one leaves the other subscribed', async () => {
    const one = start(aggregator);
    const two = start(aggregator);
    await agent('a', 'b1', 1);
    await waitFor(() => one.log.groups.size === 1 && two.log.groups.size === 1, 'both see a');
    await one.stop();
    await agent('b', 'b1', 1);
    await waitFor(() => two.log.groups.size === 2, 'the survivor sees b');
    expect(one.log.groups.size).toBe(1);
  });

  it('catches up after its own connection drops: the retained presence is sent again on reconnect', async () => {
    const agg = await client({ clientId: 'aggregator-2', reconnectPeriod: 50 });
    const { log } = start(agg);
    const a = await agent('a', 'b1', 1);
    await waitFor(() => log.groups.size === 1, 'a online');
    const reconnected = new Promise<void>((resolve) => agg.once('connect', () => resolve()));
    agg.stream.destroy();
    // While the aggregator is away, a goes offline.
    await a.publishAsync(T.presence('a'), presence({ agent: 'a', state: 'offline' }), { qos: 1, retain: true });
    await reconnected;
    await waitFor(() => log.groups.size === 0, 'the offline seen after reconnecting');
  });

  it('honours the topic prefix', async () => {
    const { log } = start(aggregator, { prefix: 'site1/' });
    const dev = await client({ clientId: 'dev' });
    await dev.publishAsync('edgeprom/presence/a', presence({ agent: 'a' }), { qos: 1, retain: true });
    await dev.publishAsync('site1/presence/b', presence({ agent: 'b' }), { qos: 1, retain: true });
    await waitFor(() => log.groups.size === 1, 'b');
    expect([...log.groups.keys()]).toEqual(['site1/presence/b']);
  });
});
