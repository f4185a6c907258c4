/**
 * The process's own footprint, with the names Prometheus client libraries use (`process_*`
 * as client_golang/prom-client, `nodejs_*` as prom-client). Both binaries use it: the agent
 * as its `process` exporter (how the RSS budget, ≤ 60 MB, is watched in the field), the
 * aggregator in its own /metrics. The agent adds `edgeprom_agent_info` by passing its id.
 *
 * The returned object has the agent's Exporter shape ({ name, collect(signal) }), so the
 * agent plugs it in as is; procfs is read under `roots.procfs` (tests: a fake tree).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { MetricFamily } from '../exposition/model.js';
import { FamilySet } from '../exposition/family-set.js';

/** Splits on runs of spaces and tabs. */
function fields(line: string): string[] {
  return line.split(/[ \t]+/).filter((f) => f !== '');
}

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
  /** Where procfs is mounted (default `/proc`); other fields are accepted and ignored. */
  roots?: { procfs?: string };
  /** With agentId or version: an `edgeprom_agent_info{agent, version}` sample. */
  agentId?: string;
  version?: string;
}

export interface ProcessExporter {
  readonly name: 'process';
  collect(signal?: AbortSignal): Promise<MetricFamily[]>;
}

/**
 * A procfs file's text, or undefined when it cannot be read (no procfs: macOS, a container).
 * Read synchronously: procfs files are generated in memory and never wait on a disk, and a
 * synchronous read costs a fraction of a thread-pool round trip on every scrape.
 */
function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processExporter(opts: ProcessExporterOptions): ProcessExporter {
  const self = join(opts.roots?.procfs ?? '/proc', 'self');
  const startTime = Math.round(opts.clock.now() - process.uptime() * 1000) / 1000;
  const [major, minor, patch] = process.versions.node.split('.');
  // The limit changes only through setrlimit, which neither binary calls: read it once.
  let maxFds: number | undefined;
  let limitsRead = false;
  return {
    name: 'process',
    async collect(signal) {
      signal?.throwIfAborted();
      const fs = new FamilySet();
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      fs.counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', undefined, cpu.user / 1e6);
      fs.counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', undefined, cpu.system / 1e6);
      fs.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', undefined, (cpu.user + cpu.system) / 1e6);
      fs.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', undefined, startTime);
      fs.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', undefined, mem.rss);

      const stat = readOptional(join(self, 'stat'));
      let fds: string[] | undefined;
      try {
        fds = readdirSync(join(self, 'fd'));
      } catch {
        fds = undefined;
      }
      if (!limitsRead) {
        const limits = readOptional(join(self, 'limits'));
        limitsRead = limits !== undefined;
        maxFds = limits === undefined ? undefined : parseMaxFds(limits);
      }
      const vsize = stat === undefined ? undefined : parseVsize(stat);
      if (vsize !== undefined) fs.gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', undefined, vsize);
      // Listing the directory opens one descriptor, which the listing itself shows.
      if (fds !== undefined) fs.gauge('process_open_fds', 'Number of open file descriptors.', undefined, Math.max(0, fds.length - 1));
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
  };
}
