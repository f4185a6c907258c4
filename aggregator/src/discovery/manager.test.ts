import { ManualClock } from '@edgeprom/shared';
import { describe, expect, it } from 'vitest';
import { DISCOVERY_ERROR_CODES } from './discovery-error.js';
import type { Discoverer, TargetGroup } from './interface.js';
import { DiscoveryManager, type DiscoveryJobConfig, type ProviderKind, type TargetSets } from './manager.js';
import { MemoryLogger } from './testing.js';

/** A discoverer the test drives by hand. */
class FakeDiscoverer implements Discoverer {
  emit: (groups: TargetGroup[]) => void = () => {};
  signal: AbortSignal | undefined;
  constructor(
    readonly kind: ProviderKind,
    readonly config: unknown,
  ) {}
  run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void> {
    this.signal = signal;
    this.emit = emit;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

function job(name: string, parts: Partial<DiscoveryJobConfig> = {}): DiscoveryJobConfig {
  return { job_name: name, static_configs: [], file_sd_configs: [], mdns_sd_configs: [], mqtt_sd_configs: [], ...parts };
}
const fileSd = (f: string) => ({ files: [f], refresh_interval: 300_000 });
const group = (source: string, ...addrs: string[]): TargetGroup => ({ source, targets: addrs.map((a) => ({ __address__: a })), labels: {} });
const addrs = (sets: TargetSets, j: string) => (sets.get(j) ?? []).flatMap((g) => g.targets.map((t) => t.__address__));

function setup(updateInterval = 5_000) {
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  const made: FakeDiscoverer[] = [];
  const sends: TargetSets[] = [];
  const m = new DiscoveryManager({
    clock,
    logger,
    updateInterval,
    factory: (kind, config) => {
      const d = new FakeDiscoverer(kind, config);
      made.push(d);
      return d;
    },
  });
  m.subscribe((s) => sends.push(s));
  const find = (kind: ProviderKind, file?: string) => {
    const d = made.filter((x) => x.kind === kind && !x.signal?.aborted && (file === undefined || JSON.stringify(x.config).includes(file)));
    expect(d).toHaveLength(1);
    return d[0];
  };
  return { clock, logger, made, sends, m, find };
}

describe('DiscoveryManager', () => {
  it('merges the groups of every provider of a job, and lists every job', async () => {
    const { clock, sends, m, find } = setup();
    m.applyConfig([job('nodes', { file_sd_configs: [fileSd('a.json'), fileSd('b.json')] }), job('empty')]);
    m.start();
    await clock.advance(0);
    find('file', 'a.json').emit([group('a.json:0', 'a:1'), group('a.json:1', 'a2:1')]);
    find('file', 'b.json').emit([group('b.json:0', 'b:1')]);
    await clock.advance(5_000);
    const last = sends.at(-1)!;
    expect([...last.keys()]).toEqual(['nodes', 'empty']);
    expect(addrs(last, 'nodes')).toEqual(['a:1', 'a2:1', 'b:1']);
    expect(last.get('empty')).toEqual([]);
  });

  it('replaces groups by source and drops a source emitted with no targets', async () => {
    const { clock, m, find } = setup();
    m.applyConfig([job('j', { mdns_sd_configs: [{ service_types: ['_edgeprom._tcp'], refresh_interval: 60_000 }] })]);
    m.start();
    const d = find('mdns');
    d.emit([group('x', 'x:1'), group('y', 'y:1')]);
    d.emit([group('x', 'x:2')]); // y untouched
    expect(addrs(m.targets(), 'j')).toEqual(['x:2', 'y:1']);
    d.emit([group('y')]);
    expect(addrs(m.targets(), 'j')).toEqual(['x:2']);
    expect(m.targets().get('j')!.map((g) => g.source)).toEqual(['x']);
    await clock.advance(0);
  });

  it('sends at once at start, then at most once per updateInterval, only when something changed', async () => {
    const { clock, sends, m, find } = setup(5_000);
    m.applyConfig([job('j', { static_configs: [{ targets: ['s:1'], labels: {} }] })]);
    expect(sends).toHaveLength(0); // not started
    m.start();
    const d = find('static');
    d.emit([group('0', 's:1')]);
    await clock.advance(0);
    expect(sends).toHaveLength(1);
    expect(addrs(sends[0], 'j')).toEqual(['s:1']);

    // A burst of changes within the interval: one send, at the end of the interval, with the last state.
    await clock.advance(1_000);
    d.emit([group('0', 's:2')]);
    await clock.advance(1_000);
    d.emit([group('0', 's:3')]);
    await clock.advance(2_999);
    expect(sends).toHaveLength(1);
    await clock.advance(1);
    expect(sends).toHaveLength(2);
    expect(addrs(sends[1], 'j')).toEqual(['s:3']);

    // Quiet: nothing is sent.
    await clock.advance(60_000);
    expect(sends).toHaveLength(2);

    // A change long after the last send goes out at once.
    d.emit([group('0', 's:4')]);
    await clock.advance(0);
    expect(sends).toHaveLength(3);
  });

  it('applyConfig restarts only the providers whose config changed, and shares identical ones between jobs', async () => {
    const { clock, sends, made, m, find } = setup(0);
    const mdns = { service_types: ['_edgeprom._tcp'], refresh_interval: 60_000 };
    m.applyConfig([
      job('a', { file_sd_configs: [fileSd('a.json')], mdns_sd_configs: [mdns] }),
      job('b', { mdns_sd_configs: [mdns] }),
    ]);
    m.start();
    expect(made).toHaveLength(2); // one mDNS discoverer serves both jobs
    const fileA = find('file', 'a.json');
    const md = find('mdns');
    fileA.emit([group('a.json:0', 'a:1')]);
    md.emit([group('svc', 'm:1')]);
    await clock.advance(0);
    expect(addrs(sends.at(-1)!, 'a')).toEqual(['a:1', 'm:1']);
    expect(addrs(sends.at(-1)!, 'b')).toEqual(['m:1']);

    // Reload: job a's file changes, mDNS stays, job b goes, job c arrives with the same mDNS config.
    m.applyConfig([
      job('a', { file_sd_configs: [fileSd('a2.json')], mdns_sd_configs: [mdns] }),
      job('c', { mdns_sd_configs: [mdns] }),
    ]);
    expect(fileA.signal!.aborted).toBe(true);
    expect(md.signal!.aborted).toBe(false);
    expect(made).toHaveLength(3);
    await clock.advance(0);
    // The kept provider's groups carry over to the jobs now using it; the old file's are gone.
    expect([...sends.at(-1)!.keys()]).toEqual(['a', 'c']);
    expect(addrs(sends.at(-1)!, 'a')).toEqual(['m:1']);
    expect(addrs(sends.at(-1)!, 'c')).toEqual(['m:1']);
    // A late emit from a stopped provider is ignored.
    fileA.emit([group('a.json:0', 'late:1')]);
    find('file', 'a2.json').emit([group('a2.json:0', 'a2:1')]);
    await clock.advance(0);
    expect(addrs(sends.at(-1)!, 'a')).toEqual(['a2:1', 'm:1']);

    // The same config again restarts nothing.
    m.applyConfig([
      job('a', { file_sd_configs: [fileSd('a2.json')], mdns_sd_configs: [mdns] }),
      job('c', { mdns_sd_configs: [mdns] }),
    ]);
    expect(made).toHaveLength(3);
    expect(made.filter((d) => d.signal?.aborted)).toHaveLength(1);
  });

  it('runs the real static discoverer and reports mqtt_sd_configs without a client', async () => {
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const m = new DiscoveryManager({ clock, logger, updateInterval: 1_000 });
    const sends: TargetSets[] = [];
    m.subscribe((s) => sends.push(s));
    m.applyConfig([
      job('j', { static_configs: [{ targets: ['a:1', 'b:1'], labels: { env: 'x' } }], mqtt_sd_configs: [{ topic_prefix: 'edgeprom/', include_offline: false }] }),
    ]);
    m.start();
    await clock.advance(0);
    expect(sends.at(-1)!.get('j')).toEqual([
      { source: '0', targets: [{ __address__: 'a:1' }, { __address__: 'b:1' }], labels: { env: 'x' } },
    ]);
    expect(logger.at('error').map((e) => (e.obj as { code?: string }).code)).toEqual([DISCOVERY_ERROR_CODES.NO_MQTT_CLIENT]);
    await m.stop();
  });

  it('hands a late subscriber the last sets, survives a throwing subscriber, and stops every discoverer', async () => {
    const { clock, made, m, logger, find } = setup(0);
    m.subscribe(() => {
      throw new Error('boom');
    });
    m.applyConfig([job('j', { static_configs: [{ targets: ['a:1'], labels: {} }] })]);
    m.start();
    find('static').emit([group('0', 'a:1')]);
    await clock.advance(0);
    expect(logger.at('error').map((e) => e.msg)).toEqual([expect.stringContaining('a subscriber threw')]);
    const late: TargetSets[] = [];
    m.subscribe((s) => late.push(s));
    expect(late).toHaveLength(1);
    expect(addrs(late[0], 'j')).toEqual(['a:1']);
    await m.stop();
    expect(made.every((d) => d.signal!.aborted)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    m.applyConfig([job('k')]); // ignored once stopped
    expect(made).toHaveLength(1);
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    const made: FakeDiscoverer[] = [];
    const m = new DiscoveryManager({ clock: new ManualClock(), signal: ac.signal, factory: (k, c) => (made.push(new FakeDiscoverer(k, c)), made.at(-1)!) });
    m.applyConfig([job('j', { static_configs: [{ targets: ['a:1'], labels: {} }] })]);
    m.start();
    ac.abort();
    expect(made[0].signal!.aborted).toBe(true);
  });
});
