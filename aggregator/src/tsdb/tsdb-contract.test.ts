import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { runStorageContract } from '../storage/contract.js';
import { openTsdb, type Tsdb } from './tsdb.js';

// The WAL-backed store must behave exactly like the bare head: same suite, real files, default
// fsync policy (always, group commit).
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-tsdb-contract-'));
const open: Tsdb[] = [];
let n = 0;
afterAll(async () => {
  for (const db of open) await db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

// Default options: out-of-order window of 7 days.
runStorageContract(
  'Tsdb (head + WAL)',
  async () => {
    const db = await openTsdb({ dir: path.join(root, String(n++)), clock: new ManualClock(), appendWindowMs: Infinity });
    open.push(db);
    return db;
  },
  { outOfOrder: true },
);
runStorageContract(
  'Tsdb with 4-sample chunks, 3-sample out-of-order buffers and 4 KiB segments',
  async () => {
    const db = await openTsdb({
      dir: path.join(root, String(n++)),
      clock: new ManualClock(),
      appendWindowMs: Infinity,
      chunkSamples: 4,
      outOfOrderCapacity: 3,
      walSegmentBytes: 4096,
    });
    open.push(db);
    return db;
  },
  { outOfOrder: true },
);
runStorageContract('Tsdb without an out-of-order window, 4-sample chunks and 4 KiB segments', async () => {
  const db = await openTsdb({
    dir: path.join(root, String(n++)),
    clock: new ManualClock(),
    appendWindowMs: Infinity,
    outOfOrderTimeWindowMs: 0,
    chunkSamples: 4,
    walSegmentBytes: 4096,
  });
  open.push(db);
  return db;
});
