/**
 * Head tombstones (`head-tombstones.json`) on disk, through openTsdb: a damaged file keeps the
 * store from opening (the WAL would bring the deleted samples back), the operator's way out
 * works, and a failed or interrupted checkpoint cannot resurrect deleted samples.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { Matcher } from '../storage/matcher.js';
import { HEAD_TOMBSTONES_FILE } from './head-tombstones.js';
import { openTsdb, type TsdbOptions } from './tsdb.js';
import { HeadTombstonesError } from './tsdb-errors.js';
import { dump, memoryLogger, tempDir } from './wal-test-util.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const L = (i: number) => Labels.from({ __name__: 'm', i: String(i) });

const opts = (dir: string, extra: Partial<TsdbOptions> = {}): TsdbOptions => ({
  dir,
  clock: new ManualClock(T0 + 100 * H),
  compactIntervalMs: 0,
  ...extra,
});

/** `series` series with a sample every 10 min in [from, to). */
async function fill(db: Awaited<ReturnType<typeof openTsdb>>, series: number, from: number, to: number): Promise<void> {
  const app = db.appender();
  for (let t = from; t < to; t += 600_000) for (let i = 0; i < series; i++) app.append(L(i), t, i * 1000 + (t - from) / 600_000);
  await app.commit();
}

/** A store with 3 series over 1 h in its head and series i=1 deleted; returns dumps before and after. */
async function withDeletion(dir: string) {
  const db = await openTsdb(opts(dir));
  await fill(db, 3, T0, T0 + H);
  const whole = dump(db);
  await db.deleteSeries([Matcher.equal('i', '1')]);
  const deleted = dump(db);
  await db.close();
  return { whole, deleted };
}

async function openError(dir: string, logger = memoryLogger()): Promise<HeadTombstonesError> {
  let err: unknown;
  await openTsdb(opts(dir, { logger })).then(
    (db) => db.close(),
    (e: unknown) => (err = e),
  );
  expect(err).toBeInstanceOf(HeadTombstonesError);
  return err as HeadTombstonesError;
}

