/**
 * `diskstats` exporter: per-device I/O counters from /proc/diskstats, named as in
 * node_exporter. Sector counts are in 512-byte units whatever the device's sector size.
 */
import { join } from 'node:path';
import { EdgepromError } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

/** node_exporter's default: RAM disks, loop devices and partitions of sd/vd/hd/xvd/nvme. */
export const DEFAULT_DISK_DEVICE_EXCLUDE = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

const SECTOR_BYTES = 512;

/** [field index after the name, metric, type, help, scale]. */
const DISK_FIELDS: [number, string, 'counter' | 'gauge', string, number][] = [
  [0, 'node_disk_reads_completed_total', 'counter', 'The total number of reads completed successfully.', 1],
  [1, 'node_disk_reads_merged_total', 'counter', 'The total number of reads merged.', 1],
  [2, 'node_disk_read_bytes_total', 'counter', 'The total number of bytes read successfully.', SECTOR_BYTES],
  [3, 'node_disk_read_time_seconds_total', 'counter', 'The total number of seconds spent by all reads.', 0.001],
  [4, 'node_disk_writes_completed_total', 'counter', 'The total number of writes completed successfully.', 1],
  [5, 'node_disk_writes_merged_total', 'counter', 'The number of writes merged.', 1],
  [6, 'node_disk_written_bytes_total', 'counter', 'The total number of bytes written successfully.', SECTOR_BYTES],
  [7, 'node_disk_write_time_seconds_total', 'counter', 'This is the total number of seconds spent by all writes.', 0.001],
  [8, 'node_disk_io_now', 'gauge', 'The number of I/Os currently in progress.', 1],
  [9, 'node_disk_io_time_seconds_total', 'counter', 'Total seconds spent doing I/Os.', 0.001],
  [10, 'node_disk_io_time_weighted_seconds_total', 'counter', 'The weighted # of seconds spent doing I/Os.', 0.001],
];

export interface DiskStats {
  device: string;
  /** The numeric columns after the device name. */
  values: number[];
}

/** Pure parser of /proc/diskstats. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length < 14) continue;
    out.push({ device: f[2], values: f.slice(3).map(Number) });
  }
  return out;
}

export interface DiskstatsExporterOptions {
  roots?: Partial<OsRoots>;
  deviceExclude?: RegExp;
}

export function diskstatsExporter(opts: DiskstatsExporterOptions = {}): Exporter {
  const { procfs } = resolveRoots(opts.roots);
  const exclude = opts.deviceExclude ?? DEFAULT_DISK_DEVICE_EXCLUDE;
  return {
    name: 'diskstats',
    async collect(signal) {
      const path = join(procfs, 'diskstats');
      const text = await readOptional(path, signal);
      if (text === undefined) throw new EdgepromError('ERR_SOURCE_MISSING', `${path} does not exist`);
      const fs = new FamilySet();
      const disks = parseDiskstats(text).filter((d) => !exclude.test(d.device));
      // Family by family, so each family's samples stay together in device order.
      for (const [i, name, type, help, scale] of DISK_FIELDS) {
        for (const d of disks) fs.add(name, type, help, { device: d.device }, d.values[i] * scale);
      }
      return fs.list();
    },
  } satisfies Exporter;
}
