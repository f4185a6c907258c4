import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { runStorageContract } from '../storage/contract.js';
import type { Appender, AppenderOptions, Storage } from '../storage/interface.js';
import { openTsdb, type Tsdb, type TsdbOptions } from './tsdb.js';

// The store with blocks must behave exactly like the bare head. After every other commit
// the whole head is cut into blocks, so each test's data ends up spread over blocks (often
// several, overlapping, vertically compacted) and the head, out-of-order samples included.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-block-contract-'));
const open: Tsdb[] = [];
let n = 0;
afterAll(async () => {
  for (const db of open) await db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function compacting(db: Tsdb): Storage {
  let commits = 0;
  return {
    appender(opts?: AppenderOptions): Appender {
      const app = db.appender(opts);
      return {
        append: (l, t, v, ref) => app.append(l, t, v, ref),
        rollback: () => app.rollback(),
        async commit() {
          await app.commit();
          if (commits++ % 2 === 0) await db.compactHead({ all: true });
        },
      };
    },
    querier: (mint, maxt) => db.querier(mint, maxt),
  };
}

const factory = (extra: Partial<TsdbOptions>) => async () => {
  const db = await openTsdb({
    dir: path.join(root, String(n++)),
    clock: new ManualClock(),
    appendWindowMs: Infinity,
    compactIntervalMs: 0,
    ...extra,
  });
  open.push(db);
  return compacting(db);
};

runStorageContract('Tsdb cut into 2h blocks after every other commit', factory({}), { outOfOrder: true });
runStorageContract(
  'Tsdb cut into 300s blocks (4-sample chunks, 3-sample ooo buffers) after every other commit',
  factory({ chunkRangeMs: 300_000, blockRangeMs: 300_000, chunkSamples: 4, outOfOrderCapacity: 3, blockChunkSamples: 5 }),
  { outOfOrder: true },
);
runStorageContract(
  'Tsdb without an out-of-order window, cut into 300s blocks after every other commit',
  factory({ outOfOrderTimeWindowMs: 0, chunkRangeMs: 300_000, blockRangeMs: 300_000, chunkSamples: 4 }),
);
