import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { float64FromBits, STALE_NAN } from '../storage/value.js';
import { openTsdb, type Tsdb, type TsdbOptions } from './tsdb.js';
import { dump, memoryLogger, segmentFiles, tempDir } from './wal-test-util.js';

const T0 = Date.UTC(2026, 0, 1);

/** A value per (series, step) with awkward bit patterns mixed in. */
function value(i: number, k: number): number {
  switch ((i + k) % 23) {
    case 0:
      return STALE_NAN;
    case 1:
      return float64FromBits(0xfff80000, i + 1); // NaN with a payload
    case 2:
      return -0;
    case 3:
      return k % 2 ? Infinity : -Infinity;
    default:
      return (i * 1000 + k) * 0.1;
  }
}

describe('WAL replay', () => {
  let cleanup = () => {};
  const open: Tsdb[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    cleanup();
  });
  const openAt = async (dir: string, extra: Partial<TsdbOptions> = {}) => {
    const db = await openTsdb({ dir, clock: new ManualClock(T0 + 86_400_000), appendWindowMs: Infinity, ...extra });
    open.push(db);
    return db;
  };
  const closeDb = async (db: Tsdb) => {
    open.splice(open.indexOf(db), 1);
    await db.close();
  };

  it('rebuilds the head bit-exactly across segments and several restarts', async () => {
    const t = tempDir('wal-replay');
    cleanup = t.cleanup;
    const series = Array.from({ length: 1500 }, (_, i) =>
      Labels.from({ __name__: `m${i % 7}`, instance: `host-${i % 100}`, i: String(i) }),
    );
    const logger = memoryLogger();
    let db = await openAt(t.dir, { walSegmentBytes: 64 * 1024, logger });
    let k = 0;
    for (let round = 0; round < 3; round++) {
      for (let step = 0; step < 10; step++, k++) {
        // One transaction per "target" of 100 series, 15 targets, committed concurrently.
        await Promise.all(
          Array.from({ length: 15 }, async (_, tg) => {
            const app = db.appender();
            for (let i = tg * 100; i < tg * 100 + 100; i++) app.append(series[i], T0 + k * 15_000 + (i % 13), value(i, k));
            await app.commit();
          }),
        );
      }
      // New series after a restart, and a rolled-back transaction that must leave nothing.
      const app = db.appender();
      app.append(Labels.from({ __name__: 'late', round: String(round) }), T0 + k * 15_000, round);
      await app.commit();
      const ghost = db.appender();
      ghost.append(Labels.from({ __name__: 'ghost' }), T0 + k * 15_000, 1);
      ghost.append(series[0], T0 + k * 15_000 + 1, 1);
      ghost.rollback();

      const before = dump(db);
      await closeDb(db);
      db = await openAt(t.dir, { walSegmentBytes: 64 * 1024, logger });
      expect(dump(db)).toEqual(before);
      expect(db.replay.samples).toBe(k * 1500 + round + 1);
      expect(db.replay.repair).toBeUndefined();
    }
    expect(segmentFiles(t.dir).length).toBeGreaterThan(10);
    expect(dump(db).has('ghost')).toBe(false);
    expect(logger.at('warn')).toEqual([]);
    // WAL refs keep counting after a restart: a series created now is distinct after replay.
    const app = db.appender();
    app.append(Labels.from({ __name__: 'after' }), T0, 42);
    await app.commit();
    const before = dump(db);
    await closeDb(db);
    db = await openAt(t.dir);
    expect(dump(db)).toEqual(before);
  });

  it('replays samples that only another commit ordered, as the head applied them', async () => {
    const t = tempDir('wal-replay-order');
    cleanup = t.cleanup;
    let db = await openAt(t.dir, { outOfOrderTimeWindowMs: 0 });
    const a = Labels.from({ __name__: 'a' });
    const slow = db.appender();
    const fast = db.appender();
    slow.append(a, 2000, 2);
    fast.append(a, 3000, 3);
    await fast.commit();
    await slow.commit(); // 2000 is out of order by now: dropped, and not logged
    const before = dump(db);
    expect(before.get('a')).toHaveLength(1);
    await closeDb(db);
    db = await openAt(t.dir);
    expect(dump(db)).toEqual(before);
  });

  it('starts a fresh segment at each open and never rewrites an old one', async () => {
    const t = tempDir('wal-replay-segments');
    cleanup = t.cleanup;
    let db = await openAt(t.dir);
    const app = db.appender();
    app.append(Labels.from({ __name__: 'x' }), T0, 1);
    await app.commit();
    await closeDb(db);
    const first = fs.readFileSync(segmentFiles(t.dir)[0]);
    db = await openAt(t.dir);
    expect(segmentFiles(t.dir).map((f) => f.slice(-8))).toEqual(['00000001', '00000002']);
    await closeDb(db);
    expect(fs.readFileSync(segmentFiles(t.dir)[0])).toEqual(first);
  });
});
