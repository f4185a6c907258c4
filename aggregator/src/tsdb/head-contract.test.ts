import { ManualClock } from '@edgeprom/shared';
import { runStorageContract } from '../storage/contract.js';
import { Head } from './head.js';

// Time-window policies are Head options, tested in head.test.ts and ooo-*.test.ts; the contract
// runs with the appendable window off, with and without the out-of-order window (default 7d).
const clock = () => new ManualClock();
runStorageContract('Head', () => new Head({ clock: clock(), appendWindowMs: Infinity }), { outOfOrder: true });
runStorageContract(
  'Head with 4-sample chunks, 3-sample out-of-order buffers',
  () => new Head({ clock: clock(), appendWindowMs: Infinity, chunkSamples: 4, outOfOrderCapacity: 3 }),
  { outOfOrder: true },
);
runStorageContract(
  'Head with a 1s appendable window (older samples go out of order)',
  () => new Head({ clock: clock(), appendWindowMs: 1000, chunkSamples: 4, outOfOrderCapacity: 2 }),
  { outOfOrder: true },
);
runStorageContract('Head without an out-of-order window', () =>
  new Head({ clock: clock(), appendWindowMs: Infinity, outOfOrderTimeWindowMs: 0 }),
);
runStorageContract('Head without an out-of-order window, 4-sample chunks', () =>
  new Head({ clock: clock(), appendWindowMs: Infinity, chunkSamples: 4, outOfOrderTimeWindowMs: 0 }),
);
