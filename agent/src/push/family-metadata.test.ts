/**
 * Family metadata on the wire: a real Agent (ManualClock, stub exporter) pushing through a
 * real aedes broker on 127.0.0.1 to a stand-in aggregator that records each batch's `meta`.
 * Sent once per connection (again after a reconnect or a change), never with every batch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FamilySet, ManualClock } from '@edgeprom/shared';
import type { WireFamilyMetadata } from '@edgeprom/shared/wire';
import { Agent, type AgentSettings } from '../agent.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { resolveRoots } from '../exporter/roots.js';
import { startBroker, TestAggregator, until, type TestBroker } from '../mqtt/testing.js';
import { fakeTree, type FakeTree } from '../testing/fake-tree.js';
import { FamilyMetadata } from './family-metadata.js';

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

function stubExporter() {
  let cycle = 0;
  return {
    name: 'stub',
    collect: async () => {
      cycle++;
      const s = new FamilySet().counter('stub_cycle', 'Cycle number.', undefined, cycle).gauge('stub_value', 'Values.', { i: 'a' }, cycle);
      // From the third cycle on, a new family appears.
      if (cycle >= 3) s.gauge('stub_late', 'Appears later.', undefined, 1);
      return s.list();
    },
  };
}

async function startAgent(clock: ManualClock, url: string): Promise<Agent> {
  const settings: AgentSettings = {
    listenAddress: '127.0.0.1:0',
    storagePath: tree.path('agent'),
    agentId: 'pi-1',
    logLevel: 'info',
    collectorIntervalMs: INTERVAL,
    exporters: {},
    roots: resolveRoots(),
    mqttUrl: url,
    push: { mode: 'push', pushAfterMs: 0, maxBatchBytes: 4096 },
  };
  const a = new Agent({
    settings,
    version: '0.1.0',
    clock,
    buffer: new MemorySampleBuffer({ clock, bootIdPath: tree.path('none') }),
    bootIdPath: tree.path('none'),
    exporters: () => [stubExporter()],
    mqttTuning: { minBackoffMs: 1000, maxBackoffMs: 5000 },
  });
  await a.start();
  return a;
}

const names = (m: readonly WireFamilyMetadata[] | undefined): string[] => (m ?? []).map((e) => e.metric).filter((n) => n.startsWith('stub_'));

describe('agent pusher: family metadata', () => {
  it('sends each family with the first batch after it appears, not in every batch', async () => {
    tree = await fakeTree({});
    broker = await startBroker();
    const metas: (WireFamilyMetadata[] | undefined)[] = [];
    agg = await TestAggregator.start({ url: broker.url, dropAck: (b) => {
      metas.push(b.meta);
      return false;
    } });
    const clock = new ManualClock();
    agent = await startAgent(clock, broker.url);
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

describe('FamilyMetadata', () => {
  const fams = (help: string) => new FamilySet().gauge('g', help, undefined, 1).counter('c', 'C.', undefined, 1).list();

  it('offers new or changed families until delivered, everything again after a reset', () => {
    const m = new FamilyMetadata();
    m.observe(fams('G.'));
    const p = m.pending(10_000);
    expect(p.map((e) => e.metric)).toEqual(['g', 'c']);
    m.delivered(p);
    expect(m.pending(10_000)).toEqual([]);
    m.observe(fams('G.')); // same again: nothing to send
    expect(m.pending(10_000)).toEqual([]);
    m.observe(fams('Changed.'));
    expect(m.pending(10_000)).toEqual([{ metric: 'g', type: 'gauge', help: 'Changed.', unit: '' }]);
    m.reset();
    expect(m.pending(10_000).map((e) => e.metric)).toEqual(['g', 'c']);
  });

  it('keeps within the wire limits: help cut, families and bytes per batch capped', () => {
    const m = new FamilyMetadata({ maxHelpLength: 3, maxFamilies: 1 });
    m.observe(fams('Long help.'));
    expect(m.pending(10_000)).toEqual([{ metric: 'g', type: 'gauge', help: 'Lon', unit: '' }]);
    const n = new FamilyMetadata();
    n.observe(fams('G.'));
    expect(n.pending(20).map((e) => e.metric)).toEqual(['g']);
  });
});
