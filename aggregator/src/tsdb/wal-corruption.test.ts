import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { openTsdb, type Tsdb } from './tsdb.js';
import { FRAME_HEADER_BYTES } from './wal-record.js';
import { dump, memoryLogger, segmentFiles, tempDir } from './wal-test-util.js';

const T0 = Date.UTC(2026, 0, 1);
const x = Labels.from({ __name__: 'x', job: 'j' });

/** Start offsets of the frames of a segment file. */
function frameStarts(file: string): number[] {
  const data = fs.readFileSync(file);
  const starts: number[] = [];
  for (let off = 0; off < data.length; off += FRAME_HEADER_BYTES + data.readUInt32LE(off)) starts.push(off);
  return starts;
}

const open = (dir: string, logger = memoryLogger(), walSegmentBytes?: number) =>
  openTsdb({ dir, clock: new ManualClock(T0 + 86_400_000), appendWindowMs: Infinity, logger, walSegmentBytes });

/** Writes txns commits, commit k holding x@T0+k and, every 5th, a new series y<k>. Returns dumps after each. */
async function fill(db: Tsdb, txns: number): Promise<Map<string, [number, string][]>[]> {
  const after: Map<string, [number, string][]>[] = [];
  for (let k = 0; k < txns; k++) {
    const app = db.appender();
    app.append(x, T0 + k * 1000, k);
    if (k % 5 === 0) app.append(Labels.from({ __name__: 'y', k: String(k) }), T0 + k * 1000, -k);
    await app.commit();
    after.push(dump(db));
  }
  return after;
}

describe('WAL recovery', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('cuts a torn last record at every byte offset and keeps everything before it', async () => {
    const t = tempDir('wal-torn');
    cleanup = t.cleanup;
    const src = path.join(t.dir, 'src');
    const db = await open(src);
    const dumps = await fill(db, 11); // the last commit (k=10) adds series y10: two frames
    await db.close();
    const [seg] = segmentFiles(src);
    const size = fs.statSync(seg).size;
    const starts = frameStarts(seg);
    const lastTxnStart = starts[starts.length - 2];
    const want = dumps[dumps.length - 2];
    let warned = 0;
    for (let cut = lastTxnStart; cut < size; cut++) {
      const dir = path.join(t.dir, `cut-${cut}`);
      fs.cpSync(src, dir, { recursive: true });
      fs.truncateSync(segmentFiles(dir)[0], cut);
      const logger = memoryLogger();
      const reopened = await open(dir, logger);
      // The last commit is all or nothing: even when y10's series frame survived whole, y10
      // is not there, since the commit's closing frame is not.
      expect(dump(reopened)).toEqual(want);
      expect(reopened.head.numSeries).toBe(3);
      const warns = logger.at('warn');
      if (cut === lastTxnStart) expect(warns).toEqual([]);
      else {
        warned++;
        expect(warns).toHaveLength(1);
        expect(warns[0].obj).toMatchObject({ kind: 'torn tail', file: '00000001' });
        expect(reopened.metrics.wal.corruptions).toBe(1);
      }
      // The repair is on disk: writing on and reopening is clean and keeps both.
      const app = reopened.appender();
      app.append(x, T0 + 60_000, 60);
      await app.commit();
      const now = dump(reopened);
      await reopened.close();
      const again = memoryLogger();
      const third = await open(dir, again);
      expect(dump(third)).toEqual(now);
      expect(again.at('warn')).toEqual([]);
      await third.close();
      fs.rmSync(dir, { recursive: true });
    }
    expect(warned).toBe(size - lastTxnStart - 1);
  });

  it('recovers everything before a bit flip in the middle and reports what was dropped', async () => {
    const t = tempDir('wal-flip');
    cleanup = t.cleanup;
    const src = path.join(t.dir, 'src');
    const db = await open(src, memoryLogger(), 1024);
    const dumps = await fill(db, 200);
    await db.close();
    const segs = segmentFiles(src);
    expect(segs.length).toBeGreaterThan(4);
    // Frame i of the whole WAL belongs to commit txnOf[i] (commits with a new series have two).
    const txnOf: number[] = [];
    for (let k = 0; k < 200; k++) txnOf.push(...(k % 5 === 0 ? [k, k] : [k]));
    let frame = 0;
    const frames: { file: number; start: number; txn: number }[] = [];
    segs.forEach((f, file) => frameStarts(f).forEach((start) => frames.push({ file, start, txn: txnOf[frame++] })));
    expect(frames).toHaveLength(txnOf.length);

    for (const pick of [frames.length >> 2, frames.length >> 1, frames.length - 30]) {
      const victim = frames[pick];
      for (const where of [1, 5, FRAME_HEADER_BYTES + 2]) {
        const dir = path.join(t.dir, `flip-${pick}-${where}`);
        fs.cpSync(src, dir, { recursive: true });
        const file = segmentFiles(dir)[victim.file];
        const data = fs.readFileSync(file);
        data[victim.start + where] ^= 0x04;
        fs.writeFileSync(file, data);
        const logger = memoryLogger();
        const db2 = await open(dir, logger, 1024);
        // Everything committed before the damaged commit is back; nothing after it.
        const want = victim.txn === 0 ? new Map() : dumps[victim.txn - 1];
        expect(dump(db2)).toEqual(want);
        const [warn] = logger.at('warn');
        expect(warn.msg).toMatch(/corrupt|partly written/);
        expect(warn.obj).toMatchObject({ file: path.basename(file), offset: victim.start });
        expect((warn.obj.droppedSegments as number[]).length).toBe(segs.length - 1 - victim.file);
        expect(warn.obj.droppedBytes).toBeGreaterThan(0);
        expect(db2.metrics.wal.corruptions).toBe(1);
        await db2.close();
        // Only the segments up to the damage remain (plus the new one this open started).
        expect(segmentFiles(dir)).toHaveLength(victim.file + 2);
        const logger2 = memoryLogger();
        const db3 = await open(dir, logger2, 1024);
        expect(dump(db3)).toEqual(want);
        expect(logger2.at('warn')).toEqual([]);
        await db3.close();
      }
    }
  });

  it('stops at a missing segment and drops the ones after the gap', async () => {
    const t = tempDir('wal-gap');
    cleanup = t.cleanup;
    const db = await open(t.dir, memoryLogger(), 1024);
    const dumps = await fill(db, 100);
    await db.close();
    const segs = segmentFiles(t.dir);
    const lastTxnBefore = (() => {
      let n = 0;
      for (const f of segs.slice(0, 2)) n += frameStarts(f).length;
      // Frames → commits: commit k has 2 frames when k % 5 === 0.
      let k = 0;
      for (let frames = 0; frames < n; k++) frames += k % 5 === 0 ? 2 : 1;
      return k - 1;
    })();
    fs.rmSync(segs[2]);
    const logger = memoryLogger();
    const db2 = await open(t.dir, logger, 1024);
    expect(dump(db2)).toEqual(dumps[lastTxnBefore]);
    expect(logger.at('warn')[0].obj).toMatchObject({ reason: expect.stringMatching(/missing/) });
    await db2.close();
  });
});
