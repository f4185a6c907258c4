/**
 * `cpu` and `stat` exporters, both from /proc/stat (node_exporter's collectors of the same
 * names). Reading the file is exact and costs microseconds; systeminformation's
 * currentLoad() samples for ~0.5 s on first use and reports percentages, not counters.
 */
import { join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';
import { EdgepromError } from '@edgeprom/shared';

/** Clock ticks per second of /proc/stat. USER_HZ is 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export interface ProcStat {
  /** Per-CPU tick counters in /proc/stat column order (user nice system idle iowait irq softirq steal guest guest_nice). */
  cpus: { cpu: string; ticks: number[] }[];
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

/** Pure parser of /proc/stat. */
export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = fields(line);
    const key = f[0];
    if (key.startsWith('cpu') && key.length > 3) {
      out.cpus.push({ cpu: key.slice(3), ticks: f.slice(1).map(Number) });
      continue;
    }
    const v = Number(f[1]);
    switch (key) {
      case 'btime':
        out.bootTime = v;
        break;
      case 'ctxt':
        out.contextSwitches = v;
        break;
      case 'processes':
        out.forks = v;
        break;
      case 'intr':
        out.interrupts = v;
        break;
      case 'procs_running':
        out.procsRunning = v;
        break;
      case 'procs_blocked':
        out.procsBlocked = v;
        break;
    }
  }
  return out;
}

async function readStat(procfs: string, signal?: AbortSignal): Promise<ProcStat> {
  const path = join(procfs, 'stat');
  const text = await readOptional(path, signal);
  if (text === undefined) throw new EdgepromError('ERR_SOURCE_MISSING', `${path} does not exist`);
  return parseProcStat(text);
}

/** `node_cpu_seconds_total{cpu,mode}` and `node_cpu_guest_seconds_total{cpu,mode}`. */
export function cpuExporter(roots?: Partial<OsRoots>): Exporter {
  const { procfs } = resolveRoots(roots);
  return {
    name: 'cpu',
    async collect(signal) {
      const stat = await readStat(procfs, signal);
      const fs = new FamilySet();
      for (const { cpu, ticks } of stat.cpus) {
        for (let i = 0; i < CPU_MODES.length && i < ticks.length; i++) {
          fs.counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', { cpu, mode: CPU_MODES[i] }, ticks[i] / USER_HZ);
        }
        // Guest time is also counted in user/nice (kernel accounting); node_exporter reports it apart.
        if (ticks.length >= 10) {
          const help = 'Seconds the CPUs spent in guests (VMs) for each mode.';
          fs.counter('node_cpu_guest_seconds_total', help, { cpu, mode: 'user' }, ticks[8] / USER_HZ);
          fs.counter('node_cpu_guest_seconds_total', help, { cpu, mode: 'nice' }, ticks[9] / USER_HZ);
        }
      }
      return fs.list();
    },
  } satisfies Exporter;
}

/** Boot time, context switches, forks, interrupts, running/blocked processes. */
export function statExporter(roots?: Partial<OsRoots>): Exporter {
  const { procfs } = resolveRoots(roots);
  return {
    name: 'stat',
    async collect(signal) {
      const s = await readStat(procfs, signal);
      const fs = new FamilySet();
      if (s.bootTime !== undefined) fs.gauge('node_boot_time_seconds', 'Node boot time, in unixtime.', undefined, s.bootTime);
      if (s.contextSwitches !== undefined) fs.counter('node_context_switches_total', 'Total number of context switches.', undefined, s.contextSwitches);
      if (s.forks !== undefined) fs.counter('node_forks_total', 'Total number of forks.', undefined, s.forks);
      if (s.interrupts !== undefined) fs.counter('node_intr_total', 'Total number of interrupts serviced.', undefined, s.interrupts);
      if (s.procsRunning !== undefined) fs.gauge('node_procs_running', 'Number of processes in runnable state.', undefined, s.procsRunning);
      if (s.procsBlocked !== undefined) fs.gauge('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', undefined, s.procsBlocked);
      return fs.list();
    },
  } satisfies Exporter;
}
