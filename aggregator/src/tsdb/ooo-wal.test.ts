import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { float64FromBits, STALE_NAN } from '../storage/value.js';
import { openTsdb, type Tsdb, type TsdbOptions } from './tsdb.js';
import { dump, memoryLogger, segmentFiles, tempDir } from './wal-test-util.js';

const T0 = Date.UTC(2026, 0, 10);
const STEP = 15_000;

/** Awkward bit patterns mixed into ordinary values. */
function value(i: number, k: number): number {
  switch ((i + k) % 11) {
    case 0:
      return STALE_NAN;
    case 1:
      return float64FromBits(0x7ff00000, 0x12345 + i); // a signalling NaN with a payload
    case 2:
      return -0;
    default:
      return i * 1000 + k * 0.25;
  }
}

describe('out-of-order samples in the WAL', () => {
  let cleanup = () => {};
  const open: Tsdb[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    cleanup();
  });
  const openAt = async (dir: string, extra: Partial<TsdbOptions> = {}) => {
    const db = await openTsdb({ dir, clock: new ManualClock(T0), walSegmentBytes: 16 * 1024, ...extra });
    open.push(db);
    return db;
  };
  const reopen = async (db: Tsdb, extra: Partial<TsdbOptions> = {}) => {
    open.splice(open.indexOf(db), 1);
    await db.close();
    return openAt(db.dir, extra);
  };
  const series = Array.from({ length: 30 }, (_, i) => Labels.from({ __name__: 'm', i: String(i) }));

  /** In-order samples for the last 10 minutes, then the 2 hours before replayed out of order. */
  async function fill(db: Tsdb): Promise<void> {
    const app = db.appender();
    for (let t = T0 - 40 * STEP; t <= T0; t += STEP) series.forEach((l, i) => app.append(l, t, value(i, t / STEP)));
    await app.commit();
    for (let k = 0; k < 480; k += 100) {
      const batch = db.appender();
      series.forEach((l, i) => {
        for (let j = k; j < Math.min(k + 100, 480); j++) {
          const t = T0 - 41 * STEP - (480 - j) * STEP + 3;
          batch.append(l, t, value(i, j));
        }
      });
      // A commit mixing kinds: an in-order sample of a new series, with the replay.
      batch.append(Labels.from({ __name__: 'live', k: String(k) }), T0, k);
      await batch.commit();
    }
  }

  it('replays them bit-exactly after a restart, into the out-of-order store', async () => {
    const t = tempDir('ooo-wal');
    cleanup = t.cleanup;
    let db = await openAt(t.dir, { chunkSamples: 50, outOfOrderCapacity: 7 });
    await fill(db);
    expect(db.metrics.wal.oooSamplesLogged).toBe(30 * 480);
    expect(db.metrics.head.outOfOrder.appended).toBe(30 * 480);
    const before = dump(db);
    expect(before.get('m{i="3"}')).toHaveLength(41 + 480);
    expect(segmentFiles(t.dir).length).toBeGreaterThan(3);
    db = await reopen(db, { chunkSamples: 50, outOfOrderCapacity: 7 });
    expect(dump(db)).toEqual(before);
    expect(db.replay).toMatchObject({ samples: 30 * 521 + 5, oooSamples: 30 * 480 });
    expect(db.head.stats().outOfOrder.samples).toBe(30 * 480);
    // Replay restores the out-of-order store, so repeats are still no-ops after a restart.
    const again = db.appender();
    again.append(series[3], T0 - 41 * STEP - 480 * STEP + 3, value(3, 0));
    expect(() => again.append(series[3], T0 - 41 * STEP - 479 * STEP + 3, 42)).toThrow(
      expect.objectContaining({ code: 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP' }),
    );
    await again.commit();
    expect(db.metrics.wal.oooSamplesLogged).toBe(0);
  });

  it('keeps them through a checkpoint, and replays them even with the window switched off', async () => {
    const t = tempDir('ooo-wal-checkpoint');
    cleanup = t.cleanup;
    const logger = memoryLogger();
    let db = await openAt(t.dir, { logger });
    await fill(db);
    const before = dump(db);
    const cp = await db.checkpoint();
    expect(cp.samples).toBe(30 * 521 + 5);
    db = await reopen(db, { logger, outOfOrderTimeWindowMs: 0 });
    expect(dump(db)).toEqual(before);
    expect(db.replay.oooSamples).toBe(30 * 480);
    expect(logger.at('warn')).toEqual([]);
    // With the window off, older samples are refused again; the replayed ones stay.
    const app = db.appender();
    expect(() => app.append(series[0], T0 - 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_ORDER_SAMPLE' }));
    app.rollback();
  });

  it('drops a commit whole when the tail is cut inside its out-of-order record', async () => {
    const t = tempDir('ooo-wal-torn');
    cleanup = t.cleanup;
    const logger = memoryLogger();
    let db = await openAt(t.dir, { logger });
    const [a, b] = series;
    const write = async (k: number) => {
      const app = db.appender();
      app.append(a, T0 + k, k); // in order
      app.append(b, T0 - 1000 * k, -k); // out of order after the first commit
      await app.commit();
    };
    for (let k = 1; k <= 3; k++) await write(k);
    const keep = dump(db);
    await write(4);
    expect(dump(db).get('m{i="1"}')).toHaveLength(4);
    open.splice(open.indexOf(db), 1);
    await db.close();
    // The last commit ends with its out-of-order record: cut 5 bytes into that record's value.
    const [seg] = segmentFiles(t.dir).slice(-1);
    fs.truncateSync(seg, fs.statSync(seg).size - 5);
    db = await openAt(t.dir, { logger });
    expect(dump(db)).toEqual(keep);
    expect(logger.at('warn').map((w) => w.obj.kind)).toEqual(['torn tail']);
  });

  it('replays the whole day twice as no-ops: nothing more logged, same data after a restart', async () => {
    const t = tempDir('ooo-wal-idempotent');
    cleanup = t.cleanup;
    let db = await openAt(t.dir);
    await fill(db);
    const before = dump(db);
    const logged = db.metrics.wal.samplesLogged + db.metrics.wal.oooSamplesLogged;
    const ignored = db.metrics.head.outOfOrder.duplicatesIgnored;
    const size = () => segmentFiles(t.dir).reduce((n, f) => n + fs.statSync(f).size, 0);
    const bytes = size();
    await fill(db);
    expect(dump(db)).toEqual(before);
    // The in-order part is at the newest timestamps: repeats of the newest sample, ignored too.
    expect(db.metrics.wal.samplesLogged + db.metrics.wal.oooSamplesLogged).toBe(logged);
    expect(db.metrics.head.outOfOrder.duplicatesIgnored - ignored).toBe(30 * 480 + 30 * 40);
    expect(size()).toBe(bytes);
    db = await reopen(db);
    expect(dump(db)).toEqual(before);
  });
});
