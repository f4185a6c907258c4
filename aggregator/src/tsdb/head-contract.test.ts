import { ManualClock } from '@edgeprom/shared';
import { runStorageContract } from '../storage/contract.js';
import { Head } from './head.js';

// Time-window policies are Head options, tested in head.test.ts; the contract runs without them.
runStorageContract('Head', () => new Head({ clock: new ManualClock(), appendWindowMs: Infinity }));
runStorageContract('Head with 4-sample chunks', () =>
  new Head({ clock: new ManualClock(), appendWindowMs: Infinity, chunkSamples: 4 }),
);
