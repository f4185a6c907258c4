import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { prng } from '@edgeprom/shared/testing';
import { readSeriesSet } from '../storage/contract.js';
import { Matcher } from '../storage/matcher.js';
import { float64Hi, float64Lo } from '../storage/value.js';
import { openTsdb } from './tsdb.js';
import {
  CRASH_BULK,
  CRASH_SERIES_PER_WRITER,
  CRASH_T0,
  isBulk,
  isRolledBack,
  type CrashMessage,
} from './wal-crash-child.js';
import { memoryLogger, tempDir } from './wal-test-util.js';

const CHILD = fileURLToPath(new URL('./wal-crash-child.ts', import.meta.url));
const ITERATIONS = 5;
const WRITERS = 8;
const bits = (v: number) => `${float64Hi(v).toString(16).padStart(8, '0')}${float64Lo(v).toString(16).padStart(8, '0')}`;

/** Runs the child until it has reported `commits` resolved commits, plus a random delay, then SIGKILLs it. */
function runAndKill(dir: string, commits: number, delayMs: number, seen: { committing: Set<number>; committed: Set<number> }) {
  return new Promise<void>((resolve, reject) => {
    const child = fork(CHILD, [dir, String(WRITERS)], {
      execArgv: ['--import', 'tsx'],
      cwd: path.dirname(CHILD), // where `--import tsx` is resolved from, whatever vitest's cwd

      env: { ...process.env, EDGEPROM_WAL_CRASH_CHILD: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let count = 0;
    let killing = false;
    child.on('message', (m: CrashMessage) => {
      if ('committing' in m) seen.committing.add(m.committing);
      else if ('committed' in m) {
        seen.committed.add(m.committed);
        if (++count === commits && !killing) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

describe('WAL under SIGKILL', () => {
  it(
    'keeps every commit that resolved and nothing that was never committed, over repeated kills',
    async () => {
      const seed = Date.now() % 100_000;
      const random = prng(seed); // seeded, so a failure can be replayed from the printed seed
      const t = tempDir('wal-crash');
      const seen = { committing: new Set<number>(), committed: new Set<number>() };
      try {
        for (let iter = 0; iter < ITERATIONS; iter++) {
          await runAndKill(t.dir, 20 + Math.floor(random() * 300), Math.floor(random() * 8), seen);
          const logger = memoryLogger();
          const db = await openTsdb({ dir: t.dir, clock: new ManualClock(CRASH_T0), logger, appendWindowMs: Infinity });
          const q = db.querier(-Infinity, Infinity);
          const present = new Map<number, number>(); // crash txn id → samples found
          for (const s of readSeriesSet(q.select([Matcher.equal('__name__', 'crash')]))) {
            const j = Number(/j="(\d+)"/.exec(s.labels)![1]);
            for (const [ts, v] of s.samples) {
              const id = ts - CRASH_T0;
              expect(v, `seed ${seed}: value of txn ${id}`).toBe(bits(id * 16 + j));
              present.set(id, (present.get(id) ?? 0) + 1);
            }
          }
          const fresh = new Set(readSeriesSet(q.select([Matcher.equal('__name__', 'fresh')])).map((s) => s.samples[0][0] - CRASH_T0));
          const bulk = new Map<number, number>(); // txn id → bulk samples found
          for (const s of readSeriesSet(q.select([Matcher.equal('__name__', 'bulk')]))) {
            for (const [ts] of s.samples) bulk.set(ts - CRASH_T0, (bulk.get(ts - CRASH_T0) ?? 0) + 1);
          }
          const ooo = new Set<number>(); // txn ids whose out-of-order sample is present
          for (const s of readSeriesSet(q.select([Matcher.equal('__name__', 'crash_ooo')]))) {
            for (const [ts, v] of s.samples) {
              const id = CRASH_T0 - ts;
              expect(v, `seed ${seed}: out-of-order value of txn ${id}`).toBe(bits(id));
              ooo.add(id);
            }
          }
          q.close();
          // The out-of-order record of a commit lives or dies with its in-order records.
          for (const id of ooo) expect(present.has(id), `seed ${seed}: out-of-order part of a lost txn ${id}`).toBe(true);
          for (const id of present.keys()) expect(ooo.has(id), `seed ${seed}: out-of-order part of txn ${id} lost`).toBe(true);
          for (const [id, n] of bulk) {
            expect(n, `seed ${seed}: bulk part of txn ${id} is partial`).toBe(CRASH_BULK);
            expect(present.has(id), `seed ${seed}: bulk part of a lost txn ${id}`).toBe(true);
          }
          for (const id of present.keys()) if (isBulk(id)) expect(bulk.get(id), `seed ${seed}: bulk of ${id}`).toBe(CRASH_BULK);
          for (const id of seen.committed) {
            expect(present.get(id), `seed ${seed}: committed txn ${id} lost`).toBe(CRASH_SERIES_PER_WRITER);
            if (id % 5 === 0) expect(fresh.has(id), `seed ${seed}: fresh series of txn ${id} lost`).toBe(true);
          }
          for (const [id, n] of present) {
            // All or nothing, and only transactions whose commit() was called.
            expect(n, `seed ${seed}: txn ${id} is partial`).toBe(CRASH_SERIES_PER_WRITER);
            expect(isRolledBack(id), `seed ${seed}: rolled-back txn ${id} appeared`).toBe(false);
            expect(seen.committing.has(id), `seed ${seed}: txn ${id} appeared but was never committed`).toBe(true);
            if (id % 5 === 0) expect(fresh.has(id)).toBe(true);
          }
          for (const id of fresh) expect(present.has(id), `seed ${seed}: fresh series of a lost txn ${id}`).toBe(true);
          // Killed mid-write at most leaves a torn tail, never a crash loop or worse.
          for (const w of logger.at('warn')) expect(w.msg).toMatch(/partly written|stale TSDB lock/);
          expect(logger.at('error')).toEqual([]);
          await db.close();
          // Ids committed by a later run must not be confused with ones lost by this one.
          for (const id of seen.committing) if (!present.has(id)) seen.committing.delete(id);
        }
        expect(seen.committed.size).toBeGreaterThan(ITERATIONS * 20);
      } finally {
        t.cleanup();
      }
    },
    120_000,
  );
});
