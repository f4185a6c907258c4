import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { openTsdb, type Tsdb } from './tsdb.js';
import { dump, memoryLogger, segmentFiles, tempDir } from './wal-test-util.js';

const T0 = Date.UTC(2026, 0, 1);
const series = Array.from({ length: 50 }, (_, i) => Labels.from({ __name__: 'm', i: String(i) }));

const open = (dir: string, logger = memoryLogger()) =>
  openTsdb({ dir, clock: new ManualClock(T0 + 86_400_000), appendWindowMs: Infinity, walSegmentBytes: 4096, logger });

async function write(db: Tsdb, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) {
    const app = db.appender();
    for (let i = 0; i < series.length; i++) if ((i + k) % 3 !== 0) app.append(series[i], T0 + k * 1000, k * 100 + i);
    await app.commit();
  }
}

const walNames = (dir: string) => fs.readdirSync(path.join(dir, 'wal')).sort();

describe('WAL checkpoint', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('replaces the segments it covers, and replay gives the same head', async () => {
    const t = tempDir('wal-ckpt');
    cleanup = t.cleanup;
    let db = await open(t.dir);
    await write(db, 0, 40);
    const segsBefore = segmentFiles(t.dir).length;
    expect(segsBefore).toBeGreaterThan(2);
    const r = await db.checkpoint();
    expect(r.segmentsDeleted).toBe(segsBefore);
    expect(r.series).toBe(50);
    expect(r.droppedSamples).toBe(0);
    expect(walNames(t.dir)).toEqual([String(r.through + 1).padStart(8, '0'), `checkpoint.${String(r.through).padStart(8, '0')}`]);
    await write(db, 40, 60);
    const before = dump(db);
    await db.close();

    db = await open(t.dir);
    expect(dump(db)).toEqual(before);
    expect(db.replay.checkpoint).toBe(r.through);
    // A second checkpoint folds in the first, which is then deleted.
    const r2 = await db.checkpoint();
    expect(r2.through).toBeGreaterThan(r.through);
    expect(walNames(t.dir).filter((n) => n.startsWith('checkpoint.'))).toEqual([`checkpoint.${String(r2.through).padStart(8, '0')}`]);
    // Series created after the checkpoint get fresh WAL refs and survive the next replay.
    const app = db.appender();
    app.append(Labels.from({ __name__: 'new' }), T0 + 99_000, 1);
    await app.commit();
    const after = dump(db);
    await db.close();
    db = await open(t.dir);
    expect(dump(db)).toEqual(after);
    await db.close();
  });

  it('drops samples before mint and series not kept, only from the segments it covers', async () => {
    const t = tempDir('wal-ckpt-mint');
    cleanup = t.cleanup;
    let db = await open(t.dir);
    const early = Labels.from({ __name__: 'early' });
    const app = db.appender();
    app.append(early, T0, 1);
    await app.commit();
    await write(db, 0, 30);
    const mint = T0 + 20 * 1000;
    const r = await db.checkpoint({ mint, keepSeries: (ref) => db.head.store.labels[ref].get('i') !== '7' });
    expect(r.droppedSamples).toBeGreaterThan(0);
    expect(r.droppedSeries).toBe(1);
    await write(db, 30, 35);
    await db.close();
    const logger = memoryLogger();
    db = await open(t.dir, logger);
    const got = dump(db);
    for (const [labels, samples] of got) {
      const ts = samples.map(([ts]) => ts);
      expect(ts.every((x) => x >= mint)).toBe(true);
      expect(labels).not.toBe('m{i="7"}');
    }
    expect(got.get('m{i="1"}')!.map(([ts]) => (ts - T0) / 1000)).toEqual(
      Array.from({ length: 15 }, (_, j) => 20 + j).filter((k) => (1 + k) % 3 !== 0),
    );
    // `early` is still a series (kept), but all its samples were before mint: it selects nothing.
    expect(got.has('early')).toBe(false);
    expect(db.head.numSeries).toBe(50);
    // Samples of the dropped series written after the checkpoint have no series record left.
    expect(db.replay.unknownSeriesSamples).toBeGreaterThan(0);
    expect(logger.at('warn')).toHaveLength(1);
    await db.close();
  });

  it('survives a crash mid-checkpoint: a .tmp is discarded, covered segments are not replayed twice', async () => {
    const t = tempDir('wal-ckpt-crash');
    cleanup = t.cleanup;
    let db = await open(t.dir);
    await write(db, 0, 20);
    const before = dump(db);
    await db.close();
    const walDir = path.join(t.dir, 'wal');
    // A checkpoint that never got renamed into place.
    fs.mkdirSync(path.join(walDir, 'checkpoint.00000002.tmp'));
    fs.writeFileSync(path.join(walDir, 'checkpoint.00000002.tmp', '00000000'), 'half');
    db = await open(t.dir);
    expect(dump(db)).toEqual(before);
    expect(walNames(t.dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    // A checkpoint whose covered segments were not deleted yet (crash right after the rename).
    const keep = segmentFiles(t.dir).map((f) => [f, fs.readFileSync(f)] as const);
    await db.checkpoint();
    await db.close();
    for (const [f, data] of keep) if (!fs.existsSync(f)) fs.writeFileSync(f, data);
    db = await open(t.dir);
    expect(dump(db)).toEqual(before);
    expect(db.replay.segments.every((s) => s > db.replay.checkpoint!)).toBe(true);
    await db.close();
  });
});
