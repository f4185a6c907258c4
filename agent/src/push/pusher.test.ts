/**
 * The pusher end to end: a real Agent (ManualClock, stub exporter, real buffer), a real
 * aedes broker on 127.0.0.1 and a stand-in aggregator that dedupes by seq and acks. Family
 * metadata (`meta`) is sent once per connection (again after a reconnect or a change), never
 * with every batch; the FamilyMetadata unit tests are in family-metadata.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, parseExposition } from '@edgeprom/shared';
import type { WireFamilyMetadata } from '@edgeprom/shared/wire';
import { Agent, type AgentOptions, type AgentSettings } from '../agent.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { FamilySet } from '@edgeprom/shared';
import { resolveRoots } from '../exporter/roots.js';
import { freePort, startBroker, TestAggregator, until, type TestBroker } from '../mqtt/testing.js';
import { fakeTree, value, type FakeTree } from '../testing/fake-tree.js';
import { DEFAULT_LOCAL_TRIM_INTERVAL_MS } from './pusher.js';

let tree: FakeTree;
let broker: TestBroker | undefined;
let agent: Agent | undefined;
let agg: TestAggregator | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await agg?.stop();
  agg = undefined;
  await broker?.close();
  broker = undefined;
  await tree?.cleanup();
});

const INTERVAL = 15_000;

/**
 * Counts cycles: `stub_cycle` is the cycle number, so holes and repeats are visible. From cycle
 * `lateFrom` on, a new family `stub_late` appears.
 */
function stubExporter(lateFrom = Infinity) {
  let cycle = 0;
  return {
    name: 'stub',
    collect: async () => {
      cycle++;
      const s = new FamilySet()
        .counter('stub_cycle', 'Cycle number.', undefined, cycle)
        .gauge('stub_value', 'Values.', { i: 'a' }, cycle * 1.5)
        .gauge('stub_value', 'Values.', { i: 'b' }, -cycle);
      if (cycle >= lateFrom) s.gauge('stub_late', 'Appears later.', undefined, 1);
      return s.list();
    },
  };
}

function settings(url: string, over: Partial<AgentSettings> = {}): AgentSettings {
  return {
    listenAddress: '127.0.0.1:0',
    storagePath: tree.path('agent'),
    agentId: 'pi-1',
    logLevel: 'info',
    collectorIntervalMs: INTERVAL,
    exporters: {},
    roots: resolveRoots(),
    mqttUrl: url,
    ...over,
  };
}

async function startAgent(clock: ManualClock, url: string, over: Partial<AgentSettings> = {}, memory = true, tuning: AgentOptions['mqttTuning'] = {}, exporter = stubExporter()): Promise<Agent> {
  const a = new Agent({
    settings: settings(url, over),
    version: '0.1.0',
    clock,
    buffer: memory ? new MemorySampleBuffer({ clock, bootIdPath: tree.path('none') }) : undefined,
    bootIdPath: tree.path('none'),
    exporters: () => [exporter],
    mqttTuning: { minBackoffMs: 1000, maxBackoffMs: 5000, ...tuning },
  });
  await a.start();
  return a;
}

/** Timestamps of `stub_cycle` samples the aggregator accepted, ascending. */
function cycleTimestamps(a: TestAggregator, boot: string): number[] {
  return [...(a.accepted.get(boot)?.values() ?? [])].filter((s) => s.labels.includes('stub_cycle')).map((s) => s.t).sort((x, y) => x - y);
}

function metric(a: Agent, name: string, label?: string): number {
  const stats = a.pusher!.stats();
  if (name === 'active') return stats.active ? 1 : 0;
  if (name === 'batches') return stats.batches[label as 'acked'];
  throw new Error(name);
}

/** Everything buffered is acked and nothing is in flight. */
function drained(a: Agent): boolean {
  return a.buffer.stats().samples === 0 && a.buffer.stats().pendingSamples === 0 && !a.pusher!.stats().inFlight;
}

