/**
 * The OS's own word on whether the wall clock is synchronised, read at the OS boundary
 * (under --path.rootfs, so tests use a fake tree). systemd-timesyncd touches
 * `/run/systemd/timesync/synchronized` each time it synchronises, in a directory that exists
 * while it runs. So:
 *   file exists                 → 'synced'
 *   directory only              → 'unsynced' (timesyncd runs and has not synchronised yet)
 *   neither, or no file set     → 'unknown'  (another NTP client, or none: no signal)
 * Two stat() calls a collection; no process is spawned.
 */
import { exists } from '../exporter/family.js';
import { dirname, join } from 'node:path';

export type OsSync = 'synced' | 'unsynced' | 'unknown';

export const DEFAULT_OS_SYNC_FILE = '/run/systemd/timesync/synchronized';

export async function readOsSync(rootfs: string, file: string = DEFAULT_OS_SYNC_FILE): Promise<OsSync> {
  if (file === '') return 'unknown';
  const path = join(rootfs, file);
  if (await exists(path)) return 'synced';
  return (await exists(dirname(path))) ? 'unsynced' : 'unknown';
}
