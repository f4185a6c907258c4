/**
 * Exporters for platforms without procfs (macOS, *BSD, Windows: a developer's laptop, not a
 * device). They use node:os and, loaded on first use, systeminformation, and keep the Linux
 * exporters' names and metric names so dashboards and `edgeprom_exporter_up` read the same.
 * They report less: no per-device disk I/O, no hwmon.
 */
import * as os from 'node:os';
import type { Clock } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';

type Si = typeof import('systeminformation');
let si: Promise<Si> | undefined;
function loadSi(): Promise<Si> {
  return (si ??= import('systeminformation').then((m) => (m as unknown as { default: Si }).default ?? m));
}

export function portableCpuExporter(): Exporter {
  return {
    name: 'cpu',
    async collect() {
      const fs = new FamilySet();
      os.cpus().forEach((c, i) => {
        const t = c.times; // milliseconds
        for (const [mode, ms] of [
          ['user', t.user],
          ['nice', t.nice],
          ['system', t.sys],
          ['idle', t.idle],
          ['irq', t.irq],
        ] as const) {
          fs.counter('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', { cpu: String(i), mode }, ms / 1000);
        }
      });
      return fs.list();
    },
  } satisfies Exporter;
}

export function portableLoadavgExporter(): Exporter {
  return {
    name: 'loadavg',
    async collect() {
      const [l1, l5, l15] = os.loadavg();
      return new FamilySet()
        .gauge('node_load1', '1m load average.', undefined, l1)
        .gauge('node_load5', '5m load average.', undefined, l5)
        .gauge('node_load15', '15m load average.', undefined, l15)
        .list();
    },
  } satisfies Exporter;
}

export function portableStatExporter(clock: Clock): Exporter {
  return {
    name: 'stat',
    async collect() {
      const boot = Math.round(clock.now() / 1000 - os.uptime());
      return new FamilySet().gauge('node_boot_time_seconds', 'Node boot time, in unixtime.', undefined, boot).list();
    },
  } satisfies Exporter;
}

export function portableMeminfoExporter(): Exporter {
  return {
    name: 'meminfo',
    async collect() {
      const m = await (await loadSi()).mem();
      const fs = new FamilySet();
      for (const [key, v] of [
        ['MemTotal', m.total],
        ['MemFree', m.free],
        ['MemAvailable', m.available],
        ['Buffers', m.buffers],
        ['Cached', m.cached],
        ['SwapTotal', m.swaptotal],
        ['SwapFree', m.swapfree],
      ] as const) {
        if (typeof v === 'number' && Number.isFinite(v)) fs.gauge(`node_memory_${key}_bytes`, `Memory information field ${key}_bytes.`, undefined, v);
      }
      return fs.list();
    },
  } satisfies Exporter;
}

export function portableFilesystemExporter(): Exporter {
  return {
    name: 'filesystem',
    async collect() {
      const fs = new FamilySet();
      for (const d of await (await loadSi()).fsSize()) {
        const labels = { device: d.fs, fstype: d.type, mountpoint: d.mount };
        fs.gauge('node_filesystem_size_bytes', 'Filesystem size in bytes.', labels, d.size);
        fs.gauge('node_filesystem_free_bytes', 'Filesystem free space in bytes.', labels, d.size - d.used);
        fs.gauge('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', labels, d.available);
        fs.gauge('node_filesystem_readonly', 'Filesystem read-only status.', labels, d.rw === false ? 1 : 0);
      }
      return fs.list();
    },
  } satisfies Exporter;
}

export function portableNetdevExporter(): Exporter {
  return {
    name: 'netdev',
    async collect() {
      const fs = new FamilySet();
      const stats = await (await loadSi()).networkStats('*');
      for (const [metric, key] of [
        ['receive_bytes', 'rx_bytes'],
        ['receive_errs', 'rx_errors'],
        ['receive_drop', 'rx_dropped'],
        ['transmit_bytes', 'tx_bytes'],
        ['transmit_errs', 'tx_errors'],
        ['transmit_drop', 'tx_dropped'],
      ] as const) {
        for (const s of stats) {
          if (s.iface === 'lo' || s.iface === 'lo0') continue;
          const v = s[key];
          if (typeof v === 'number') fs.counter(`node_network_${metric}_total`, `Network device statistic ${metric}.`, { device: s.iface }, v);
        }
      }
      return fs.list();
    },
  } satisfies Exporter;
}