async function scrape(a: Agent): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${a.server.address!.port}/metrics`);
  await res.text();
}

describe('pusher', () => {
  it('one hour offline at 15 s: after the aggregator comes up, every sample arrives exactly once, in order (LevelDB buffer)', async () => {
    tree = await fakeTree({});
    const clock = new ManualClock();
    const port = await freePort(); // nothing listens there: the broker is down
    agent = await startAgent(clock, `mqtt://127.0.0.1:${port}`, {}, false);
    for (let i = 0; i < 240; i++) await clock.advance(INTERVAL);
    await agent.collector.stop();
    await agent.buffer.flush();
    const boot = agent.buffer.stats().boot;
    const lastSeq = agent.buffer.stats().boots.find((b) => b.boot === boot)!.lastSeq;
    expect(agent.mqtt!.connected).toBe(false);
    expect(agent.pusher!.stats().backlog).toBe(lastSeq);

    broker = await startBroker(port);
    agg = await TestAggregator.start({ url: broker.url });
    await until(() => agent!.mqtt!.connected, 'agent reconnects', { clock, stepMs: 1000 });
    await until(() => drained(agent!), 'backlog acked', { clock, stepMs: 50, rounds: 20_000 });

    expect(agg.seqs(boot)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(agg.outOfOrder).toBe(0);
    expect(agg.conflicts).toBe(0);
    // 241 cycles (one at start, one every 15 s), no hole, original timestamps.
    const ts = cycleTimestamps(agg, boot);
    expect(ts.length).toBe(241);
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === INTERVAL)).toBe(true);
    expect(agent.pusher!.stats().batches.acked).toBeGreaterThan(0);
    expect(agent.pusher!.stats().samples).toBeGreaterThanOrEqual(lastSeq);
    // Batches respected the size bound (default 256 KiB) and one was in flight at a time.
    expect(agg.batches).toBe(agent.pusher!.stats().batches.acked + agent.pusher!.stats().batches.timeout + agent.pusher!.stats().batches.disconnected);
  });

  it('a lost ack: the batch is resent after the ack timeout; the aggregator drops the overlap by seq', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    let dropped = 0;
    agg = await TestAggregator.start({ url: broker.url, dropAck: () => dropped++ === 0 });
    const clock = new ManualClock();
    agent = await startAgent(clock, broker.url, { push: { mode: 'push', maxBatchBytes: 2048 } });
    for (let i = 0; i < 20; i++) await clock.advance(INTERVAL);
    await agent.collector.stop();
    await agent.buffer.flush();
    const boot = agent.buffer.stats().boot;
    const lastSeq = agent.buffer.stats().boots[0].lastSeq;
    await until(() => drained(agent!), 'all acked', { clock, stepMs: 1000, rounds: 20_000 });
    expect(agent.pusher!.stats().batches.timeout).toBeGreaterThanOrEqual(1);
    expect(agg.duplicates).toBeGreaterThan(0);
    expect(agg.conflicts).toBe(0);
    expect(agg.seqs(boot)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  });

  it('a broker restart mid-push: QoS 1 sessions survive, nothing is lost, duplicates only carry the same seq and sample', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const port = broker.port;
    const persistence = (broker.broker as unknown as { persistence: unknown }).persistence;
    agg = await TestAggregator.start({ url: broker.url });
    const clock = new ManualClock();
    agent = await startAgent(clock, broker.url, { push: { mode: 'push', maxBatchBytes: 4096 } });
    for (let i = 0; i < 40; i++) await clock.advance(INTERVAL);
    await agent.buffer.flush();
    const boot = agent.buffer.stats().boot;
    await until(() => agg!.batches >= 3, 'some batches through', { clock, stepMs: 20 });
    await broker.close(); // crash: every connection dropped
    broker = await startBroker(port, persistence);
    for (let i = 0; i < 20; i++) await clock.advance(INTERVAL); // collecting goes on meanwhile
    await agent.collector.stop();
    await agent.buffer.flush();
    const lastSeq = agent.buffer.stats().boots[0].lastSeq;
    await until(() => agent!.mqtt!.connected, 'agent reconnects', { clock, stepMs: 1000 });
    await until(() => drained(agent!), 'all acked', { clock, stepMs: 200, rounds: 20_000 });
    expect(agg.seqs(boot)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(agg.conflicts).toBe(0);
    expect(agg.outOfOrder).toBe(0);
    expect(agent.mqtt!.connects).toBeGreaterThanOrEqual(2);
  });

  it('push mode pushes everything even while scraped', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    agg = await TestAggregator.start({ url: broker.url });
    const clock = new ManualClock();
    agent = await startAgent(clock, broker.url, { push: { mode: 'push' } });
    for (let i = 0; i < 10; i++) {
      await clock.advance(INTERVAL);
      await scrape(agent);
    }
    await agent.collector.stop();
    await agent.buffer.flush();
    const boot = agent.buffer.stats().boot;
    const lastSeq = agent.buffer.stats().boots[0].lastSeq;
    await until(() => drained(agent!), 'all acked', { clock, stepMs: 100, rounds: 20_000 });
    expect(agg.seqs(boot)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(metric(agent, 'active')).toBe(1);
    const res = await fetch(`http://127.0.0.1:${agent.server.address!.port}/metrics`);
    const fams = parseExposition(await res.text(), { format: 'text' });
    expect(value(fams, 'edgeprom_push_mode', { mode: 'push' })).toBe(1);
    expect(value(fams, 'edgeprom_push_mode', { mode: 'auto' })).toBe(0);
    expect(value(fams, 'edgeprom_push_active')).toBe(1);
    expect(value(fams, 'edgeprom_mqtt_connected')).toBe(1);
    expect(value(fams, 'edgeprom_push_backlog_samples')).toBe(0);
    expect(value(fams, 'edgeprom_push_batches_total', { result: 'acked' })).toBe(agent.pusher!.stats().batches.acked);
    expect(value(fams, 'edgeprom_push_acked_seq')).toBe(lastSeq);
  });

  it('auto mode: pushes nothing while scraped, pushes the gap when scrapes stop, backfills it after they resume, then stops', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    agg = await TestAggregator.start({ url: broker.url });
    const clock = new ManualClock();
    // Test time jumps 15 s per step while a batch is on the wire: a long ack timeout keeps
    // resends (harmless, but they land late) out of this scenario.
    agent = await startAgent(clock, broker.url, {}, true, { ackTimeoutMs: 3600_000 });
    await until(() => agent!.mqtt!.connected, 'connected');
    const boot = agent.buffer.stats().boot;
    const step = async (scraped: boolean) => {
      await clock.advance(INTERVAL);
      if (scraped) await scrape(agent!);
    };

    // Scraped every interval for 5 minutes: nothing is pushed.
    for (let i = 0; i < 20; i++) await step(true);
    expect(agg.batches).toBe(0);
    expect(metric(agent, 'active')).toBe(0);
    const lastScraped = agent.collector.lastCollectionMs!; // the cycle the last scrape served

    // Nobody scrapes for 5 minutes: after push_after (45 s) the pusher sends the gap. The
    // waits below move no test time: how long real I/O takes must not change the scenario.
    for (let i = 0; i < 20; i++) await step(false);
    await until(() => agg!.batches > 0, 'gap pushed');
    expect(metric(agent, 'active')).toBe(1);

    // Scrapes resume: the first one serves cycle `resumed`; everything before it is backfilled.
    await clock.advance(INTERVAL);
    await scrape(agent);
    const resumed = agent.collector.lastCollectionMs!;
    await step(true); // the last unscraped cycles become durable (flush interval 5 s)
    await until(() => metric(agent!, 'active') === 0, 'caught up, back to pull');

    const pushed = cycleTimestamps(agg, boot);
    const expected: number[] = [];
    for (let t = lastScraped + INTERVAL; t < resumed; t += INTERVAL) expected.push(t);
    // Exactly the cycles nobody scraped. The cycle the resuming scrape served may come too:
    // it was collected while the gap was open, and the pusher may send it (once durable)
    // before that scrape arrives, depending on how I/O interleaves on this machine.
    expect(pushed.filter((t) => t !== resumed)).toEqual(expected);
    expect(agg.conflicts).toBe(0); // resends after a timeout may repeat seqs, never change them

    // Pulled again: what scrapes deliver is trimmed locally (every localTrimIntervalMs),
    // nothing more is pushed.
    for (let i = 0; i < 5; i++) await step(true);
    const batches = agg.batches;
    for (let i = 0; i < 30; i++) await step(true);
    expect(agg.batches).toBe(batches);
    expect(agent.pusher!.stats().batches.timeout).toBe(0);
    expect(agent.pusher!.stats().localTrims).toBeGreaterThan(1);
    // A trim acks up to the cycle the last scrape served: nothing older than one trim
    // interval (plus the cycle in between) stays buffered.
    const oldest = agent.buffer.stats().oldestTimestampMs!;
    expect(agent.collector.lastCollectionMs! - oldest).toBeLessThanOrEqual(DEFAULT_LOCAL_TRIM_INTERVAL_MS + INTERVAL);
  });

  it('auto mode, untrusted clock: held cycles nobody scraped are pushed after the release, even though scrapes resumed before the clock was trusted (LevelDB buffer)', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    agg = await TestAggregator.start({ url: broker.url });
    const t0 = Date.UTC(2026, 0, 1);
    const clock = new ManualClock(t0);
    // The wall clock is implausible (before not_before) for the first 10 minutes; then it is
    // trusted and the held samples are re-based (same times here: wall and monotonic agree).
    const trustedFrom = t0 + 10 * 60_000;
    agent = await startAgent(clock, broker.url, { clock: { notBeforeMs: trustedFrom, osSyncFile: '' } }, false, { ackTimeoutMs: 3600_000, localTrimIntervalMs: 60_000 });
    await until(() => agent!.mqtt!.connected, 'connected');
    const boot = agent.buffer.stats().boot;
    const unscraped: number[] = [];
    const step = async (scraped: boolean) => {
      await clock.advance(INTERVAL);
      if (scraped) await scrape(agent!);
      else unscraped.push(agent!.collector.lastCollectionMs!);
    };
    for (let i = 0; i < 8; i++) await step(true); // untrusted, scraped
    for (let i = 0; i < 16; i++) await step(false); // untrusted, nobody scrapes: a gap
    for (let i = 0; i < 8; i++) await step(true); // untrusted, scraped again
    expect(agent.clockGate!.trusted).toBe(false);
    expect(agent.buffer.stats().held.samples).toBeGreaterThan(0);
    // Trusted from 10 min on: the held samples are released, and scrapes go on, long enough
    // for several local trims (every minute here).
    while (clock.now() < trustedFrom + 10 * 60_000) await step(true);
    expect(agent.clockGate!.trusted).toBe(true);
    expect(agent.buffer.stats().held.released).toBeGreaterThan(0);
    await until(() => agent!.pusher!.stats().backlog === 0 && !agent!.pusher!.stats().inFlight, 'released backlog acked');

    expect(unscraped.length).toBe(16);
    const pushed = new Set(cycleTimestamps(agg, boot));
    expect(unscraped.filter((t) => !pushed.has(t))).toEqual([]); // every cycle nobody scraped arrived
    expect(agg.conflicts).toBe(0);
    expect(agent.pusher!.stats().localTrims).toBeGreaterThan(0);
  });
});