describe('head tombstones on disk', () => {
  it('keeps deletions of head samples across a restart; the write leaves no temp file', async () => {
    const t = tempDir('head-tomb-ok');
    try {
      const { whole, deleted } = await withDeletion(t.dir);
      expect(deleted.size).toBe(whole.size - 1);
      expect(fs.readdirSync(t.dir).filter((n) => n.startsWith(HEAD_TOMBSTONES_FILE))).toEqual([HEAD_TOMBSTONES_FILE]);
      // A temp file left by a write that crashed before its rename is removed at open.
      fs.writeFileSync(path.join(t.dir, `${HEAD_TOMBSTONES_FILE}.tmp`), '{"version":1,"ser');
      const db = await openTsdb(opts(t.dir));
      expect(dump(db)).toEqual(deleted);
      expect(fs.existsSync(path.join(t.dir, `${HEAD_TOMBSTONES_FILE}.tmp`))).toBe(false);
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  const damages: [string, (f: string) => void, RegExp][] = [
    ['truncated', (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2)), /not JSON/],
    ['empty', (f) => fs.truncateSync(f, 0), /not JSON, 0 bytes/],
    ['garbage', (f) => fs.writeFileSync(f, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b])), /not JSON/],
    ['a directory in its place', (f) => (fs.rmSync(f), fs.mkdirSync(f)), /cannot read \(EISDIR\)/],
    ['another version', (f) => fs.writeFileSync(f, '{"version":2,"series":[]}'), /version 2, expected 1/],
    [
      'an interval with mint after maxt',
      (f) => fs.writeFileSync(f, JSON.stringify({ version: 1, series: [{ labels: { i: '1' }, intervals: [5, 4] }] })),
      /series\[0\]\.intervals\[0\.\.1\] = \[5,4\] is not a finite mint <= maxt/,
    ],
    [
      'an interval that is not a number',
      (f) => fs.writeFileSync(f, JSON.stringify({ version: 1, series: [{ labels: { i: '1' }, intervals: ['0', 9] }] })),
      /series\[0\]\.intervals\[0\.\.1\]/,
    ],
    [
      'a label value that is not a string',
      (f) => fs.writeFileSync(f, JSON.stringify({ version: 1, series: [{ labels: { i: 1 }, intervals: [0, 9] }] })),
      /series\[0\]\.labels\.i is not a string/,
    ],
  ];
  for (const [what, damage, why] of damages) {
    it(`refuses to open, naming the file and why, when head-tombstones.json is ${what}; the operator's ways out work`, async () => {
      const t = tempDir('head-tomb-bad');
      try {
        const { whole, deleted } = await withDeletion(t.dir);
        const file = path.join(t.dir, HEAD_TOMBSTONES_FILE);
        const good = fs.readFileSync(file);
        damage(file);
        const logger = memoryLogger();
        const err = await openError(t.dir, logger);
        expect(err).toMatchObject({ code: 'ERR_HEAD_TOMBSTONES', file });
        expect(err.why).toMatch(why);
        expect(err.message).toContain(`head tombstones file ${file} is unreadable (${err.why})`);
        expect(err.message).toContain(`mv ${file} ${file}.damaged`);
        expect(logger.at('error').map((x) => x.msg)).toEqual(['unreadable head tombstones: the store does not open']);
        expect(logger.at('error')[0].obj).toMatchObject({ file, why: err.why });
        // Nothing moved or deleted; every later open refuses too (never a silent resurrection).
        expect(fs.existsSync(file)).toBe(true);
        expect(fs.readdirSync(t.dir).filter((n) => n.includes('corrupt'))).toEqual([]);
        expect((await openError(t.dir)).why).toBe(err.why);
        // Restored: the deletion holds (the lock was released by the failed opens).
        fs.rmSync(file, { recursive: true });
        fs.writeFileSync(file, good);
        let db = await openTsdb(opts(t.dir));
        expect(dump(db)).toEqual(deleted);
        await db.close();
        // Moved aside instead: the store opens and serves the head's deleted samples again.
        damage(file);
        fs.renameSync(file, `${file}.damaged`);
        db = await openTsdb(opts(t.dir));
        expect(dump(db)).toEqual(whole);
        await db.close();
      } finally {
        t.cleanup();
      }
    });
  }

  it('a checkpoint that fails after the cut (as a crash there) cannot bring deleted samples back', async () => {
    const t = tempDir('head-tomb-cut');
    try {
      let db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 3.5 * H);
      // Deleted in the first 2 h: the range the cut writes into a block and drops from the WAL.
      await db.deleteSeries([Matcher.equal('i', '1')], T0, T0 + H);
      const deleted = dump(db);
      expect(deleted.get(L(1).toString())?.length).toBe(21 - 7);
      // The checkpoint after the block write fails: its target names are taken by non-empty
      // directories, so its rename fails (the WAL keeps every sample, deleted ones included).
      const obstacles: string[] = [];
      for (let n = 0; n < 100; n++) {
        const p = path.join(t.dir, 'wal', `checkpoint.${String(n).padStart(8, '0')}`);
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, 'x'), '');
        obstacles.push(p);
      }
      await expect(db.compact()).rejects.toThrow();
      expect(db.blocks).toHaveLength(1);
      expect(db.metrics.tsdb.checkpointsFailed).toBe(1);
      expect(dump(db)).toEqual(deleted);
      await db.close();
      for (const p of obstacles) fs.rmSync(p, { recursive: true });
      db = await openTsdb(opts(t.dir));
      expect(dump(db)).toEqual(deleted);
      // The next cut checkpoints the WAL, then forgets the intervals the blocks now hold.
      await fill(db, 3, T0 + 3.5 * H, T0 + 5.5 * H);
      await db.compact();
      expect(db.headTombstones.size).toBe(0);
      expect(fs.existsSync(path.join(t.dir, HEAD_TOMBSTONES_FILE))).toBe(false);
      const later = dump(db);
      await db.close();
      db = await openTsdb(opts(t.dir));
      expect(dump(db)).toEqual(later);
      expect(later.get(L(1).toString())!.filter(([ts]) => ts <= T0 + H)).toEqual([]);
      await db.close();
    } finally {
      t.cleanup();
    }
  });
});
