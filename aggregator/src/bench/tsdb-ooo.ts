/**
 * Out-of-order benchmark: agents come back after a day offline. 1,000 node_exporter-like
 * series have in-order data for the last hour (up to "now"); then the day they buffered
 * before that is replayed, oldest first, in push batches of `batchMinutes` of samples for all
 * series (every sample out of order), and then replayed again (every sample an exact repeat,
 * a no-op). Measures append throughput of each pass, into the bare head and into the
 * WAL-backed store (fsync never), and a select of every series over the day, merged. Last
 * line is JSON.
 *
 *   npx tsx aggregator/src/bench/tsdb-ooo.ts [series=1000] [hours=24] [batchMinutes=10] [order=time] [dir=os.tmpdir()]
 *
 * order=random replays the day's samples in a random order (the same for every series)
 * instead of oldest first: the worst case of the out-of-order store, which then re-encodes
 * most of a series' chunks at every buffer cut (see ooo-store.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, type Labels } from '@edgeprom/shared';
import { prng } from '@edgeprom/shared/testing';
import { ValueType, type SampleIterator, type Storage } from '../storage/interface.js';
import { Head } from '../tsdb/head.js';
import { openTsdb } from '../tsdb/tsdb.js';
import { nodeLikeSeries, seriesValues } from './node-like-data.js';

const args = process.argv.slice(2);
const [nSeries = 1000, hours = 24, batchMinutes = 10] = args.slice(0, 3).map(Number);
const order = args[3] ?? 'time';
const baseDir = args[4] ?? os.tmpdir();
const STEP = 15_000;
const now = Date.UTC(2026, 0, 2);
const recent = 240; // in-order samples: the last hour
const past = (hours * 3_600_000) / STEP; // out-of-order samples per series
const pastStart = now - (recent - 1) * STEP - past * STEP;
const perBatch = (batchMinutes * 60_000) / STEP;

const specs = nodeLikeSeries(Math.ceil(nSeries / 100), 100).slice(0, nSeries);
const labels: Labels[] = specs.map((s) => s.labels);
const values = seriesValues(specs, past + recent);
const at = (i: number, k: number) => values[i * (past + recent) + k];
/** The order in which the buffered day's sample indexes are replayed. */
const pastOrder = Int32Array.from({ length: past }, (_, k) => k);
if (order === 'random') {
  const rnd = prng(7);
  for (let k = past - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [pastOrder[k], pastOrder[j]] = [pastOrder[j], pastOrder[k]];
  }
}

async function inOrder(store: Storage): Promise<void> {
  for (let k = 0; k < recent; k++) {
    const app = store.appender();
    for (let i = 0; i < nSeries; i++) app.append(labels[i], now - (recent - 1 - k) * STEP, at(i, past + k));
    await app.commit();
  }
}

/** Replays the buffered day; returns wall ms. */
async function replay(store: Storage): Promise<number> {
  const t0 = performance.now();
  for (let from = 0; from < past; from += perBatch) {
    const app = store.appender();
    for (let i = 0; i < nSeries; i++) {
      for (let j = from; j < Math.min(from + perBatch, past); j++) {
        const k = pastOrder[j];
        app.append(labels[i], pastStart + k * STEP, at(i, k));
      }
    }
    await app.commit();
  }
  return performance.now() - t0;
}

function selectAll(store: Storage): { ms: number; samples: number } {
  const t0 = performance.now();
  const q = store.querier(pastStart, now);
  let n = 0;
  let it: SampleIterator | undefined;
  for (const s of q.select([])) {
    it = s.iterator(it);
    while (it.next() !== ValueType.None) n++;
  }
  q.close();
  return { ms: performance.now() - t0, samples: n };
}

const total = nSeries * past;
const rate = (ms: number) => Math.round(total / (ms / 1000));
const results: Record<string, unknown> = { series: nSeries, oooSamples: total, batchMinutes, order };

// Warm the JIT on a smaller copy of the work.
{
  const head = new Head({ clock: new ManualClock(now) });
  await inOrder(head);
  await replay(head);
}

{
  const head = new Head({ clock: new ManualClock(now) });
  await inOrder(head);
  const first = await replay(head);
  const again = await replay(head);
  const sel = selectAll(head);
  const st = head.stats();
  results.head = {
    replaySamplesPerSec: rate(first),
    repeatSamplesPerSec: rate(again),
    selectSamplesPerSec: Math.round(sel.samples / (sel.ms / 1000)),
    selected: sel.samples,
    oooChunks: st.outOfOrder.chunks,
    oooChunkBytesPerSample: +(st.outOfOrder.chunkBytes / st.outOfOrder.samples).toFixed(2),
    oooApproxBytesPerSample: +(st.outOfOrder.approxBytes / st.outOfOrder.samples).toFixed(2),
    reencodedPerSample: +(st.outOfOrder.samplesReencoded / st.outOfOrder.samples).toFixed(2),
  };
  console.log(
    `head: replay ${rate(first).toLocaleString()} samples/s, repeat (no-ops) ${rate(again).toLocaleString()} samples/s, ` +
      `select ${sel.samples.toLocaleString()} samples in ${sel.ms.toFixed(0)} ms; ` +
      `OOO ${st.outOfOrder.chunks} chunks, ${(st.outOfOrder.chunkBytes / st.outOfOrder.samples).toFixed(2)} chunk bytes/sample, ` +
      `${(st.outOfOrder.approxBytes / st.outOfOrder.samples).toFixed(2)} bytes/sample all in, ` +
      `${(st.outOfOrder.samplesReencoded / st.outOfOrder.samples).toFixed(2)} re-encodes/sample`,
  );
}

{
  const dir = fs.mkdtempSync(path.join(baseDir, 'edgeprom-bench-ooo-'));
  try {
    let db = await openTsdb({ dir, clock: new ManualClock(now), fsync: 'never' });
    await inOrder(db);
    const first = await replay(db);
    const again = await replay(db);
    const walBytes = db.wal.metrics.bytesWritten;
    const logged = db.wal.metrics.oooSamplesLogged;
    await db.close();
    const t0 = performance.now();
    db = await openTsdb({ dir, clock: new ManualClock(now), fsync: 'never' });
    const reopenMs = performance.now() - t0;
    const sel = selectAll(db);
    await db.close();
    results.tsdb = {
      replaySamplesPerSec: rate(first),
      repeatSamplesPerSec: rate(again),
      oooSamplesLogged: logged,
      walBytesPerSample: +(walBytes / (logged + nSeries * recent)).toFixed(2),
      reopenSamplesPerSec: Math.round(db.replay.samples / (reopenMs / 1000)),
      selectedAfterReopen: sel.samples,
    };
    console.log(
      `tsdb (WAL, fsync never): replay ${rate(first).toLocaleString()} samples/s, repeat ${rate(again).toLocaleString()} samples/s, ` +
        `${logged.toLocaleString()} OOO samples logged, reopen ${db.replay.samples.toLocaleString()} samples in ${reopenMs.toFixed(0)} ms`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(results));
