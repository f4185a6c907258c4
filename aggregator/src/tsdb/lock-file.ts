/**
 * The directory lock: `<dir>/lock` holds the decimal PID of the process that has the store
 * open, so two processes never write one WAL. Node has no flock(), so liveness is checked
 * with kill(pid, 0): a lock whose PID is dead is stale (the holder crashed) and is taken
 * over with a warning. A lock naming our own PID that this process does not hold is also
 * stale: in a container the aggregator often runs as PID 1 on every start.
 *
 * Second opens inside one process are caught by a process-wide set of held paths, before
 * the file is even looked at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TsdbLockedError } from './tsdb-errors.js';
import type { TsdbLogger } from './wal-writer.js';

const held = new Set<string>();

export interface DirLock {
  readonly path: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Takes `<dir>/lock` or throws TsdbLockedError naming the holder. */
export function acquireDirLock(dir: string, logger: TsdbLogger): DirLock {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'lock');
  if (held.has(abs)) throw new TsdbLockedError(abs, process.pid, true);
  // Written whole under a temporary name, then linked into place: link() fails if the lock
  // exists, so the check and the take are one atomic step, and the lock is never seen empty.
  const tmp = path.join(abs, `lock.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
      }
      const pid = readPid(file);
      if (pid !== undefined && pid !== process.pid && pidAlive(pid)) throw new TsdbLockedError(abs, pid, false);
      logger.warn({ dir: abs, stalePid: pid ?? null }, 'taking over a stale TSDB lock (its process is gone)');
      // Narrows (does not close) the race with another process taking over the same stale lock.
      if (readPid(file) !== pid) continue;
      try {
        fs.unlinkSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  held.add(abs);
  let released = false;
  return {
    path: file,
    release() {
      if (released) return;
      released = true;
      held.delete(abs);
      // Only remove the file if it is still ours (an operator may have removed it by hand).
      if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
    },
  };
}
