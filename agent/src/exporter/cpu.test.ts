import { afterEach, describe, expect, it } from 'vitest';
import { cpuExporter, parseProcStat, statExporter } from './cpu.js';
import { fakeTree, family, value, type FakeTree } from '../testing/fake-tree.js';

// /proc/stat of a Raspberry Pi 4 (4 cores), trimmed.
const PROC_STAT = `cpu  24470 120 10432 1645873 1981 0 377 0 0 0
cpu0 6320 30 2840 410310 520 0 290 0 0 0
cpu1 6001 25 2511 411890 480 0 30 0 0 0
cpu2 6110 40 2550 411760 501 0 28 0 0 0
cpu3 6039 25 2531 411913 480 0 29 0 15 2
intr 4551532 0 0 0 0 0 0
ctxt 8023122
btime 1767225600
processes 10551
procs_running 3
procs_blocked 1
softirq 1925480 0 432560 0 0 0 0 0 0 0 0
`;

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('cpu exporter', () => {
  it('reports seconds per cpu and mode from USER_HZ ticks, as node_exporter', async () => {
    tree = await fakeTree({ 'proc/stat': PROC_STAT });
    const fams = await cpuExporter({ procfs: tree.path('proc') }).collect();
    const f = family(fams, 'node_cpu_seconds_total')!;
    expect(f.type).toBe('counter');
    expect(f.samples).toHaveLength(4 * 8); // the aggregate "cpu" line is not reported
    expect(value(fams, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' })).toBeCloseTo(4103.1);
    expect(value(fams, 'node_cpu_seconds_total', { cpu: '3', mode: 'user' })).toBeCloseTo(60.39);
    expect(value(fams, 'node_cpu_seconds_total', { cpu: '2', mode: 'softirq' })).toBeCloseTo(0.28);
    expect(value(fams, 'node_cpu_guest_seconds_total', { cpu: '3', mode: 'user' })).toBeCloseTo(0.15);
    expect(value(fams, 'node_cpu_guest_seconds_total', { cpu: '3', mode: 'nice' })).toBeCloseTo(0.02);
  });

  it('fails with a clear error when /proc/stat is missing', async () => {
    tree = await fakeTree({ 'proc/.keep': '' });
    await expect(cpuExporter({ procfs: tree.path('proc') }).collect()).rejects.toMatchObject({ code: 'ERR_SOURCE_MISSING' });
  });
});

describe('stat exporter', () => {
  it('reports boot time, context switches, forks, interrupts and process states', async () => {
    tree = await fakeTree({ 'proc/stat': PROC_STAT });
    const fams = await statExporter({ procfs: tree.path('proc') }).collect();
    expect(value(fams, 'node_boot_time_seconds')).toBe(1767225600);
    expect(value(fams, 'node_context_switches_total')).toBe(8023122);
    expect(value(fams, 'node_forks_total')).toBe(10551);
    expect(value(fams, 'node_intr_total')).toBe(4551532);
    expect(value(fams, 'node_procs_running')).toBe(3);
    expect(value(fams, 'node_procs_blocked')).toBe(1);
    expect(family(fams, 'node_boot_time_seconds')!.type).toBe('gauge');
  });
});

describe('parseProcStat', () => {
  it('ignores lines it does not know and keeps per-cpu columns', () => {
    const s = parseProcStat('cpu0 1 2 3 4\nweird line\n\nbtime 5\n');
    expect(s.cpus).toEqual([{ cpu: '0', ticks: [1, 2, 3, 4] }]);
    expect(s.bootTime).toBe(5);
  });
});
