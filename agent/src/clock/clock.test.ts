/**
 * Clock trust end to end: a real Collector, the ClockGate and a real LevelDB buffer under a
 * ManualClock (hours of untrusted time in milliseconds), with procfs (uptime) and the
 * systemd-timesyncd flag faked at the OS boundary in a temp tree.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock, type MetricFamily } from '@edgeprom/shared';
import { LevelSampleBuffer } from '../buffer/level-buffer.js';
import type { BufferedRun } from '../buffer/interface.js';
import { Collector } from '../collector.js';
import type { Exporter } from '../exporter/interface.js';
import { fakeTree, value, type FakeTree } from '../testing/fake-tree.js';
import { bootMonotonic } from './boot-monotonic.js';
import { ClockGate } from './gate.js';
import { readOsSync } from './os-sync.js';
import { ClockTrust } from './trust.js';

const T_SYNC = Date.UTC(2026, 5, 1, 12); // what NTP sets the clock to
const MIN = 60_000;

let tree: FakeTree | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await tree?.cleanup();
  tree = undefined;
});

/** One gauge `g` = cycle number, and `stamped` with its own timestamp 1 s before the cycle's. */
function counting(clock: ManualClock, base = 0): Exporter & { cycles: number } {
  const e = {
    name: 'counting',
    cycles: 0,
    async collect(): Promise<MetricFamily[]> {
      const n = base + e.cycles++;
      return [
        { name: 'g', type: 'gauge', samples: [{ labels: Labels.from({ __name__: 'g' }), value: n }] },
        { name: 'stamped', type: 'gauge', samples: [{ labels: Labels.from({ __name__: 'stamped' }), value: n, timestampMs: clock.now() - 1000 }] },
      ];
    },
  };
  return e;
}

interface Rig {
  clock: ManualClock;
  buffer: LevelSampleBuffer;
  gate: ClockGate;
  trust: ClockTrust;
  collector: Collector;
  exporter: ReturnType<typeof counting>;
  domain: string;
  /** Collections the gate has recorded. */
  recorded(): number;
  /** Advances the clock by `ms`, waiting for each collection falling due to be recorded (real LevelDB and fs I/O). */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once `done()` holds, letting real I/O run in between (no timing assumed). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 100_000) throw new Error('condition never reached');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A collector → gate → LevelDB buffer, reading uptime and the timesync flag from the fake tree. */
