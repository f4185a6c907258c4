import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { TsdbLockedError } from './tsdb-errors.js';
import { openTsdb } from './tsdb.js';
import { memoryLogger, tempDir } from './wal-test-util.js';

const open = (dir: string, logger = memoryLogger()) => openTsdb({ dir, clock: new ManualClock(), logger });

describe('TSDB lock file', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('refuses a second open in the same process, naming our PID, until the first is closed', async () => {
    const t = tempDir('lock-same');
    cleanup = t.cleanup;
    const db = await open(t.dir);
    expect(fs.readFileSync(path.join(t.dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    const err = await open(t.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TsdbLockedError);
    expect(err).toMatchObject({ code: 'ERR_TSDB_LOCKED', pid: process.pid });
    // The same directory by another spelling is the same lock.
    await expect(open(path.join(t.dir, '.', '..', path.basename(t.dir)))).rejects.toMatchObject({ code: 'ERR_TSDB_LOCKED' });
    await db.close();
    expect(fs.existsSync(path.join(t.dir, 'lock'))).toBe(false);
    await (await open(t.dir)).close();
  });

  it('refuses a lock held by a live process and takes it over once that process is dead', async () => {
    const t = tempDir('lock-other');
    cleanup = t.cleanup;
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(t.dir, 'lock'), `${child.pid}\n`);
      const err = await open(t.dir).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_TSDB_LOCKED', pid: child.pid });
      expect((err as Error).message).toContain(String(child.pid));
      expect(fs.readFileSync(path.join(t.dir, 'lock'), 'utf8').trim()).toBe(String(child.pid));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    const logger = memoryLogger();
    const db = await open(t.dir, logger);
    expect(logger.at('warn')).toEqual([expect.objectContaining({ obj: { dir: t.dir, stalePid: child.pid } })]);
    expect(fs.readFileSync(path.join(t.dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    await db.close();
  });

  it('takes over an unreadable lock and one with our PID from a previous life (containers)', async () => {
    const t = tempDir('lock-stale');
    cleanup = t.cleanup;
    for (const content of ['garbage', `${process.pid}\n`, '']) {
      fs.writeFileSync(path.join(t.dir, 'lock'), content);
      const logger = memoryLogger();
      const db = await open(t.dir, logger);
      expect(logger.at('warn')).toHaveLength(1);
      await db.close();
    }
  });
});
