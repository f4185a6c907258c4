/**
 * A head block write that fails half-way (as on a full disk or a permission error): the
 * failure is made at the OS boundary, by putting a directory where the block writer is about
 * to create its `index` file, once the block's `<ulid>.tmp/` directory exists. (chmod does
 * not stop root, which these tests may run as.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { ULID_RE } from './block-format.js';
import { openTsdb, type Tsdb, type TsdbOptions } from './tsdb.js';
import { dump, memoryLogger, tempDir } from './wal-test-util.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const SERIES = 600; // more than the writer's 256-series slice: it yields while writing a block
const STEP = 600_000;

const opts = (dir: string, extra: Partial<TsdbOptions> = {}): TsdbOptions => ({
  dir,
  clock: new ManualClock(T0 + 100 * H),
  compactIntervalMs: 0,
  maxBlockRangeMs: 2 * H, // keep the level-1 blocks as written
  ...extra,
});

async function fill(db: Tsdb, from: number, to: number): Promise<number> {
  let n = 0;
  for (let t = from; t < to; t += STEP) {
    const app = db.appender();
    for (let i = 0; i < SERIES; i++) app.append(Labels.from({ __name__: 'm', i: String(i) }), t, i + (t - T0) / STEP);
    await app.commit();
    n += SERIES;
  }
  return n;
}

const failedTotal = (db: Tsdb): number | undefined =>
  db.collectMetrics().find((f) => f.name === 'prometheus_tsdb_compactions_failed_total')?.samples[0]?.value;
const tmpDirs = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));
const diskSamples = (db: Tsdb) => db.blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0);

/**
 * Runs `db.compact(all)`, and when the writer has created the `<ulid>.tmp/` directory of its
 * `nth` block (1-based), puts a directory where its index file goes. Returns the compaction's
 * outcome and the name of the damaged directory.
 */
async function compactFailingBlock(db: Tsdb, nth: number): Promise<{ err: unknown; tmp: string }> {
  let settled = false;
  let err: unknown;
  const run = db.compact({ all: true }).then(
    () => (settled = true),
    (e: unknown) => {
      settled = true;
      err = e;
    },
  );
  let tmp = '';
  while (!tmp && !settled) {
    await nextTurn();
    const names = fs.readdirSync(db.dir);
    const t = names.find((n) => n.endsWith('.tmp'));
    if (t !== undefined && names.filter((n) => ULID_RE.test(n)).length === nth - 1) {
      fs.mkdirSync(path.join(db.dir, t, 'index'));
      tmp = t;
    }
  }
  await run;
  return { err, tmp };
}

describe('a head block write that fails', () => {
  it('keeps the data queryable, removes the partial block, counts the failure, and the retry writes the rest once', async () => {
    const t = tempDir('block-write-failure');
    try {
      const logger = memoryLogger();
      const db = await openTsdb(opts(t.dir, { logger }));
      const total = await fill(db, T0, T0 + 6 * H); // three 2h ranges
      const want = dump(db);
      expect(failedTotal(db)).toBe(0);

      // The second of the three blocks fails half-way.
      const { err, tmp } = await compactFailingBlock(db, 2);
      expect(tmp).not.toBe('');
      expect((err as NodeJS.ErrnoException).code).toBe('EISDIR');
      expect(failedTotal(db)).toBe(1);
      expect(logger.at('error').map((e) => e.msg)).toContain(
        'writing head block failed; its data stays in memory and the WAL, retried at the next compaction',
      );
      // The partial directory is gone, the first block stays, nothing is lost from queries.
      expect(tmpDirs(t.dir)).toEqual([]);
      expect(db.blocks.map((b) => b.minTime - T0)).toEqual([0]);
      expect(dump(db)).toEqual(want);
      // The WAL is not checkpointed while the cut is not all in blocks.
      expect(db.metrics.tsdb.checkpoints).toBe(0);

      // The retry writes the two missing ranges only (no overlapping copy of the first).
      await db.compact();
      expect(failedTotal(db)).toBe(1);
      expect(db.blocks.map((b) => [b.minTime - T0, b.maxTime - T0])).toEqual([
        [0, 2 * H],
        [2 * H, 4 * H],
        [4 * H, 6 * H],
      ]);
      expect(db.metrics.tsdb.verticalCompactions).toBe(0);
      expect(diskSamples(db)).toBe(total);
      expect(dump(db)).toEqual(want);
      expect(db.metrics.tsdb.checkpoints).toBe(1);
      await db.close();

      // After a restart: everything once, from blocks; the WAL no longer holds the samples.
      const again = await openTsdb(opts(t.dir));
      expect(again.head.minTime).toBe(Infinity);
      expect(again.replay.samples).toBe(0);
      expect(diskSamples(again)).toBe(total);
      expect(dump(again)).toEqual(want);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('loses nothing when the process stops before the retry: the WAL replays the cut', async () => {
    const t = tempDir('block-write-failure-restart');
    try {
      const db = await openTsdb(opts(t.dir));
      const total = await fill(db, T0, T0 + 6 * H);
      const want = dump(db);
      const { err } = await compactFailingBlock(db, 1);
      expect((err as NodeJS.ErrnoException).code).toBe('EISDIR');
      expect(db.blocks).toHaveLength(0);
      expect(tmpDirs(t.dir)).toEqual([]);
      await db.close();

      const again = await openTsdb(opts(t.dir));
      expect(again.replay.samples).toBe(total);
      expect(dump(again)).toEqual(want);
      await again.compact({ all: true });
      expect(again.blocks).toHaveLength(3);
      expect(diskSamples(again)).toBe(total);
      expect(dump(again)).toEqual(want);
      await again.close();
    } finally {
      t.cleanup();
    }
  });
});
