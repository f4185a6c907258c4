/**
 * Backfill: streams an OpenMetrics file (samples with timestamps) into a TSDB directory,
 * like `promtool tsdb create-blocks-from openmetrics`. The file is read in chunks and fed to
 * the shared stream parser; samples go through the ordinary Appender seam in transactions
 * of about `batchSamples` samples, so an import is as durable as any other write.
 *
 * Memory is bounded by `maxSamplesInMemory` whatever the file's size, in one read of the
 * file (parsing is most of an import's CPU time, so promtool's read per block would cost
 * several times more). Whenever the head holds that many samples, it is written into blocks
 * (Tsdb.compact({ all: true, headOnly: true })), which empties it and checkpoints the WAL. A
 * file holds one family after another, each spanning the whole time range, so what follows a
 * cut is mostly older than the head's new floor: it goes to the head's out-of-order store
 * (the window is unbounded here) and, at the next cut, into blocks that overlap the earlier
 * ones. At the end, the store's usual compaction merges overlapping blocks (vertical
 * compaction, each range once) and then into larger ones.
 *
 * Unlike promtool, one bad line does not abort the import: the line is reported with its
 * reason, parsing restarts on the next line with a fresh parser (the family context of the
 * bad line is lost, which only affects type metadata, not samples), and the import goes on.
 * Samples the store refuses (a different value for a stored timestamp, too far in the
 * future, no timestamp) are counted by reason. Samples older than what a series holds are
 * taken at any age (out of order); an exact repeat of a stored sample is a no-op, so
 * importing a file twice is harmless.
 */
import fs from 'node:fs';
import { ExpositionStreamParser, ParseError, RealClock, type Clock, type Sample } from '@edgeprom/shared';
import { SampleError } from '../storage/errors.js';
import type { Appender } from '../storage/interface.js';
import { openTsdb } from '../tsdb/tsdb.js';
import type { TsdbLogger } from '../tsdb/wal-writer.js';

export interface ImportOptions {
  file: string;
  dir: string;
  /** Samples per transaction (default 10,000). */
  batchSamples?: number;
  /** Bytes read at a time (default 256 KiB). */
  chunkBytes?: number;
  /**
   * Samples held in the head at most, plus those of one read chunk (default 10,000,000; see
   * docs/tsdb.md, "Import", for the memory it takes): the head is written into blocks
   * whenever it holds that many. Infinity: once, at the end.
   */
  maxSamplesInMemory?: number;
  /** Called at most every `progressEveryMs` and once at the end (final = true). */
  onProgress?: (p: ImportProgress, final: boolean) => void;
  progressEveryMs?: number;
  logger?: TsdbLogger;
  clock?: Clock;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  samples: number;
  series: number;
  rejected: number;
  /** Times the head was written into blocks so far (not counting the last one). */
  cuts: number;
  elapsedMs: number;
}

export interface RejectReason {
  count: number;
  /** The first occurrence: `file:line:column: reason` for parse errors, the sample otherwise. */
  first: string;
}

export interface ImportSummary {
  file: string;
  dir: string;
  series: number;
  samples: number;
  /** ms; NaN when nothing was imported. */
  minTime: number;
  maxTime: number;
  lines: number;
  bytes: number;
  /** By reason: a parse error's message, or a store error code. */
  rejected: Map<string, RejectReason>;
  rejectedTotal: number;
  durationMs: number;
  /** Blocks in the store after the import. */
  blocks: number;
  /** Times the head was written into blocks, the last one included. */
  cuts: number;
  /** The most samples the head held (just before it was written into blocks). */
  peakHeadSamples: number;
}

const NO_TIMESTAMP = 'sample without a timestamp (backfill needs one)';
const DEFAULT_MAX_SAMPLES_IN_MEMORY = 10_000_000;