async function rig(clock: ManualClock, opts: { stableForMs?: number; base?: number } = {}): Promise<Rig> {
  const buffer = new LevelSampleBuffer({ path: tree!.path('buffer'), clock, bootIdPath: tree!.path('proc', 'sys', 'kernel', 'random', 'boot_id') });
  await buffer.open();
  const trust = new ClockTrust({ stableForMs: opts.stableForMs });
  const boot = await bootMonotonic(clock, tree!.path('proc'), buffer.stats().boot);
  const gate = new ClockGate({ buffer, trust, boot, osSync: () => readOsSync(tree!.root) });
  await gate.start();
  const exporter = counting(clock, opts.base);
  const startAt = clock.monotonic();
  const collector = new Collector({ exporters: [exporter, gate.exporter()], intervalMs: 15_000, clock, timestampsTrusted: () => gate.trusted });
  let recorded = 0;
  collector.onCollect(async (f, t, m) => {
    await gate.record(f, t, m);
    recorded++;
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await collector.stop();
    await buffer.close();
  };
  cleanups.push(stop);
  collector.start();
  await until(() => recorded === 1);
  const advance = async (ms: number) => {
    const end = clock.monotonic() + ms;
    for (;;) {
      const due = startAt + (Math.floor((clock.monotonic() - startAt) / 15_000) + 1) * 15_000;
      if (due > end) break;
      const want = recorded + 1;
      await clock.advance(due - clock.monotonic());
      await until(() => recorded === want);
    }
    await clock.advance(end - clock.monotonic());
  };
  return { clock, buffer, gate, trust, collector, exporter, domain: boot.domain, recorded: () => recorded, advance, stop };
}

/** Every buffered sample of `name`, in buffer order. */
async function read(buffer: LevelSampleBuffer, name: string): Promise<{ seq: number; t: number; v: number }[]> {
  const runs: BufferedRun[] = await buffer.readFrom(undefined, 1e9);
  const out: { seq: number; t: number; v: number }[] = [];
  for (const r of runs) r.labels.forEach((l, i) => l.name === name && out.push({ seq: r.seqs[i], t: r.timestamps[i], v: r.values[i] }));
  return out;
}

describe('ClockTrust', () => {
  it('trusts a plausible, steady clock; a jump makes it untrusted for stable_for; the OS can veto', () => {
    const t = new ClockTrust({ notBeforeMs: Date.UTC(2026, 0, 1), jumpToleranceMs: 1000, stableForMs: 30_000 });
    expect(t.trusted).toBe(false); // nothing observed yet
    expect(t.observe(0, 0)).toEqual({ trusted: false, reason: 'implausible', jumped: false, jumpMs: undefined });
    const w = Date.UTC(2026, 2, 1);
    expect(t.observe(w, 15_000)).toMatchObject({ trusted: false, reason: 'jump', jumped: true });
    expect(t.observe(w + 15_000, 30_000).reason).toBe('jump'); // 15 s after the jump
    expect(t.observe(w + 30_000 + 900, 45_000).trusted).toBe(true); // 30 s steady; 900 ms drift is within tolerance
    expect(t.observe(w + 45_000 - 2000, 60_000)).toMatchObject({ trusted: false, reason: 'jump', jumpMs: -2900 }); // backward step
    expect(t.jumps).toBe(2);
    expect(t.observe(w + 75_000 - 2000, 90_000).trusted).toBe(true);
    expect(t.observe(w + 90_000 - 2000, 105_000, 'unsynced')).toMatchObject({ trusted: false, reason: 'os_unsynced' });
    expect(t.observe(w + 105_000 - 2000, 120_000, 'synced').trusted).toBe(true);
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new ClockTrust({ jumpToleranceMs: 0 })).toThrow(/jumpToleranceMs must be a finite number > 0, got 0/);
    expect(() => new ClockTrust({ stableForMs: -1 })).toThrow(/stableForMs must be a finite number >= 0/);
    expect(() => new ClockTrust({ notBeforeMs: NaN })).toThrow(/notBeforeMs/);
  });
});

