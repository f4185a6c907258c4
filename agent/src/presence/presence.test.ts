import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { ManualClock } from '@edgeprom/shared';
import { decodeMessage, encodePresence, type PresenceMessage } from '@edgeprom/shared/wire';
import { Agent, type AgentSettings } from '../agent.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { FamilySet } from '@edgeprom/shared';
import { resolveRoots } from '../exporter/roots.js';
import { startBroker, until, type TestBroker } from '../mqtt/testing.js';
import { fakeTree, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
let broker: TestBroker | undefined;
const agents: Agent[] = [];
const clients: mqtt.MqttClient[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  for (const c of clients.splice(0)) await c.endAsync(true);
  await broker?.close();
  broker = undefined;
  await tree?.cleanup();
});

function settings(over: Partial<AgentSettings> = {}): AgentSettings {
  return {
    listenAddress: '127.0.0.1:0',
    storagePath: tree.path('agent'),
    agentId: 'pi-1',
    logLevel: 'info',
    collectorIntervalMs: 15_000,
    exporters: {},
    roots: resolveRoots(),
    mqttUrl: broker!.url,
    ...over,
  };
}

async function startAgent(clock: ManualClock, over: Partial<AgentSettings> = {}): Promise<Agent> {
  const buffer = new MemorySampleBuffer({ clock, bootIdPath: tree.path('none') });
  const agent = new Agent({
    settings: settings(over),
    version: '0.1.0',
    clock,
    buffer,
    exporters: () => [{ name: 'stub', collect: async () => new FamilySet().gauge('stub', 's.', undefined, 1).list() }],
    mqttTuning: { minBackoffMs: 1000, maxBackoffMs: 1000 },
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** A subscriber that records every presence message on the topic, retained ones included. */
async function watch(topic: string): Promise<{ seen: (PresenceMessage & { retained: boolean })[] }> {
  const c = await mqtt.connectAsync(broker!.url, { clientId: `watch-${clients.length}`, clean: true });
  clients.push(c);
  const seen: (PresenceMessage & { retained: boolean })[] = [];
  c.on('message', (_t, payload, packet) => {
    const m = decodeMessage(payload);
    if (m.type === 'presence') seen.push({ ...m, retained: packet.retain });
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return { seen };
}

const TOPIC = 'edgeprom/presence/pi-1';

describe('presence', () => {
  it('publishes a retained online presence with boot, boot seq, version, path and address', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const clock = new ManualClock();
    const agent = await startAgent(clock);
    await until(() => (agent.presence?.published ?? 0) > 0, 'online presence');
    const { seen } = await watch(TOPIC); // subscribes afterwards: gets the retained message
    await until(() => seen.length > 0, 'retained presence');
    expect(seen[0]).toMatchObject({
      retained: true,
      state: 'online',
      agent: 'pi-1',
      boot: agent.buffer.stats().boot,
      bootSeq: 1,
      version: '0.1.0',
      metricsPath: '/metrics',
      addresses: ['127.0.0.1'],
      port: agent.server.address!.port,
    });
  });

  it('the broker publishes the last will (offline, same boot seq) when the connection dies; the agent comes back online', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const clock = new ManualClock();
    const agent = await startAgent(clock);
    await until(() => (agent.presence?.published ?? 0) > 0, 'online presence');
    const { seen } = await watch(TOPIC);
    await until(() => seen.length === 1, 'retained online');
    // Abrupt: the socket dies without DISCONNECT.
    const client = (broker.broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients[agent.mqtt!.clientId];
    client.conn.destroy();
    await until(() => seen.some((m) => m.state === 'offline'), 'last will');
    const will = seen.find((m) => m.state === 'offline')!;
    expect(will).toMatchObject({ bootSeq: 1, boot: agent.buffer.stats().boot, agent: 'pi-1' });
    await until(() => seen.at(-1)?.state === 'online' && seen.length >= 3, 'online again after reconnect', { clock, stepMs: 500 });
    expect(agent.mqtt!.connects).toBe(2);
  });

  it('publishes a retained offline presence on a graceful stop', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const agent = await startAgent(new ManualClock());
    await until(() => (agent.presence?.published ?? 0) > 0, 'online presence');
    await agent.stop();
    agents.length = 0;
    const { seen } = await watch(TOPIC);
    await until(() => seen.length > 0, 'retained presence');
    expect(seen[0]).toMatchObject({ retained: true, state: 'offline', bootSeq: 1 });
  });

  it('a late will of an earlier start carries an older boot seq; the newer start stays online', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const { seen } = await watch(TOPIC);
    // Start 1 stays "half-open": its clock is never advanced, so it never reconnects.
    const first = await startAgent(new ManualClock());
    await until(() => (first.presence?.published ?? 0) > 0, 'first online');
    // Start 2 (same agent id and storage: boot seq 2) takes the client id over: the broker
    // drops start 1's connection and publishes its will after start 2 said online.
    const clock2 = new ManualClock();
    const second = await startAgent(clock2);
    await until(() => seen.some((m) => m.state === 'offline'), 'stale will of start 1');
    // Start 2 repairs the retained message: at once when the will reaches it on its own
    // presence topic, else (the will landed in its session queue during the takeover) with
    // the periodic refresh.
    await until(() => seen.at(-1)?.state === 'online' && seen.at(-1)?.bootSeq === 2, 'start 2 online last', { clock: clock2, stepMs: 60_000 });
    const offline = seen.filter((m) => m.state === 'offline');
    expect(offline.some((m) => m.bootSeq === 1)).toBe(true);
    // aedes sometimes drops the taking-over connection once ("no such packet": a PUBACK for a
    // message of the inherited session); then start 2's own will appears, and it reconnects.
    expect(offline.filter((m) => m.bootSeq === 2).length).toBeLessThanOrEqual(second.mqtt!.connects - 1);
    expect(second.bootSeq).toBe(2);
    expect(first.bootSeq).toBe(1);
    // What a late subscriber (an aggregator starting now) sees: online, start 2.
    const late = await watch(TOPIC);
    await until(() => late.seen.at(-1)?.state === 'online' && late.seen.at(-1)?.bootSeq === 2 && second.mqtt!.connected, 'online, start 2, for a late subscriber', { clock: clock2, stepMs: 60_000 });
    expect(late.seen[0].retained).toBe(true);
  });

  it('repairs a retained offline of its own start (a will the broker published after we reconnected)', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const agent = await startAgent(new ManualClock());
    await until(() => (agent.presence?.published ?? 0) > 0, 'online presence');
    const { seen } = await watch(TOPIC);
    const stale = encodePresence({ agent: 'pi-1', boot: agent.buffer.stats().boot, bootSeq: 1, state: 'offline', version: '0.1.0', ts: 0 });
    const c = clients[0];
    await c.publishAsync(TOPIC, Buffer.from(stale), { qos: 1, retain: true });
    await until(() => seen.length >= 3 && seen.at(-1)?.state === 'online', 'online republished');
    expect(agent.presence!.published).toBe(2);
  });
});