describe('pusher: family metadata', () => {
  const names = (m: readonly WireFamilyMetadata[] | undefined): string[] => (m ?? []).map((e) => e.metric).filter((n) => n.startsWith('stub_'));

  it('sends each family with the first batch after it appears, not in every batch', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const metas: (WireFamilyMetadata[] | undefined)[] = [];
    agg = await TestAggregator.start({ url: broker.url, dropAck: (b) => {
      metas.push(b.meta);
      return false;
    } });
    const clock = new ManualClock();
    // From the third cycle on, a new family appears.
    agent = await startAgent(clock, broker.url, { push: { mode: 'push', pushAfterMs: 0, maxBatchBytes: 4096 } }, true, {}, stubExporter(3));
    await until(() => agg!.batches >= 1, 'first batch', { clock, stepMs: 200 });
    for (let i = 0; i < 5; i++) {
      await clock.advance(INTERVAL);
      await until(() => !agent!.pusher!.stats().inFlight && agent!.buffer.stats().samples === 0, 'acked', { clock, stepMs: 200 });
    }
    // From the first collect cycle the connection sees (the one before it is not replayed).
    const all = metas.flatMap((m) => m ?? []);
    expect(all.find((m) => m.metric === 'stub_cycle')).toEqual({ metric: 'stub_cycle', type: 'counter', help: 'Cycle number.', unit: '' });
    expect(all.find((m) => m.metric === 'stub_value')).toEqual({ metric: 'stub_value', type: 'gauge', help: 'Values.', unit: '' });
    // Each family exactly once over this connection, the late one when it appeared.
    expect(names(all).sort()).toEqual(['stub_cycle', 'stub_late', 'stub_value']);
    const metrics = all.map((m) => m.metric);
    expect(new Set(metrics).size).toBe(metrics.length);
    expect(metas.length).toBeGreaterThan(3);
    expect(metas.filter((m) => m !== undefined).length).toBeLessThan(metas.length);
  });
});
