import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Labels, ManualClock, parseExposition } from '@edgeprom/shared';
import { Agent, type AgentSettings } from './agent.js';
import { MemorySampleBuffer } from './buffer/memory-buffer.js';
import { FamilySet } from '@edgeprom/shared';
import type { Exporter } from './exporter/interface.js';
import { resolveRoots } from './exporter/roots.js';
import { fakeTree, samples, value, type FakeTree } from './testing/fake-tree.js';

let tree: FakeTree;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await tree?.cleanup();
});

function stub(name: string): Exporter {
  return { name, collect: async () => new FamilySet().gauge(`${name}_ok`, `${name}.`, undefined, 1).list() };
}

function settings(over: Partial<AgentSettings> = {}): AgentSettings {
  return {
    listenAddress: '127.0.0.1:0',
    storagePath: tree.path('data', 'agent'),
    agentId: 'pi-1',
    logLevel: 'info',
    collectorIntervalMs: 15_000,
    exporters: {},
    roots: resolveRoots(),
    ...over,
  };
}

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function scrape(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseExposition(await res.text(), { format: 'text' });
}

describe('Agent', () => {
  it('creates its storage directory, collects and serves, and counts scrapes', async () => {
    tree = await fakeTree({});
    const clock = new ManualClock();
    agent = new Agent({ settings: settings(), version: '0.1.0', clock, exporters: () => [stub('a'), stub('b')] });
    const addr = await agent.start();
    expect((await stat(tree.path('data', 'agent'))).isDirectory()).toBe(true);
    const fams = await scrape(addr.port);
    expect(value(fams, 'a_ok')).toBe(1);
    expect(value(fams, 'edgeprom_exporter_up', { exporter: 'scrape' })).toBe(1);
    expect(value(fams, 'edgeprom_agent_scrapes_total')).toBe(1);
    expect(value(await scrape(addr.port), 'edgeprom_agent_scrapes_total')).toBe(2);
  });

  it('ten concurrent scrapes cost one collection', async () => {
    tree = await fakeTree({});
    let calls = 0;
    const counting: Exporter = { name: 'counting', collect: async () => (calls++, new FamilySet().gauge('counting_calls', 'c.', undefined, calls).list()) };
    agent = new Agent({ settings: settings(), version: '0', clock: new ManualClock(), exporters: () => [counting] });
    const addr = await agent.start();
    const all = await Promise.all(Array.from({ length: 10 }, () => scrape(addr.port)));
    expect(calls).toBe(1);
    expect(all.map((f) => value(f, 'counting_calls'))).toEqual(Array(10).fill(1));
    expect(agent.scrapeStats.scrapes).toBe(10);
  });

  it('applies a reload: exporters switched off, new interval; restart-only changes are reported', async () => {
    tree = await fakeTree({});
    const clock = new ManualClock();
    const { logger, lines } = capture();
    agent = new Agent({ settings: settings(), version: '0.1.0', clock, logger, exporters: () => [stub('a'), stub('b')] });
    const addr = await agent.start();
    await clock.advance(0);
    agent.applySettings(settings({ exporters: { b: false, nonexistent: true }, collectorIntervalMs: 1000, listenAddress: ':9999' }));
    await clock.advance(1000);
    const fams = await scrape(addr.port);
    expect(samples(fams, 'b_ok')).toEqual([]);
    expect(value(fams, 'a_ok')).toBe(1);
    expect(agent.collector.intervalMs).toBe(1000);
    expect(agent.settings.listenAddress).toBe('127.0.0.1:0');
    expect(lines.some((l) => l.setting === 'listenAddress' && String(l.msg).includes('restart'))).toBe(true);
    expect(lines.some((l) => l.exporter === 'nonexistent')).toBe(true);
  });

  it('records every collected sample in the buffer, exports its metrics and flushes it on stop', async () => {
    tree = await fakeTree({});
    const clock = new ManualClock();
    const buffer = new MemorySampleBuffer({ clock, bootIdPath: tree.path('none') });
    agent = new Agent({ settings: settings(), version: '0.1.0', clock, exporters: () => [stub('a')], buffer });
    const addr = await agent.start();
    const fams = await scrape(addr.port); // waits for the first collection
    expect(buffer.stats().pendingSamples).toBeGreaterThan(0);
    expect(value(fams, 'edgeprom_buffer_samples_total')).toBe(buffer.stats().appended);
    expect(samples(fams, 'edgeprom_buffer_dropped_samples_total').map((s) => s.labels.get('reason'))).toEqual(['size', 'age', 'corrupt', 'write_error']);
    await agent.stop();
    agent = undefined;
    const reopened = new MemorySampleBuffer({ clock, bootIdPath: tree.path('none'), store: buffer.store });
    await reopened.open();
    const [run] = await reopened.readFrom(undefined, 1000);
    expect(run.labels.map((l) => l.name)).toContain('a_ok');
    expect(run.seqs[0]).toBe(1);
    await reopened.close();
  });

  it('with a 1970 clock: holds the samples, serves /metrics without timestamps and exports its clock state', async () => {
    tree = await fakeTree({ 'proc/uptime': '12.00 1.00\n' });
    const clock = new ManualClock(0);
    const buffer = new MemorySampleBuffer({ clock, bootIdPath: tree.path('none') });
    const stamped: Exporter = { name: 'stamped', collect: async () => [{ name: 's', type: 'gauge', samples: [{ labels: Labels.from({ __name__: 's' }), value: 1, timestampMs: clock.now() }] }] };
    agent = new Agent({ settings: settings({ roots: resolveRoots({ procfs: tree.path('proc'), rootfs: tree.root }) }), version: '0', clock, exporters: () => [stamped], buffer });
    const addr = await agent.start();
    const body = await (await fetch(`http://127.0.0.1:${addr.port}/metrics`)).text();
    expect(body).toMatch(/^s 1$/m); // no timestamp: the scraper stamps it
    const fams = parseExposition(body, { format: 'text' });
    expect(value(fams, 'edgeprom_clock_trusted')).toBe(0);
    expect(value(fams, 'edgeprom_clock_untrusted_samples')).toBeGreaterThan(0);
    expect(buffer.stats().held.samples).toBeGreaterThan(0);
    expect(buffer.stats().pendingSamples).toBe(0);
  });

  it('opens a LevelDB buffer under <storage.path>/buffer', async () => {
    tree = await fakeTree({});
    agent = new Agent({ settings: settings(), version: '0', clock: new ManualClock(), exporters: () => [stub('a')] });
    await agent.start();
    expect((await stat(tree.path('data', 'agent', 'buffer', 'CURRENT'))).isFile()).toBe(true);
    expect(agent.buffer.stats().bootOrdinal).toBe(1);
  });

  it('refuses a storage path it cannot write, without listening', async () => {
    tree = await fakeTree({ 'file-not-dir': 'x' });
    agent = new Agent({ settings: settings({ storagePath: tree.path('file-not-dir', 'agent') }), version: '0', clock: new ManualClock(), exporters: () => [] });
    await expect(agent.start()).rejects.toMatchObject({ code: 'ERR_STORAGE_PATH' });
    expect(agent.server.address).toBeUndefined();
  });
});
