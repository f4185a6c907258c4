import { statfs } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { filesystemExporter, parseMounts, type StatFsResult } from './filesystem.js';
import { fakeTree, samples, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

/** A mount table whose real mount points are directories of the fake tree (statfs works on them). */
async function setup(): Promise<{ data: string; boot: string; spaced: string }> {
  tree = await fakeTree({ 'mnt-data/.keep': '', 'mnt-boot/.keep': '', 'with space/.keep': '' });
  const data = tree.path('mnt-data');
  const boot = tree.path('mnt-boot');
  const spaced = tree.path('with space');
  await tree.write({
    'proc/1/mounts': [
      `/dev/root ${data} ext4 rw,noatime 0 0`,
      `/dev/mmcblk0p1 ${boot} vfat ro,relatime,fmask=0022 0 0`,
      `/dev/sda1 ${spaced.replace(' ', '\\040')} ext4 rw 0 0`,
      `/dev/root ${data} ext4 rw,noatime 0 0`, // listed twice (bind mount): reported once
      'proc /proc proc rw,nosuid 0 0', // pseudo filesystem type
      'tmpfs /run tmpfs rw,nosuid 0 0', // excluded mount point
      'sysfs /sys sysfs rw 0 0',
      `/dev/sdb1 ${tree.path('vanished')} ext4 rw 0 0`, // mount point gone: skipped
      '',
    ].join('\n'),
  });
  return { data, boot, spaced };
}

describe('filesystem exporter', () => {
  it('reports size, free, avail and inodes per mount, with node_exporter labels', async () => {
    const { data, boot, spaced } = await setup();
    const fams = await filesystemExporter({ roots: { procfs: tree.path('proc'), rootfs: '/' } }).collect();
    const labels = { device: '/dev/root', fstype: 'ext4', mountpoint: data };
    const st = await statfs(data);
    expect(value(fams, 'node_filesystem_size_bytes', labels)).toBe(st.blocks * st.bsize);
    expect(value(fams, 'node_filesystem_avail_bytes', labels)).toBeGreaterThan(0);
    expect(value(fams, 'node_filesystem_free_bytes', labels)).toBeGreaterThanOrEqual(value(fams, 'node_filesystem_avail_bytes', labels)!);
    expect(value(fams, 'node_filesystem_files', labels)).toBe(st.files);
    expect(value(fams, 'node_filesystem_files_free', labels)).toBeGreaterThanOrEqual(0);
    expect(value(fams, 'node_filesystem_device_error', labels)).toBe(0);
    expect(value(fams, 'node_filesystem_readonly', labels)).toBe(0);
    expect(value(fams, 'node_filesystem_readonly', { mountpoint: boot, fstype: 'vfat' })).toBe(1);
    expect(value(fams, 'node_filesystem_size_bytes', { mountpoint: spaced })).toBeGreaterThan(0);

    const mountpoints = new Set(samples(fams, 'node_filesystem_size_bytes').map((s) => s.labels.get('mountpoint')));
    expect([...mountpoints].sort()).toEqual([data, boot, spaced].sort());
  });

  it('marks a mount whose statfs fails with device_error 1 and no sizes', async () => {
    const { data, boot } = await setup();
    const failing = async (p: string): Promise<StatFsResult> => {
      if (p === boot) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return statfs(p);
    };
    const fams = await filesystemExporter({ roots: { procfs: tree.path('proc'), rootfs: '/' }, statfs: failing }).collect();
    expect(value(fams, 'node_filesystem_device_error', { mountpoint: boot })).toBe(1);
    expect(value(fams, 'node_filesystem_size_bytes', { mountpoint: boot })).toBeUndefined();
    expect(value(fams, 'node_filesystem_device_error', { mountpoint: data })).toBe(0);
  });

  it('does not stack a second statfs on a mount whose first one hangs (dead NFS server)', async () => {
    const { data, boot } = await setup();
    const ok: StatFsResult = { bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50 };
    let release!: () => void;
    let bootStarted!: () => void;
    const started = new Promise<void>((r) => (bootStarted = r));
    let bootCalls = 0;
    const hanging = (p: string): Promise<StatFsResult> => {
      if (p !== boot) return Promise.resolve(ok);
      bootCalls++;
      bootStarted();
      return new Promise((r) => (release = () => r(ok)));
    };
    const exp = filesystemExporter({ roots: { procfs: tree.path('proc'), rootfs: '/' }, statfs: hanging });
    const first = exp.collect(); // hangs on boot (the collector would time it out)
    await started;
    await new Promise((r) => setImmediate(r));
    const fams = await exp.collect();
    expect(bootCalls).toBe(1);
    expect(value(fams, 'node_filesystem_device_error', { mountpoint: boot })).toBe(1);
    expect(value(fams, 'node_filesystem_size_bytes', { mountpoint: data })).toBe(4096 * 1000);
    expect(value(fams, 'node_filesystem_avail_bytes', { mountpoint: data })).toBe(4096 * 400);
    release();
    await first;
  });

  it('falls back to /proc/self/mounts and fails clearly without any mount table', async () => {
    tree = await fakeTree({ 'proc/.keep': '' });
    await expect(filesystemExporter({ roots: { procfs: tree.path('proc') } }).collect()).rejects.toMatchObject({ code: 'ERR_SOURCE_MISSING' });
  });
});

describe('parseMounts', () => {
  it('decodes octal escapes and splits options', () => {
    expect(parseMounts('/dev/a /mnt/my\\040disk ext4 rw,noatime 0 0\n')).toEqual([
      { device: '/dev/a', mountPoint: '/mnt/my disk', fsType: 'ext4', options: ['rw', 'noatime'] },
    ]);
  });
});
