/**
 * The writer that wal-crash.test.ts kills with SIGKILL (run with `node --import tsx`; not a
 * test itself). It opens the store in argv[2] and runs `writers` concurrent writers forever,
 * each committing transactions of 10 samples to its own 10 series. Before commit() it tells
 * the parent over IPC which transaction it is committing, after commit() resolves that it is
 * committed, and waits until each message is handed to the channel before going on, so the
 * parent never misses a transaction whose commit was called or resolved.
 *
 * Transaction ids are global and keep increasing across restarts (from the newest replayed
 * timestamp). Every 7th id (id % 7 === 3) is rolled back instead; every 5th also creates a
 * series of its own, `fresh{id}`; every 50th (id % 50 === 7) also writes CRASH_BULK samples to
 * the writer's `bulk` series, a write big enough that a kill can land in the middle of it.
 * Sample value = id * 16 + j, at t = T0 + id. Every transaction also writes one sample to the
 * writer's `crash_ooo` series at T0 - id, older than all before it: out of order (the default
 * window takes it), so it lands in the same commit's ooo samples record.
 */
import { Labels } from '@edgeprom/shared';
import { openTsdb } from './tsdb.js';

export const CRASH_T0 = Date.UTC(2026, 0, 1);
export const CRASH_SERIES_PER_WRITER = 10;
export const isRolledBack = (id: number) => id % 7 === 3;
export const crashLabels = (w: number, j: number) => Labels.from({ __name__: 'crash', w: String(w), j: String(j) });
export const freshLabels = (id: number) => Labels.from({ __name__: 'fresh', id: String(id) });
export const CRASH_BULK = 2000;
export const isBulk = (id: number) => id % 50 === 7;
export const bulkLabels = (w: number, b: number) => Labels.from({ __name__: 'bulk', w: String(w), b: String(b) });
export const oooLabels = (w: number) => Labels.from({ __name__: 'crash_ooo', w: String(w) });

export type CrashMessage = { committing: number; w: number } | { committed: number; w: number } | { ready: number };

function send(msg: CrashMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function main(): Promise<void> {
  const [dir, writersArg] = process.argv.slice(2);
  const writers = Number(writersArg);
  const db = await openTsdb({ dir, fsync: 'always', walSegmentBytes: 64 * 1024, appendWindowMs: Infinity });
  let next = db.head.maxTime === -Infinity ? 0 : db.head.maxTime - CRASH_T0 + 1;
  await send({ ready: next });
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const labels = Array.from({ length: CRASH_SERIES_PER_WRITER }, (_, j) => crashLabels(w, j));
      const bulk = Array.from({ length: CRASH_BULK }, (_, b) => bulkLabels(w, b));
      const ooo = oooLabels(w);
      for (;;) {
        const id = next++;
        const app = db.appender();
        for (let j = 0; j < labels.length; j++) app.append(labels[j], CRASH_T0 + id, id * 16 + j);
        if (id % 5 === 0) app.append(freshLabels(id), CRASH_T0 + id, id);
        if (isBulk(id)) for (let b = 0; b < bulk.length; b++) app.append(bulk[b], CRASH_T0 + id, id + b);
        app.append(ooo, CRASH_T0 - id, id);
        if (isRolledBack(id)) {
          app.rollback();
          continue;
        }
        await send({ committing: id, w });
        await app.commit();
        await send({ committed: id, w });
      }
    }),
  );
}

// Imported by the test for its constants; runs only when started as the child.
if (process.env.EDGEPROM_WAL_CRASH_CHILD === '1') await main();
