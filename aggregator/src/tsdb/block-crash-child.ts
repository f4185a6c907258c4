/**
 * The writer that block-crash.test.ts kills with SIGKILL (run with `node --import tsx`; not
 * a test itself). It opens the store in argv[2] with 60 s blocks and runs `writers`
 * concurrent writers plus a loop calling compact() back to back, so kills land in every
 * phase of a compaction (block writes, renames, head truncation, checkpoints, deletions).
 *
 * Transaction `id` (global, increasing across restarts) writes value id * 16 + j to
 * blk{w, j} at T0 + id * 1000 for j < 5, and value id to blk_ooo{w} at T0 + id * 1000 - 5 min,
 * which lands in ranges already cut into blocks (out of order). It reports ids over IPC
 * before commit() and after it resolves, as wal-crash-child.ts does.
 */
import { Labels, RealClock } from '@edgeprom/shared';
import { openTsdb } from './tsdb.js';

export const BLK_T0 = Date.UTC(2026, 0, 1);
export const BLK_SERIES = 5;
export const BLK_RANGE = 60_000;
export const BLK_OOO_LAG = 300_000;
export const blkLabels = (w: number, j: number) => Labels.from({ __name__: 'blk', w: String(w), j: String(j) });
export const blkOooLabels = (w: number) => Labels.from({ __name__: 'blk_ooo', w: String(w) });

export type BlkMessage = { committing: number } | { committed: number } | { ready: number };

function send(msg: BlkMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function main(): Promise<void> {
  const [dir, writersArg] = process.argv.slice(2);
  const clock = new RealClock();
  const db = await openTsdb({
    dir,
    fsync: 'always',
    walSegmentBytes: 32 * 1024,
    chunkRangeMs: BLK_RANGE,
    compactIntervalMs: 0,
    blockChunkSamples: 20,
  });
  const newest = db.head.maxTime === -Infinity ? -Infinity : db.head.maxTime;
  const inBlocks = Math.max(-Infinity, ...db.blocks.map((b) => b.maxTime - 1));
  const top = Math.max(newest, inBlocks);
  let next = top === -Infinity ? 0 : Math.floor((top - BLK_T0) / 1000) + 1;
  await send({ ready: next });
  void (async () => {
    for (;;) {
      await db.compact();
      await clock.sleep(2);
    }
  })();
  await Promise.all(
    Array.from({ length: Number(writersArg) }, async (_, w) => {
      const labels = Array.from({ length: BLK_SERIES }, (_, j) => blkLabels(w, j));
      for (;;) {
        const id = next++;
        const app = db.appender();
        for (let j = 0; j < labels.length; j++) app.append(labels[j], BLK_T0 + id * 1000, id * 16 + j);
        app.append(blkOooLabels(w), BLK_T0 + id * 1000 - BLK_OOO_LAG, id);
        await send({ committing: id });
        await app.commit();
        await send({ committed: id });
      }
    }),
  );
}

if (process.env.EDGEPROM_BLOCK_CRASH_CHILD === '1') await main();
