import { describe, expect, it } from 'vitest';
import { ManualClock, RealClock, encodeOpenMetrics, encodeText, parseExposition } from '@edgeprom/shared';
import { Collector } from '../collector.js';
import { defaultExporters } from './defaults.js';
import {
  portableCpuExporter,
  portableFilesystemExporter,
  portableLoadavgExporter,
  portableMeminfoExporter,
  portableNetdevExporter,
  portableStatExporter,
} from './portable.js';
import { samples, value } from '../testing/fake-tree.js';

describe('defaultExporters', () => {
  it('uses node_exporter collector names, with the textfile exporter only when configured', () => {
    const clock = new ManualClock();
    expect(defaultExporters({ clock, platform: 'linux' }).map((e) => e.name)).toEqual([
      'cpu', 'stat', 'loadavg', 'meminfo', 'filesystem', 'diskstats', 'netdev', 'hwmon', 'thermal_zone',
      'time', 'uname', 'os', 'hardware', 'process',
    ]);
    expect(defaultExporters({ clock, platform: 'darwin', textfileDirectory: '/var/lib/tf' }).map((e) => e.name)).toEqual([
      'cpu', 'stat', 'loadavg', 'meminfo', 'filesystem', 'netdev', 'time', 'uname', 'os', 'hardware', 'process', 'textfile',
    ]);
  });

  // This machine's own /proc and /sys: every exporter must work and the output must be valid.
  it('collects this Linux machine with every exporter up, in valid text and OpenMetrics', async () => {
    const collector = new Collector({ exporters: defaultExporters({ clock: new RealClock(), agentId: 'test', version: '0' }), clock: new RealClock() });
    const fams = await collector.snapshot();
    await collector.stop();
    const down = samples(fams, 'edgeprom_exporter_up').filter((s) => s.value !== 1).map((s) => s.labels.get('exporter'));
    expect(down).toEqual([]);
    expect(samples(fams, 'node_cpu_seconds_total', { mode: 'idle' }).length).toBeGreaterThan(0);
    expect(value(fams, 'node_memory_MemTotal_bytes')).toBeGreaterThan(0);
    expect(value(fams, 'node_boot_time_seconds')).toBeGreaterThan(1e9);
    const text = parseExposition(encodeText(fams), { format: 'text' });
    expect(text.length).toBe(fams.length);
    const om = parseExposition(encodeOpenMetrics(fams), { format: 'openmetrics' });
    expect(om.reduce((n, f) => n + f.samples.length, 0)).toBe(fams.reduce((n, f) => n + f.samples.length, 0));
  });
});

describe('portable exporters (the non-Linux fallback), run here', () => {
  it('report the Linux metric names from node:os and systeminformation', async () => {
    const clock = new RealClock();
    const all = await Promise.all(
      [portableCpuExporter(), portableStatExporter(clock), portableLoadavgExporter(), portableMeminfoExporter(), portableFilesystemExporter(), portableNetdevExporter()].map((e) =>
        e.collect(),
      ),
    );
    const fams = all.flat();
    expect(samples(fams, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' })).toHaveLength(1);
    expect(value(fams, 'node_boot_time_seconds')).toBeGreaterThan(1e9);
    expect(value(fams, 'node_load1')).toBeGreaterThanOrEqual(0);
    expect(value(fams, 'node_memory_MemTotal_bytes')).toBeGreaterThan(0);
    expect(samples(fams, 'node_filesystem_size_bytes').length).toBeGreaterThan(0);
    expect(samples(fams, 'node_network_receive_bytes_total', { device: 'lo' })).toEqual([]);
  });
});
