import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { prng } from '@edgeprom/shared/testing';
import { readSeriesSet } from '../storage/contract.js';
import { Matcher } from '../storage/matcher.js';
import { float64Hi, float64Lo } from '../storage/value.js';
import { BLK_OOO_LAG, BLK_RANGE, BLK_SERIES, BLK_T0, type BlkMessage } from './block-crash-child.js';
import { openTsdb } from './tsdb.js';
import { memoryLogger, tempDir } from './wal-test-util.js';

const CHILD = fileURLToPath(new URL('./block-crash-child.ts', import.meta.url));
const ITERATIONS = 4;
const WRITERS = 4;
const bits = (v: number) => `${float64Hi(v).toString(16).padStart(8, '0')}${float64Lo(v).toString(16).padStart(8, '0')}`;

function runAndKill(dir: string, commits: number, delayMs: number, seen: { committing: Set<number>; committed: Set<number> }) {
  return new Promise<void>((resolve, reject) => {
    const child = fork(CHILD, [dir, String(WRITERS)], {
      execArgv: ['--import', 'tsx'],
      cwd: path.dirname(CHILD),
      env: { ...process.env, EDGEPROM_BLOCK_CRASH_CHILD: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let count = 0;
    let killing = false;
    child.on('message', (m: BlkMessage) => {
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

describe('blocks under SIGKILL during compaction', () => {
  it(
    'keeps every committed sample exactly once, in blocks and head, over repeated kills',
    async () => {
      const seed = Date.now() % 100_000;
      const random = prng(seed);
      const t = tempDir('block-crash');
      const seen = { committing: new Set<number>(), committed: new Set<number>() };
      try {
        for (let iter = 0; iter < ITERATIONS; iter++) {
          await runAndKill(t.dir, 150 + Math.floor(random() * 400), Math.floor(random() * 20), seen);
          const logger = memoryLogger();
          const db = await openTsdb({
            dir: t.dir,
            clock: new ManualClock(BLK_T0),
            logger,
            chunkRangeMs: BLK_RANGE,
            compactIntervalMs: 0,
          });
          expect(fs.readdirSync(t.dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.deleted'))).toEqual([]);
          expect(logger.at('error'), `seed ${seed}`).toEqual([]);
          // The child did compact: the data is spread over blocks and the head.
          expect(db.blocks.length, `seed ${seed}: no blocks were written`).toBeGreaterThan(0);
          const q = db.querier(-Infinity, Infinity);
          const present = new Map<number, number>();
          for (const s of readSeriesSet(q.select([Matcher.equal('__name__', 'blk')]))) {
            const j = Number(/j="(\d+)"/.exec(s.labels)![1]);
            let prev = -Infinity;
            for (const [ts, v] of s.samples) {
              expect(ts, `seed ${seed}: ${s.labels} goes back`).toBeGreaterThan(prev);
              prev = ts;
              const id = (ts - BLK_T0) / 1000;
              expect(v, `seed ${seed}: value of txn ${id}`).toBe(bits(id * 16 + j));
              present.set(id, (present.get(id) ?? 0) + 1);
            }
          }
          const ooo = new Set<number>();
          for (const s of readSeriesSet(q.select([Matcher.equal('__name__', 'blk_ooo')]))) {
            for (const [ts, v] of s.samples) {
              const id = (ts + BLK_OOO_LAG - BLK_T0) / 1000;
              expect(v, `seed ${seed}: ooo value of txn ${id}`).toBe(bits(id));
              expect(ooo.has(id)).toBe(false);
              ooo.add(id);
            }
          }
          q.close();
          for (const id of seen.committed) {
            expect(present.get(id), `seed ${seed}: committed txn ${id} lost`).toBe(BLK_SERIES);
            expect(ooo.has(id), `seed ${seed}: ooo sample of committed txn ${id} lost`).toBe(true);
          }
          for (const [id, n] of present) {
            expect(n, `seed ${seed}: txn ${id} is partial`).toBe(BLK_SERIES);
            expect(seen.committing.has(id), `seed ${seed}: txn ${id} appeared but was never committed`).toBe(true);
            expect(ooo.has(id), `seed ${seed}: txn ${id} has no ooo sample`).toBe(true);
          }
          for (const id of ooo) expect(present.has(id), `seed ${seed}: ooo part of a lost txn ${id}`).toBe(true);
          if (iter === ITERATIONS - 1) {
            // Storage level: once everything is compacted, no sample is stored twice.
            await db.compactHead({ all: true });
            const stored = db.blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0);
            expect(stored).toBe(present.size * (BLK_SERIES + 1));
            for (let i = 1; i < db.blocks.length; i++) expect(db.blocks[i].minTime).toBeGreaterThanOrEqual(db.blocks[i - 1].maxTime);
          }
          await db.close();
          for (const id of seen.committing) if (!present.has(id)) seen.committing.delete(id);
        }
        expect(seen.committed.size).toBeGreaterThan(ITERATIONS * 150);
      } finally {
        t.cleanup();
      }
    },
    240_000,
  );
});
