/**
 * Test helper run as a child process (crash.test.ts): appends and flushes as fast as it can
 * and reports each durable seq on stdout, until the parent SIGKILLs it mid-write.
 * Every value is seq / 2, so the parent can check each sample it finds after the crash.
 * With `hold`, it holds the samples instead (an untrusted clock): collection c is held at
 * monotonic c × 1000 ms with every value c, and it reports the held samples made durable.
 * Usage: node --import tsx crash-child.ts <db path> <boot id file> [hold]
 */
import { RealClock } from '@edgeprom/shared';
import { LevelSampleBuffer } from './level-buffer.js';
import { gauges } from './testing.js';

const [path, bootIdPath, mode] = process.argv.slice(2);
const clock = new RealClock();
const buffer = new LevelSampleBuffer({ path, bootIdPath, clock, flushIntervalMs: 3_600_000, lockWaitMs: 30_000 });
await buffer.open();
const durable = () => buffer.stats().boots.find((b) => b.boot === buffer.stats().boot)!.lastSeq;
let seq = durable() + 1;
process.stdout.write(`open ${seq - 1}\n`);
let cycle = 0;
const held = () => buffer.stats().held.samples - buffer.stats().held.pendingSamples;
const hold = () => {
  buffer.hold([gauges('crash', 200, () => cycle)], clock.now(), cycle * 1000, 'crash-domain');
  cycle++;
};
if (mode === 'hold') {
  for (;;) {
    hold();
    const flushing = buffer.flush();
    hold();
    await flushing;
    process.stdout.write(`flushed ${held()}\n`);
  }
}
const collect = () => {
  const start = seq;
  buffer.append([gauges('crash', 200, (i) => (start + i) / 2)], clock.now());
  seq += 200;
};
for (;;) {
  collect();
  const flushing = buffer.flush();
  collect(); // appends land while the batch is being written
  await flushing;
  process.stdout.write(`flushed ${durable()}\n`);
}
