/**
 * The on-disk TSDB as one store: a Head made durable by a WAL, in a locked directory.
 *
 *   const db = await openTsdb({ dir, fsync: 'always' });  // replays <dir>/wal into the head
 *   const app = db.appender(); app.append(l, t, v); await app.commit();  // durable now
 *   await db.close();
 *
 * WAL refs are not head refs. The head numbers its series 0..n-1 in creation order, which
 * replay reproduces only while no checkpoint has dropped a series; WAL refs must instead
 * stay unique across the whole WAL, so they keep counting from the largest one replayed.
 * The store keeps head ref → WAL ref in a typed array (replay also needs the reverse).
 *
 * Out-of-order samples are logged in records of their own type, in the same commit as the
 * transaction's in-order ones, and replayed into the head's out-of-order store.
 *
 * Blocks, retention and compaction come later; checkpoint() is the hook they will call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RealClock, type Clock, type Labels } from '@edgeprom/shared';
import type { Appender, AppenderOptions, Querier, Storage } from '../storage/interface.js';
import { Head, type HeadLog, type HeadOptions } from './head.js';
import { acquireDirLock, type DirLock } from './lock-file.js';
import { tsdbClosed } from './tsdb-errors.js';
import { writeCheckpoint, type CheckpointResult } from './wal-checkpoint.js';
import { replayWalDir, type ReplayReport } from './wal-reader.js';
import type { RecordVisitor } from './wal-record.js';
import { syncDirSync } from './wal-files.js';
import { silentLogger, WalWriter, type FsyncPolicy, type TsdbLogger, type WalMetrics } from './wal-writer.js';

export interface TsdbOptions extends HeadOptions {
  /** Storage directory; created if missing. Holds `lock` and `wal/`. */
  dir: string;
  clock?: Clock;
  /** pino-compatible; default silent. Replay repairs are logged at warn. */
  logger?: TsdbLogger;
  /** Default 'always' (group commit). See FsyncPolicy. */
  fsync?: FsyncPolicy;
  /** For fsync 'interval'. Default 1000 ms. */
  fsyncIntervalMs?: number;
  /** WAL segment size. Default 128 MiB. */
  walSegmentBytes?: number;
}

/** What the last open replayed, for logs, self metrics and the bench. */
export interface ReplayStats extends ReplayReport {
  series: number;
  /** Samples replayed, out-of-order ones included. */
  samples: number;
  /** Out-of-order samples replayed (into the head's out-of-order store). */
  oooSamples: number;
  /** Samples whose series record was lost (only after corruption or a bad keepSeries). */
  unknownSeriesSamples: number;
  /** Wall time of the replay, ms (Clock.monotonic). */
  durationMs: number;
}

const EMPTY = -1;

export class Tsdb implements Storage {
  readonly dir: string;
  readonly head: Head;
  readonly wal: WalWriter;
  readonly replay: ReplayStats;
  readonly #lock: DirLock;
  readonly #logger: TsdbLogger;
  /** head ref → WAL ref */
  #walRefs: Int32Array;
  #nextWalRef: number;
  #closed = false;
  #checkpointing: Promise<unknown> | undefined;