/** Counts '\n' bytes in buf[from, to). */
function countLines(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(10, from); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Offset just after the k-th '\n' (k ≥ 1) in buf[from, to), or `to`. */
function afterLine(buf: Uint8Array, from: number, to: number, k: number): number {
  let i = from - 1;
  for (let n = 0; n < k; n++) {
    i = buf.indexOf(10, i + 1);
    if (i < 0 || i >= to) return to;
  }
  return i + 1;
}

export async function importOpenMetrics(opts: ImportOptions): Promise<ImportSummary> {
  const clock = opts.clock ?? new RealClock();
  const batch = opts.batchSamples ?? 10_000;
  const every = opts.progressEveryMs ?? 1000;
  const budget = opts.maxSamplesInMemory ?? DEFAULT_MAX_SAMPLES_IN_MEMORY;
  if (!(budget >= 1)) throw new RangeError(`maxSamplesInMemory must be at least 1, got ${budget}`);
  const started = clock.monotonic();
  const totalBytes = fs.statSync(opts.file).size;
  const fd = fs.openSync(opts.file, 'r');
  // A file holds one family after another, each spanning the whole time range: lift the
  // head's append window so each series is in order on its own, and the out-of-order window
  // so a file can go under data the store already holds, or under a cut, at any age
  // (promtool writes blocks for any time range too).
  let db;
  try {
    db = await openTsdb({
      dir: opts.dir,
      logger: opts.logger,
      fsync: 'always',
      appendWindowMs: Infinity,
      outOfOrderTimeWindowMs: Infinity,
      // Blocks are cut when the head is full and at the end (see below); no retention on
      // imported data.
      compactIntervalMs: 0,
      retentionMs: 0,
    });
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  const seriesKeys = new Set<string>();
  const rejected = new Map<string, RejectReason>();
  let rejectedTotal = 0;
  let samples = 0;
  let pending = 0;
  /** Samples appended since the head was last written into blocks. */
  let sinceCut = 0;
  let cuts = 0;
  let peakHeadSamples = 0;
  let minTime = Infinity;
  let maxTime = -Infinity;
  let app: Appender = db.appender();
  let bytesRead = 0;
  let blocks = 0;
  let lastProgress = started;

  const reject = (reason: string, first: () => string): void => {
    rejectedTotal++;
    const r = rejected.get(reason);
    if (r) r.count++;
    else rejected.set(reason, { count: 1, first: first() });
  };

  /** Sink calls so far, and how many upcoming ones repeat samples already taken. */
  let delivered = 0;
  let skip = 0;
  const sink = {
    family(): void {},
    sample(s: Sample): void {
      delivered++;
      if (skip > 0) {
        skip--;
        return;
      }
      if (s.timestampMs === undefined) {
        reject(NO_TIMESTAMP, () => s.labels.toString());
        return;
      }
      // promtool: int64(seconds * 1000), truncation toward zero.
      const t = Math.trunc(s.timestampMs);
      try {
        app.append(s.labels, t, s.value);
      } catch (e) {
        if (e instanceof SampleError) {
          reject(e.code, () => e.message);
          return;
        }
        throw e;
      }
      seriesKeys.add(s.labels.key);
      samples++;
      pending++;
      sinceCut++;
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
    },
  };
  const newParser = (): ExpositionStreamParser =>
    new ExpositionStreamParser({ format: 'openmetrics', source: opts.file, limits: { maxBodyBytes: 0, maxSamples: 0 } }, sink);

  let parser = newParser();
  /** Lines before the current parser started, and lines written to it so far. */
  let lineBase = 0;
  let parserLines = 0;

  /** Feeds buf[from, to), which ends at a newline; restarts the parser after a bad line. */
  const feed = (buf: Uint8Array, from: number, to: number): void => {
    while (from < to) {
      const deliveredBefore = delivered;
      try {
        parser.write(buf.subarray(from, to));
        parserLines += countLines(buf, from, to);
        return;
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        // The reported line may precede this write (a check spanning lines): then restart at
        // the write's start, skipping the samples this write already delivered.
        const rel = e.line - parserLines;
        const abs = lineBase + e.line;
        reject(e.reason, () => `${opts.file}:${abs}:${e.column}: ${e.reason}`);
        const next = rel >= 1 ? afterLine(buf, from, to, rel) : from;
        if (rel < 1) skip = delivered - deliveredBefore;
        lineBase += parserLines + Math.max(rel, 0);
        parserLines = 0;
        parser = newParser();
        from = next;
      }
    }
  };

  /**
   * Commits the current transaction and opens the next. One commit stays in flight while the
   * next chunk is parsed: its samples are visible at once, and waiting for the WAL's fsync
   * would otherwise leave the CPU idle. `last` waits for everything.
   */
  let inflight: Promise<void> | undefined;
  const commit = async (last = false): Promise<void> => {
    const a = app;
    app = db.appender();
    pending = 0;
    const previous = inflight;
    inflight = a.commit();
    inflight.catch(() => undefined); // rethrown below, by the next commit or the last one
    if (previous) await previous;
    if (last) {
      const current = inflight;
      inflight = undefined;
      await current;
    }
  };

  /**
   * Writes the whole head into blocks (which empties it and checkpoints the WAL); only the
   * last cut also merges blocks, so each range is merged once, at the end.
   */
  const cut = async (last: boolean): Promise<void> => {
    await commit(true);
    peakHeadSamples = Math.max(peakHeadSamples, db.head.stats().samples);
    await db.compactHead({ all: true, headOnly: !last });
    if (sinceCut > 0) cuts++;
    sinceCut = 0;
  };

  const progress = (final: boolean): void => {
    if (!opts.onProgress) return;
    const now = clock.monotonic();
    if (!final && now - lastProgress < every) return;
    lastProgress = now;
    opts.onProgress(
      { bytesRead, totalBytes, samples, series: seriesKeys.size, rejected: rejectedTotal, cuts, elapsedMs: now - started },
      final,
    );
  };

  try {
    const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 256 * 1024);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytesRead += n;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const lf = data.lastIndexOf(10);
      if (lf < 0) {
        carry = Buffer.from(data);
        continue;
      }
      feed(data, 0, lf + 1);
      carry = Buffer.from(data.subarray(lf + 1));
      if (sinceCut >= budget) {
        opts.logger?.info({ samples: sinceCut, bytesRead, totalBytes }, 'import: head full, writing it into blocks');
        await cut(false);
      } else if (pending >= batch) await commit();
      progress(false);
    }
    try {
      if (carry.length > 0) parser.write(carry);
      parser.end();
      if (carry.length > 0) parserLines++;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      reject(e.reason, () => `${opts.file}:${lineBase + e.line}:${e.column}: ${e.reason}`);
    }
    // Leave the data in blocks, as promtool does: the whole head is cut into 2h blocks, and
    // the store's usual compaction merges overlapping ones, then into larger ones.
    await cut(true);
    blocks = db.blocks.length;
    progress(true);
  } catch (e) {
    app.rollback();
    await inflight?.catch(() => undefined);
    throw e;
  } finally {
    fs.closeSync(fd);
    await db.close();
  }
  return {
    file: opts.file,
    dir: opts.dir,
    series: seriesKeys.size,
    samples,
    minTime: samples > 0 ? minTime : NaN,
    maxTime: samples > 0 ? maxTime : NaN,
    lines: lineBase + parserLines,
    bytes: bytesRead,
    rejected,
    rejectedTotal,
    durationMs: clock.monotonic() - started,
    blocks,
    cuts,
    peakHeadSamples,
  };
}
