/**
 * `process` exporter: the agent's own footprint, with the names Prometheus client libraries
 * use (`process_*` as client_golang/prom-client, `nodejs_*` as prom-client), plus
 * `edgeprom_agent_info`. This is how the RSS budget (≤ 60 MB) is watched in the field.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

/** Field 23 of /proc/<pid>/stat, counting after the `(comm)` which may contain spaces. */
export function parseVsize(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = fields(stat.slice(close + 1));
  // f[0] is field 3 (state), so field 23 is f[20].
  const v = Number(f[20]);
  return Number.isFinite(v) ? v : undefined;
}

/** The soft "Max open files" limit from /proc/<pid>/limits. */
export function parseMaxFds(limits: string): number | undefined {
  for (const line of limits.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    const v = Number(fields(line.slice('Max open files'.length))[0]);
    return Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

export interface ProcessExporterOptions {
  clock: Clock;
  roots?: Partial<OsRoots>;
  agentId?: string;
  version?: string;
}

export function processExporter(opts: ProcessExporterOptions): Exporter {
  const { procfs } = resolveRoots(opts.roots);
  const self = join(procfs, 'self');
  const startTime = Math.round(opts.clock.now() - process.uptime() * 1000) / 1000;
  const [major, minor, patch] = process.versions.node.split('.');
  return {
    name: 'process',
    async collect(signal) {
      const fs = new FamilySet();
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      fs.counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', undefined, cpu.user / 1e6);
      fs.counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', undefined, cpu.system / 1e6);
      fs.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', undefined, (cpu.user + cpu.system) / 1e6);
      fs.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', undefined, startTime);
      fs.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', undefined, mem.rss);

      const [stat, limits, fds] = await Promise.all([
        readOptional(join(self, 'stat'), signal).catch(() => undefined),
        readOptional(join(self, 'limits'), signal).catch(() => undefined),
        readdir(join(self, 'fd')).catch(() => undefined),
      ]);
      const vsize = stat === undefined ? undefined : parseVsize(stat);
      if (vsize !== undefined) fs.gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', undefined, vsize);
      // Listing the directory opens one descriptor, which the listing itself shows.
      if (fds !== undefined) fs.gauge('process_open_fds', 'Number of open file descriptors.', undefined, Math.max(0, fds.length - 1));
      const maxFds = limits === undefined ? undefined : parseMaxFds(limits);
      if (maxFds !== undefined) fs.gauge('process_max_fds', 'Maximum number of open file descriptors.', undefined, maxFds);

      fs.gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', undefined, mem.heapTotal);
      fs.gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', undefined, mem.heapUsed);
      fs.gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', undefined, mem.external);
      fs.gauge('nodejs_version_info', 'Node.js version info.', { version: process.version, major, minor, patch }, 1);
      if (opts.agentId !== undefined || opts.version !== undefined) {
        fs.gauge('edgeprom_agent_info', 'The agent: its id and version.', { agent: opts.agentId ?? '', version: opts.version ?? '' }, 1);
      }
      return fs.list();
    },
  } satisfies Exporter;
}
