/**
 * WAL checkpoints, as in Prometheus: when the head drops old data (today: on request; later:
 * when it is cut into blocks), the segments up to some index are condensed into
 * `checkpoint.<index>/00000000`, holding the series records of series that are still live
 * and the samples of those series at or after `mint`, in their original order (out-of-order
 * samples keep theirs too, in their own records after the in-order ones of each write).
 * Then the
 * segments and older checkpoints are deleted. Replay reads the newest checkpoint first.
 *
 * Crash safety: the checkpoint is written under `checkpoint.<index>.tmp`, synced, and
 * renamed into place; replay ignores (and deletes) .tmp directories, and deletes segments a
 * checkpoint covers if a crash left them behind. At every instant, either the old segments
 * or the new checkpoint is complete.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Labels } from '@edgeprom/shared';
import { walCorrupt } from './tsdb-errors.js';
import { checkpointName, segmentName, syncDir } from './wal-files.js';
import { listWalDir } from './wal-reader.js';
import {
  ByteSink,
  encodeSeries,
  FRAME_HEADER_BYTES,
  markCommit,
  RecordType,
  SamplesEncoder,
  scanCommits,
  type RecordVisitor,
} from './wal-record.js';

export interface CheckpointOptions {
  /** Last segment to fold in; it must be complete (WalWriter.cut() returns one that is). */
  through: number;
  /** Whether a series (by WAL ref) is still live. Its samples go only where its series does. */
  keepSeries: (walRef: number) => boolean;
  /** Samples older than this are dropped (ms). Default: keep all samples of kept series. */
  mint?: number;
}

export interface CheckpointResult {
  through: number;
  series: number;
  samples: number;
  droppedSeries: number;
  droppedSamples: number;
  /** Segment files deleted. */
  segmentsDeleted: number;
  bytes: number;
}

const WRITE_CHUNK = 4 * 2 ** 20;

export async function writeCheckpoint(walDir: string, opts: CheckpointOptions): Promise<CheckpointResult> {
  const { through, keepSeries } = opts;
  const mint = opts.mint ?? -Infinity;
  const listing = listWalDir(walDir);
  if (listing.checkpoint !== undefined && listing.checkpoint >= through) {
    throw new RangeError(`a checkpoint through segment ${listing.checkpoint} exists already`);
  }
  const inputs: string[] = [];
  if (listing.checkpoint !== undefined) {
    const dir = checkpointName(listing.checkpoint);
    for (const name of (await fsp.readdir(path.join(walDir, dir))).sort()) inputs.push(path.join(dir, name));
  }
  const segments = listing.segments.filter((s) => s <= through);
  for (const s of segments) inputs.push(segmentName(s));

  const result: CheckpointResult = {
    through,
    series: 0,
    samples: 0,
    droppedSeries: 0,
    droppedSamples: 0,
    segmentsDeleted: 0,
    bytes: 0,
  };
  const tmp = path.join(walDir, `${checkpointName(through)}.tmp`);
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(tmp);
  const out = await fsp.open(path.join(tmp, segmentName(0)), 'wx');
  try {
    const sink = new ByteSink(WRITE_CHUNK + 1024 * 1024);
    const samples = new SamplesEncoder();
    samples.begin(sink);
    // Out-of-order samples go to a sink of their own, written after `sink` each time: their
    // series records are then always before them, and their records are not cut into pieces
    // by in-order ones.
    const oooSink = new ByteSink(64 * 1024);
    const oooSamples = new SamplesEncoder();
    oooSamples.begin(oooSink, RecordType.OooSamples);
    const newRefs: number[] = [];
    const newLabels: Labels[] = [];
    const flushSeries = () => {
      if (newRefs.length === 0) return;
      encodeSeries(sink, newRefs, newLabels);
      newRefs.length = 0;
      newLabels.length = 0;
    };
    // Output keeps input order: a series record always precedes the samples that use it.
    const visit: RecordVisitor = {
      series(ref, labels) {
        if (!keepSeries(ref)) {
          result.droppedSeries++;
          return;
        }
        // Close an open samples record first: frames must not nest.
        samples.end();
        samples.begin(sink);
        newRefs.push(ref);
        newLabels.push(labels);
        result.series++;
      },
      sample(ref, t, v) {
        if (t < mint || !keepSeries(ref)) {
          result.droppedSamples++;
          return;
        }
        flushSeries();
        samples.add(ref, t, v);
        result.samples++;
      },
      oooSample(ref, t, v) {
        if (t < mint || !keepSeries(ref)) {
          result.droppedSamples++;
          return;
        }
        flushSeries();
        oooSamples.add(ref, t, v);
        result.samples++;
      },
    };
    const write = async () => {
      samples.end();
      oooSamples.end();
      flushSeries();
      for (const s of [sink, oooSink]) {
        markAll(s);
        if (s.len > 0) await out.write(s.buf, 0, s.len, pos);
        pos += s.len;
        s.reset();
      }
      samples.begin(sink);
      oooSamples.begin(oooSink, RecordType.OooSamples);
    };
    let pos = 0;
    for (const input of inputs) {
      const data = await fsp.readFile(path.join(walDir, input));
      const r = scanCommits(data, visit);
      if (r.problem) {
        const { kind, offset, reason } = r.problem;
        throw walCorrupt(`cannot checkpoint: ${input} has a ${kind} frame at ${offset} (${reason})`);
      }
      if (sink.len + oooSink.len >= WRITE_CHUNK) await write();
    }
    await write();
    result.bytes = pos;
    await out.sync();
  } catch (e) {
    await out.close();
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await out.close();
  await syncDir(tmp);
  await fsp.rename(tmp, path.join(walDir, checkpointName(through)));
  await syncDir(walDir);

  // From here on the checkpoint stands in for what it covers.
  for (const s of segments) {
    await fsp.rm(path.join(walDir, segmentName(s)), { force: true });
    result.segmentsDeleted++;
  }
  if (listing.checkpoint !== undefined) {
    await fsp.rm(path.join(walDir, checkpointName(listing.checkpoint)), { recursive: true, force: true });
  }
  for (const name of listing.leftovers) await fsp.rm(path.join(walDir, name), { recursive: true, force: true });
  await syncDir(walDir);
  return result;
}

/** Every frame of a checkpoint is a commit of its own: the file is whole once renamed. */
function markAll(sink: ByteSink): void {
  for (let off = 0; off < sink.len; off += FRAME_HEADER_BYTES + sink.buf.readUInt32LE(off)) markCommit(sink.buf, off);
}
