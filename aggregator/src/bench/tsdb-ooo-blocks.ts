/**
 * Out-of-order samples below the head's floor: their range was already cut into a block, so
 * each one is checked against the blocks too (a timestamp is stored once; see docs/tsdb.md,
 * "Compaction"). `series` series get a sample every 30 s for 8 h, the head is cut (blocks up
 * to 6 h), then the samples in between (t + 15 s) of the first 4 h are replayed (new
 * timestamps, all below the floor), then the original ones again (exact repeats of block
 * samples, all no-ops). Prints samples per CPU-second and per wall-second of each replay;
 * last line JSON.
 *
 *   node aggregator/dist/bench/tsdb-ooo-blocks.js [series=1000] [dir=os.tmpdir()]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Labels, ManualClock } from '@edgeprom/shared';
import { openTsdb } from '../tsdb/tsdb.js';

const [nArg, baseDir = os.tmpdir()] = process.argv.slice(2);
const N = Number(nArg ?? 1000);
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const dir = fs.mkdtempSync(path.join(baseDir, 'edgeprom-bench-ooo-blocks-'));

try {
  const db = await openTsdb({ dir, clock: new ManualClock(T0 + 100 * H), compactIntervalMs: 0, fsync: 'never' });
  const ls = Array.from({ length: N }, (_, i) => Labels.from({ __name__: `m${i % 10}`, instance: `h${i}` }));
  for (let t = T0; t < T0 + 8 * H; t += 30_000) {
    const a = db.appender();
    for (let i = 0; i < N; i++) a.append(ls[i], t, i);
    await a.commit();
  }
  await db.compact();
  const pass = async (offset: number): Promise<{ samples: number; perCpuSec: number; perSec: number }> => {
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    let n = 0;
    for (let t = T0 + offset; t < T0 + 4 * H; t += 30_000) {
      const a = db.appender();
      for (let i = 0; i < N; i++, n++) a.append(ls[i], t, offset === 0 ? i : -i);
      await a.commit();
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - w0;
    return { samples: n, perCpuSec: Math.round(n / ((cpu.user + cpu.system) / 1e6)), perSec: Math.round((n / wall) * 1000) };
  };
  const fresh = await pass(15_000);
  const repeats = await pass(0);
  console.log(`blocks: ${db.blocks.length}, head floor at ${(db.head.truncatedBefore - T0) / H} h`);
  console.log(`new samples below the floor: ${fresh.samples}, ${(fresh.perCpuSec / 1e3).toFixed(0)} k per CPU-s (${(fresh.perSec / 1e3).toFixed(0)} k/s wall)`);
  console.log(`exact repeats of block samples: ${repeats.samples}, ${(repeats.perCpuSec / 1e3).toFixed(0)} k per CPU-s (${(repeats.perSec / 1e3).toFixed(0)} k/s wall), ignored ${db.metrics.head.duplicatesIgnored}`);
  console.log(JSON.stringify({ bench: 'tsdb-ooo-blocks', series: N, fresh, repeats }));
  await db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