describe('clock gate', () => {
  it('boots in 1970, holds an hour of samples, and re-bases all of them in order once NTP sets the clock', async () => {
    tree = await fakeTree({ 'proc/uptime': '5.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-a\n' });
    const clock = new ManualClock(0); // no RTC: 1970
    const r = await rig(clock);
    await r.advance(239 * 15_000); // cycles 0..239 at mono 0, 15 s, ..., 59m45s
    expect(r.exporter.cycles).toBe(240);
    expect(r.gate.trusted).toBe(false);
    expect(await read(r.buffer, 'g')).toEqual([]); // the pusher's reads see nothing held
    // /metrics while untrusted: no sample carries a timestamp (the scraper stamps them).
    const snap = await r.collector.snapshot();
    expect(snap.flatMap((f) => f.samples).every((s) => s.timestampMs === undefined)).toBe(true);
    expect(value(snap, 'edgeprom_clock_trusted')).toBe(0);
    expect(value(snap, 'edgeprom_clock_untrusted_samples')).toBeGreaterThanOrEqual(240 * 2);

    await r.advance(10_000);
    clock.setWallTime(T_SYNC); // NTP steps the clock at mono 59m55s
    await r.advance(5_000); // cycle 240 at 1h: sees the jump, still held
    expect(r.trust.verdict).toMatchObject({ trusted: false, reason: 'jump', jumped: true });
    await r.advance(30_000); // cycles 241 (held) and 242 (30 s steady: trusted, releases)
    expect(r.gate.trusted).toBe(true);
    expect(r.trust.jumps).toBe(1);
    await r.buffer.flush();

    const g = await read(r.buffer, 'g');
    expect(g.map((s) => s.v)).toEqual(Array.from({ length: 243 }, (_, k) => k));
    // Cycle k ran at mono 15 s × k; the trusted cycle 242 at wall T_SYNC + 35 s.
    const wallAtTrust = T_SYNC + 35_000;
    expect(g.map((s) => s.t)).toEqual(Array.from({ length: 243 }, (_, k) => wallAtTrust - (242 - k) * 15_000));
    for (let i = 1; i < g.length; i++) expect(g[i].seq).toBeGreaterThan(g[i - 1].seq);
    // A sample's own timestamp keeps its distance from its cycle's.
    expect((await read(r.buffer, 'stamped')).map((s) => s.t)).toEqual(g.map((s) => s.t - 1000));

    const st = r.buffer.stats();
    expect(st.held.samples).toBe(0);
    expect(st.held.released).toBeGreaterThanOrEqual(242 * 2);
    const snap2 = await r.collector.snapshot();
    expect(value(snap2, 'edgeprom_clock_trusted')).toBe(1);
    expect(value(snap2, 'edgeprom_clock_jumps_total')).toBe(1);
    expect(value(snap2, 'edgeprom_clock_rebased_samples_total')).toBe(st.held.released);
    expect(value(snap2, 'edgeprom_clock_untrusted_samples')).toBe(0);
    // Trusted again: /metrics serves exporters' own timestamps.
    expect(snap2.find((f) => f.name === 'stamped')!.samples[0].timestampMs).toBe(wallAtTrust - 1000);
  });

  it('a backward step while trusted: the samples of the settling window are held and re-based onto the new time', async () => {
    tree = await fakeTree({ 'proc/uptime': '5.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-a\n' });
    const clock = new ManualClock(Date.UTC(2026, 3, 1)); // plausible, and still after stepping back
    const w0 = clock.now();
    const r = await rig(clock);
    await r.advance(9 * 15_000); // cycles 0..9, trusted
    expect(r.gate.trusted).toBe(true);
    await r.advance(5_000);
    clock.setWallTime(clock.now() - 3_600_000); // NTP steps back an hour at mono 140 s
    await r.advance(10_000); // cycle 10: the jump
    expect(r.trust.verdict).toMatchObject({ trusted: false, reason: 'jump', jumpMs: -3_600_000 });
    expect(r.buffer.stats().held.samples).toBeGreaterThan(0);
    await r.advance(30_000); // cycle 11 held, cycle 12 trusted: releases 10 and 11
    expect(r.gate.trusted).toBe(true);
    await r.buffer.flush();
    const g = await read(r.buffer, 'g');
    expect(g.map((x) => x.v)).toEqual(Array.from({ length: 13 }, (_, k) => k));
    expect(g.map((x) => x.t)).toEqual(Array.from({ length: 13 }, (_, k) => w0 + k * 15_000 - (k >= 10 ? 3_600_000 : 0)));
    for (let i = 1; i < g.length; i++) expect(g[i].seq).toBe(g[i - 1].seq + (g[1].seq - g[0].seq));
    expect(r.trust.jumps).toBe(1);
    expect(r.buffer.stats().held).toMatchObject({ samples: 0, dropped: { reboot: 0, size: 0, corrupt: 0 } });
  });

  it('the OS vetoes trust while timesyncd has not synchronised; its flag releases the held samples at their own times', async () => {
    tree = await fakeTree({ 'proc/uptime': '5.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-a\n', 'run/systemd/timesync': { dir: true } });
    const clock = new ManualClock();
    const w0 = clock.now();
    const r = await rig(clock);
    await r.advance(2 * 15_000);
    expect(r.trust.verdict).toMatchObject({ trusted: false, reason: 'os_unsynced' });
    expect(value(await r.collector.snapshot(), 'edgeprom_clock_os_synchronized')).toBe(0);
    await r.gate.start(); // the background read of cycle 2 is done: it saw no flag
    await tree.write({ 'run/systemd/timesync/synchronized': '' });
    // Read in the background after each cycle: cycle 3 still has the old answer, cycle 4 the new.
    await r.advance(15_000);
    expect(r.trust.verdict?.reason).toBe('os_unsynced');
    await r.advance(15_000);
    expect(r.gate.trusted).toBe(true);
    expect(value(await r.collector.snapshot(), 'edgeprom_clock_os_synchronized')).toBe(1);
    await r.buffer.flush();
    // No jump: re-basing gives every held sample the time it was collected at.
    expect((await read(r.buffer, 'g')).map((x) => [x.v, x.t])).toEqual([0, 1, 2, 3, 4].map((k) => [k, w0 + k * 15_000]));
  });

  it('held samples survive a restart within one kernel boot (uptime relates the two runs) and are re-based across it', async () => {
    tree = await fakeTree({ 'proc/uptime': '100.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-a\n' });
    const r1 = await rig(new ManualClock(0));
    await r1.advance(9 * 15_000); // 10 cycles held at boot-mono 100 s .. 235 s
    await r1.stop(); // the agent dies; the store is reopened by the next run
    await tree.write({ 'proc/uptime': '400.00 3.00\n' });
    const clock = new ManualClock(0); // the new run: still no time, monotonic from 0 again
    const r2 = await rig(clock, { base: 100 });
    expect(r2.domain).toBe(r1.domain);
    expect(r2.buffer.stats().held.samples).toBeGreaterThanOrEqual(11 * 2);
    await r2.advance(10_000);
    clock.setWallTime(T_SYNC);
    await r2.advance(35_000); // cycles at 15 s (jump), 30 s (held), 45 s (trusted)
    expect(r2.gate.trusted).toBe(true);
    await r2.buffer.flush();
    const wallAtTrust = T_SYNC + 35_000; // at boot-mono 445 s
    const expected = [
      ...Array.from({ length: 10 }, (_, k) => [k, wallAtTrust - (445_000 - (100_000 + k * 15_000))]),
      ...Array.from({ length: 4 }, (_, j) => [100 + j, wallAtTrust - (445_000 - (400_000 + j * 15_000))]),
    ];
    expect((await read(r2.buffer, 'g')).map((x) => [x.v, x.t])).toEqual(expected);
    expect(r2.buffer.stats().held.dropped.reboot).toBe(0);
  });

  it('after a reboot, samples held in the old boot are dropped and counted: their monotonic times mean nothing', async () => {
    tree = await fakeTree({ 'proc/uptime': '100.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-a\n' });
    const r1 = await rig(new ManualClock(0));
    await r1.advance(4 * 15_000); // 5 cycles held
    const heldBefore = r1.buffer.stats().held.samples;
    await r1.stop(); // power loss: the flushed held samples are on disk
    await tree.write({ 'proc/uptime': '20.00 3.00\n', 'proc/sys/kernel/random/boot_id': 'boot-b\n' });
    const clock = new ManualClock(0);
    const r2 = await rig(clock, { base: 100 });
    expect(r2.domain).not.toBe(r1.domain);
    expect(r2.buffer.stats().held.samples).toBeGreaterThan(heldBefore); // the old boot's are still there
    await r2.advance(10_000);
    clock.setWallTime(T_SYNC);
    await r2.advance(35_000);
    await r2.buffer.flush();
    expect((await read(r2.buffer, 'g')).map((x) => x.v)).toEqual([100, 101, 102, 103]);
    const st = r2.buffer.stats();
    expect(st.held.dropped.reboot).toBe(heldBefore);
    expect(st.held.samples).toBe(0);
    const snap = await r2.collector.snapshot();
    expect(value(snap, 'edgeprom_clock_dropped_samples_total', { reason: 'reboot' })).toBe(heldBefore);
  });
});