  private constructor(
    dir: string,
    head: Head,
    wal: WalWriter,
    lock: DirLock,
    logger: TsdbLogger,
    walRefs: Int32Array,
    nextWalRef: number,
    replay: ReplayStats,
  ) {
    this.dir = dir;
    this.head = head;
    this.wal = wal;
    this.#lock = lock;
    this.#logger = logger;
    this.#walRefs = walRefs;
    this.#nextWalRef = nextWalRef;
    this.replay = replay;
    const self = this;
    const log: HeadLog = {
      begin: () => wal.begin(),
      series(ref: number, labels: Labels) {
        const walRef = self.#nextWalRef++;
        self.#setWalRef(ref, walRef);
        wal.series(walRef, labels);
      },
      sample(ref: number, t: number, v: number) {
        wal.sample(self.#walRefs[ref], t, v);
      },
      oooSample(ref: number, t: number, v: number) {
        wal.oooSample(self.#walRefs[ref], t, v);
      },
      end: () => wal.end(),
    };
    head.log = log;
  }

  static async open(opts: TsdbOptions): Promise<Tsdb> {
    const dir = path.resolve(opts.dir);
    const logger = opts.logger ?? silentLogger;
    const clock = opts.clock ?? new RealClock();
    fs.mkdirSync(dir, { recursive: true });
    const lock = acquireDirLock(dir, logger);
    try {
      const walDir = path.join(dir, 'wal');
      if (!fs.existsSync(walDir)) {
        fs.mkdirSync(walDir);
        syncDirSync(dir);
      }
      const head = new Head({ ...opts, clock });
      const { walRefs, nextWalRef, stats } = replayInto(head, walDir, logger, clock);
      const last = stats.segments.at(-1) ?? stats.checkpoint ?? 0;
      const wal = await WalWriter.open({
        dir: walDir,
        firstSegment: last + 1,
        segmentBytes: opts.walSegmentBytes,
        fsync: opts.fsync,
        fsyncIntervalMs: opts.fsyncIntervalMs,
        clock,
      });
      if (stats.repair) wal.metrics.corruptions++;
      logger.info(
        {
          dir,
          series: stats.series,
          samples: stats.samples,
          segments: stats.segments.length,
          checkpoint: stats.checkpoint ?? null,
          durationMs: Math.round(stats.durationMs),
        },
        'WAL replayed',
      );
      return new Tsdb(dir, head, wal, lock, logger, walRefs, nextWalRef, stats);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  appender(opts?: AppenderOptions): Appender {
    if (this.#closed) throw tsdbClosed();
    return this.head.appender(opts);
  }

  querier(mint: number, maxt: number): Querier {
    return this.head.querier(mint, maxt);
  }

  get metrics(): { head: Head['metrics']; wal: WalMetrics } {
    return { head: this.head.metrics, wal: this.wal.metrics };
  }

  /**
   * Folds the WAL up to the current segment into a checkpoint and deletes those segments.
   * keepSeries (by head ref) must hold for every series the head still has: the default
   * keeps all of them, which is all this head can do until it learns to drop series. mint
   * drops older samples: only pass one once they are safe elsewhere (in a block).
   */
  async checkpoint(opts: { keepSeries?: (headRef: number) => boolean; mint?: number } = {}): Promise<CheckpointResult> {
    if (this.#closed) throw tsdbClosed();
    if (this.#checkpointing) throw new Error('a checkpoint is already running');
    const run = this.#runCheckpoint(opts);
    this.#checkpointing = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.#checkpointing = undefined;
    }
  }

  async #runCheckpoint(opts: { keepSeries?: (headRef: number) => boolean; mint?: number }): Promise<CheckpointResult> {
    const through = await this.wal.cut();
    const keep = opts.keepSeries;
    const byWal = new Map<number, number>();
    for (let ref = 0; ref < this.head.numSeries; ref++) byWal.set(this.#walRefs[ref], ref);
    const result = await writeCheckpoint(this.wal.dir, {
      through,
      keepSeries: (walRef) => {
        const ref = byWal.get(walRef);
        return ref !== undefined && (keep === undefined || keep(ref));
      },
      mint: opts.mint,
    });
    this.#logger.info({ ...result }, 'WAL checkpoint written');
    return result;
  }

  /** Waits for every commit so far to be written and synced per the policy, then closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#checkpointing; // it reads and deletes files under the lock
      await this.wal.close();
    } finally {
      this.#lock.release();
    }
  }

  #setWalRef(ref: number, walRef: number): void {
    if (ref >= this.#walRefs.length) {
      const grown = new Int32Array(Math.max(1024, this.#walRefs.length * 2, ref + 1)).fill(EMPTY);
      grown.set(this.#walRefs);
      this.#walRefs = grown;
    }
    this.#walRefs[ref] = walRef;
  }
}

/** Opens (creating if needed) the TSDB in opts.dir, replaying its WAL. */
export function openTsdb(opts: TsdbOptions): Promise<Tsdb> {
  return Tsdb.open(opts);
}

/** Replays the WAL into an empty head; returns the ref maps and what was replayed. */
function replayInto(
  head: Head,
  walDir: string,
  logger: TsdbLogger,
  clock: Clock,
): { walRefs: Int32Array; nextWalRef: number; stats: ReplayStats } {
  let walRefs = new Int32Array(1024).fill(EMPTY);
  /** WAL ref → head ref; WAL refs are dense unless checkpoints dropped series. */
  let headRefs = new Int32Array(1024).fill(EMPTY);
  let maxWalRef = -1;
  let series = 0;
  let samples = 0;
  let oooSamples = 0;
  let unknown = 0;
  const visit: RecordVisitor = {
    series(walRef, labels) {
      const ref = head.getOrCreate(labels);
      if (walRef >= headRefs.length) {
        const grown = new Int32Array(Math.max(headRefs.length * 2, walRef + 1)).fill(EMPTY);
        grown.set(headRefs);
        headRefs = grown;
      }
      headRefs[walRef] = ref;
      if (ref >= walRefs.length) {
        const grown = new Int32Array(Math.max(walRefs.length * 2, ref + 1)).fill(EMPTY);
        grown.set(walRefs);
        walRefs = grown;
      }
      walRefs[ref] = walRef;
      if (walRef > maxWalRef) maxWalRef = walRef;
      series++;
    },
    sample(walRef, t, v) {
      const ref = walRef < headRefs.length ? headRefs[walRef] : EMPTY;
      if (ref === EMPTY) {
        unknown++;
        return;
      }
      head.replaySample(ref, t, v);
      samples++;
    },
    oooSample(walRef, t, v) {
      const ref = walRef < headRefs.length ? headRefs[walRef] : EMPTY;
      if (ref === EMPTY) {
        unknown++;
        return;
      }
      head.replayOutOfOrderSample(ref, t, v);
      samples++;
      oooSamples++;
    },
  };
  const t0 = clock.monotonic();
  const report = replayWalDir(walDir, visit, logger);
  const durationMs = clock.monotonic() - t0;
  if (unknown > 0) {
    logger.warn({ samples: unknown }, 'WAL samples of unknown series dropped at replay');
  }
  return {
    walRefs,
    nextWalRef: maxWalRef + 1,
    stats: { ...report, series, samples, oooSamples, unknownSeriesSamples: unknown, durationMs },
  };
}
