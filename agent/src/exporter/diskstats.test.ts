import { afterEach, describe, expect, it } from 'vitest';
import { diskstatsExporter } from './diskstats.js';
import { fakeTree, samples, value, type FakeTree } from '../testing/fake-tree.js';

// Columns after the name: reads merged sectors ms writes merged sectors ms in_flight io_ms weighted_ms (+ discard/flush fields).
const DISKSTATS = `   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       0 loop0 53 0 2104 21 0 0 0 0 0 40 21 0 0 0 0 0 0
 179       0 mmcblk0 12000 3000 900000 4500 8000 9000 640000 70000 2 61000 74500 0 0 0 0 0 0
 179       1 mmcblk0p1 300 50 20000 200 2 0 8 10 0 250 210 0 0 0 0 0 0
   8       0 sda 100 0 800 10 50 0 400 20 0 30 30
   8       1 sda1 90 0 700 9 50 0 400 20 0 29 29
`;

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('diskstats exporter', () => {
  it('reports node_exporter counters in bytes and seconds, skipping ram, loop and sdX partitions', async () => {
    tree = await fakeTree({ 'proc/diskstats': DISKSTATS });
    const fams = await diskstatsExporter({ roots: { procfs: tree.path('proc') } }).collect();
    const devices = samples(fams, 'node_disk_reads_completed_total').map((s) => s.labels.get('device'));
    expect(devices).toEqual(['mmcblk0', 'mmcblk0p1', 'sda']); // node_exporter keeps mmcblk partitions
    const d = { device: 'mmcblk0' };
    expect(value(fams, 'node_disk_reads_completed_total', d)).toBe(12000);
    expect(value(fams, 'node_disk_reads_merged_total', d)).toBe(3000);
    expect(value(fams, 'node_disk_read_bytes_total', d)).toBe(900000 * 512);
    expect(value(fams, 'node_disk_read_time_seconds_total', d)).toBeCloseTo(4.5);
    expect(value(fams, 'node_disk_writes_completed_total', d)).toBe(8000);
    expect(value(fams, 'node_disk_written_bytes_total', d)).toBe(640000 * 512);
    expect(value(fams, 'node_disk_write_time_seconds_total', d)).toBeCloseTo(70);
    expect(value(fams, 'node_disk_io_now', d)).toBe(2);
    expect(value(fams, 'node_disk_io_time_seconds_total', d)).toBeCloseTo(61);
    expect(value(fams, 'node_disk_io_time_weighted_seconds_total', d)).toBeCloseTo(74.5);
    expect(value(fams, 'node_disk_written_bytes_total', { device: 'sda' })).toBe(400 * 512); // 4.x kernels: 11 columns
  });

  it('honours a custom device filter', async () => {
    tree = await fakeTree({ 'proc/diskstats': DISKSTATS });
    const fams = await diskstatsExporter({ roots: { procfs: tree.path('proc') }, deviceExclude: /^(ram|loop|mmcblk)/ }).collect();
    expect(samples(fams, 'node_disk_reads_completed_total').map((s) => s.labels.get('device'))).toEqual(['sda', 'sda1']);
  });
});
