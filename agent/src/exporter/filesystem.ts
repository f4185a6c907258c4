/**
 * `filesystem` exporter: size/free/avail bytes and inodes per mount point, from the mount
 * table in procfs and one statfs(2) per mount (Node's fs.statfs). systeminformation's
 * fsSize() would spawn `df` every cycle; statfs is one syscall and gives inodes too.
 *
 * Defaults follow Debian's node_exporter 1.5 package (the peer we compare against): pseudo
 * filesystems and /dev, /proc, /run, /sys, /mnt, /media are excluded.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgepromError } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { checkAborted, fields, isMissing, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run|sys|mnt|media|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** The kernel escapes space, tab, newline and backslash in mount fields as octal (`\040`). */
function unescapeMountField(s: string): string {
  return s.includes('\\') ? s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) : s;
}

/** Pure parser of /proc/mounts (fstab format). */
export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length < 4) continue;
    out.push({
      device: unescapeMountField(f[0]),
      mountPoint: unescapeMountField(f[1]),
      fsType: f[2],
      options: f[3].split(','),
    });
  }
  return out;
}

export interface StatFsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface FilesystemExporterOptions {
  roots?: Partial<OsRoots>;
  mountPointsExclude?: RegExp;
  fsTypesExclude?: RegExp;
  /** Injected for tests of error paths; defaults to Node's fs.statfs. */
  statfs?: (path: string) => Promise<StatFsResult>;
}

export function filesystemExporter(opts: FilesystemExporterOptions = {}): Exporter {
  const { procfs, rootfs } = resolveRoots(opts.roots);
  const mpExclude = opts.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE;
  const fsExclude = opts.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE;
  const doStatfs = opts.statfs ?? ((p: string) => statfs(p));
  // A statfs on a dead NFS server never returns. Like node_exporter's "stuck mounts", we do
  // not stack a second call on a mount whose previous one is still pending.
  const pending = new Map<string, Promise<unknown>>();

  async function readMountTable(signal?: AbortSignal): Promise<Mount[]> {
    for (const rel of ['1/mounts', 'self/mounts', 'mounts']) {
      const text = await readOptional(join(procfs, rel), signal).catch(() => undefined);
      if (text !== undefined) return parseMounts(text);
    }
    throw new EdgepromError('ERR_SOURCE_MISSING', `no mount table under ${procfs}`);
  }

  async function statOne(path: string): Promise<StatFsResult | Error> {
    if (pending.has(path)) return new Error(`statfs ${path} still pending from an earlier collection`);
    const p = doStatfs(path);
    pending.set(path, p);
    try {
      return await p;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    } finally {
      pending.delete(path);
    }
  }

  return {
    name: 'filesystem',
    async collect(signal) {
      const mounts = await readMountTable(signal);
      const seen = new Set<string>();
      const wanted: Mount[] = [];
      for (const m of mounts) {
        if (mpExclude.test(m.mountPoint) || fsExclude.test(m.fsType)) continue;
        const key = `${m.device}\0${m.mountPoint}\0${m.fsType}`;
        if (seen.has(key)) continue; // bind mounts and namespaces list some twice
        seen.add(key);
        wanted.push(m);
      }
      checkAborted(signal);
      const results = await Promise.all(wanted.map((m) => statOne(join(rootfs, m.mountPoint))));
      const fs = new FamilySet();
      wanted.forEach((m, i) => {
        const labels = { device: m.device, fstype: m.fsType, mountpoint: m.mountPoint };
        const r = results[i];
        const failed = r instanceof Error;
        // A mount point that vanished between reading the table and statfs is not an error.
        if (failed && isMissing(r)) return;
        fs.gauge('node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.', labels, failed ? 1 : 0);
        fs.gauge('node_filesystem_readonly', 'Filesystem read-only status.', labels, m.options.includes('ro') ? 1 : 0);
        if (failed) return;
        fs.gauge('node_filesystem_size_bytes', 'Filesystem size in bytes.', labels, r.blocks * r.bsize);
        fs.gauge('node_filesystem_free_bytes', 'Filesystem free space in bytes.', labels, r.bfree * r.bsize);
        fs.gauge('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', labels, r.bavail * r.bsize);
        fs.gauge('node_filesystem_files', 'Filesystem total file nodes.', labels, r.files);
        fs.gauge('node_filesystem_files_free', 'Filesystem total free file nodes.', labels, r.ffree);
      });
      return fs.list();
    },
  } satisfies Exporter;
}
