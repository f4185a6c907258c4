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
 * Blocks (block.ts, written by block-writer.ts) hold what the head was cut into; queries
 * merge blocks, head snapshots being written and the head (tsdb-querier.ts); compaction,
 * retention and deletion live in tsdb-compact.ts. See docs/tsdb.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RealClock, type Clock, type Labels, type MetricFamily, type TimerHandle } from '@edgeprom/shared';
import { ValueType, type Appender, type AppenderOptions, type Querier, type Storage } from '../storage/interface.js';
import type { Matcher } from '../storage/matcher.js';
import type { Block } from './block.js';
import { Head, type HeadLog, type HeadOptions } from './head.js';
import { HeadTombstones } from './head-tombstones.js';
import {
  blockSource,
  cleanTombstonesIn,
  deleteSeriesIn,
  headSource,
  loadBlocks,
  runCompaction,
  snapshotIn,
} from './tsdb-compact.js';
import { newTsdbMetrics, tsdbMetricFamilies, type TsdbMetrics } from './tsdb-metrics.js';
import { TsdbQuerier, type QuerySource, type SnapshotSource } from './tsdb-querier.js';
import { acquireDirLock, type DirLock } from './lock-file.js';
import { tsdbClosed } from './tsdb-errors.js';
import { writeCheckpoint, type CheckpointResult } from './wal-checkpoint.js';
import { replayWalDir, type ReplayReport } from './wal-reader.js';
import type { RecordVisitor } from './wal-record.js';
import { syncDirSync } from './wal-files.js';
import { silentLogger, WalWriter, type FsyncPolicy, type TsdbLogger, type WalMetrics } from './wal-writer.js';

export interface TsdbOptions extends HeadOptions {
  /** Storage directory; created if missing. Holds `lock`, `wal/`, `chunks_head/` and the blocks. */
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
  /**
   * Block range (ms): the head is cut into blocks of this span, aligned to multiples of it,
   * once it spans 1.5 times it. Default: chunkRangeMs (2h), which it must equal if both are
   * given (head chunks never straddle a block boundary).
   */
  blockRangeMs?: number;
  /** Largest block compaction makes. Default min(31d, retention.time / 10), at least the block range. */
  maxBlockRangeMs?: number;
  /** --storage.tsdb.retention.time: blocks entirely older than the newest sample minus this are deleted. Default 15d; 0: none. */
  retentionMs?: number;
  /** --storage.tsdb.retention.size: oldest blocks deleted while blocks + WAL exceed this. 0 (default): no limit. */
  retentionBytes?: number;
  /** How often compact() runs by itself (Clock timer). Default 60 s; 0: only when called. */
  compactIntervalMs?: number;
  /** Samples per chunk written into blocks. Default 120. */
  blockChunkSamples?: number;
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
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export class Tsdb implements Storage {
  readonly dir: string;
  readonly head: Head;
  readonly wal: WalWriter;
  readonly replay: ReplayStats;
  readonly clock: Clock;
  readonly blockRangeMs: number;
  readonly maxBlockRangeMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly blockChunkSamples: number;
  readonly metricsTsdb: TsdbMetrics = newTsdbMetrics();
  /** @internal */
  readonly logger: TsdbLogger;
  /** @internal Loaded blocks, by minTime then ulid. Replaced, never mutated in place. */
  blocks: Block[] = [];
  /** @internal Head snapshots not (yet) written into blocks; queried like blocks. */
  snapshots: SnapshotSource[] = [];
  /** @internal Deleted intervals of head series, by labels key. */
  readonly headTombstones: HeadTombstones;
  readonly #lock: DirLock;
  /** head ref → WAL ref */
  #walRefs: Int32Array;
  #nextWalRef: number;
  #closed = false;
  #checkpointing: Promise<unknown> | undefined;
  /** Compactions, retention and deletions run one at a time, in this chain. */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: TimerHandle | undefined;

  private constructor(
    dir: string,
    head: Head,
    wal: WalWriter,
    lock: DirLock,
    logger: TsdbLogger,
    walRefs: Int32Array,
    nextWalRef: number,
    replay: ReplayStats,
    opts: TsdbOptions,
    clock: Clock,
    blocks: Block[],
    headTombstones: HeadTombstones,
  ) {
    this.dir = dir;
    this.head = head;
    this.wal = wal;
    this.#lock = lock;
    this.logger = logger;
    this.#walRefs = walRefs;
    this.#nextWalRef = nextWalRef;
    this.replay = replay;
    this.clock = clock;
    this.blocks = blocks;
    this.headTombstones = headTombstones;
    this.blockRangeMs = opts.blockRangeMs ?? opts.chunkRangeMs ?? 2 * HOUR;
    this.retentionMs = opts.retentionMs ?? 15 * DAY;
    this.retentionBytes = opts.retentionBytes ?? 0;
    this.blockChunkSamples = opts.blockChunkSamples ?? 120;
    const cap = Math.min(31 * DAY, this.retentionMs > 0 ? Math.floor(this.retentionMs / 10) : 31 * DAY);
    this.maxBlockRangeMs = Math.max(this.blockRangeMs, opts.maxBlockRangeMs ?? cap);
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
    const every = opts.compactIntervalMs ?? 60_000;
    if (every > 0) {
      this.#timer = clock.setInterval(() => {
        this.compact().catch((e: unknown) => {
          // Closing aborts a running compaction; its data stays in the WAL, nothing to report.
          if (!this.#closed) logger.error({ err: String(e) }, 'TSDB compaction failed');
        });
      }, every);
    }
  }

  static async open(opts: TsdbOptions): Promise<Tsdb> {
    const dir = path.resolve(opts.dir);
    const logger = opts.logger ?? silentLogger;
    const clock = opts.clock ?? new RealClock();
    const range = opts.blockRangeMs ?? opts.chunkRangeMs ?? 2 * HOUR;
    if (opts.chunkRangeMs !== undefined && opts.chunkRangeMs !== range) {
      throw new RangeError(`blockRangeMs (${range}) must equal chunkRangeMs (${opts.chunkRangeMs})`);
    }
    if (!Number.isInteger(range) || range <= 0) throw new RangeError(`blockRangeMs must be a positive integer, got ${range}`);
    for (const [name, v] of [
      ['retentionMs', opts.retentionMs],
      ['retentionBytes', opts.retentionBytes],
    ] as const) {
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`${name} must be an integer >= 0, got ${v}`);
    }
    fs.mkdirSync(dir, { recursive: true });
    const lock = acquireDirLock(dir, logger);
    let blocks: Block[] = [];
    let head: Head | undefined;
    try {
      const walDir = path.join(dir, 'wal');
      if (!fs.existsSync(walDir)) {
        fs.mkdirSync(walDir);
        syncDirSync(dir);
      }
      const metrics = newTsdbMetrics();
      blocks = loadBlocks(dir, logger, metrics);
      const headTombstones = HeadTombstones.load(dir, logger);
      // Sealed head chunks go to <dir>/chunks_head (emptied here; replay below refills it).
      head = new Head({ ...opts, chunkRangeMs: range, clock, logger, chunksDir: path.join(dir, 'chunks_head') });
      const h = head;
      let db: Tsdb | undefined;
      head.olderLookup = (labels, t) => findOlder(h, db?.blocks ?? blocks, db?.snapshots ?? [], labels, t);
      head.olderNewest = (labels) => findNewestOlder(h, db?.blocks ?? blocks, db?.snapshots ?? [], labels);
      // Nothing older than the newest block's end is appended in order (as Prometheus's head).
      if (blocks.length > 0) head.setMinValidTime(Math.max(...blocks.map((b) => b.maxTime)));
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
          blocks: blocks.length,
          series: stats.series,
          samples: stats.samples,
          segments: stats.segments.length,
          checkpoint: stats.checkpoint ?? null,
          durationMs: Math.round(stats.durationMs),
        },
        'WAL replayed',
      );
      db = new Tsdb(dir, head, wal, lock, logger, walRefs, nextWalRef, stats, opts, clock, blocks, headTombstones);
      Object.assign(db.metricsTsdb, metrics);
      return db;
    } catch (e) {
      for (const b of blocks) b.close();
      head?.close();
      lock.release();
      throw e;
    }
  }

  appender(opts?: AppenderOptions): Appender {
    if (this.#closed) throw tsdbClosed();
    return this.head.appender(opts);
  }

  /** Blocks, head snapshots being compacted and the head, merged (see tsdb-querier.ts). */
  querier(mint: number, maxt: number): Querier {
    const sources: QuerySource[] = [];
    for (const b of this.blocks) {
      if (b.maxTime <= mint || b.minTime > maxt) continue;
      sources.push(blockSource(b, mint, maxt));
    }
    for (const s of this.snapshots) sources.push(s);
    sources.push(headSource(this.head, mint, maxt, this.headTombstones));
    return new TsdbQuerier(sources, mint, maxt);
  }

  get metrics(): { head: Head['metrics']; wal: WalMetrics; tsdb: TsdbMetrics } {
    return { head: this.head.metrics, wal: this.wal.metrics, tsdb: this.metricsTsdb };
  }

  /** Self metrics with Prometheus's names (prometheus_tsdb_*), for the aggregator's /metrics. */
  collectMetrics(): MetricFamily[] {
    const blocks = this.blocks;
    return tsdbMetricFamilies({
      head: this.head,
      wal: this.wal.metrics,
      tsdb: this.metricsTsdb,
      blocks: {
        count: blocks.length,
        bytes: blocks.reduce((n, b) => n + b.bytes, 0),
        minTime: blocks.length > 0 ? blocks[0].minTime : Infinity,
      },
      walBytes: dirBytes(path.join(this.dir, 'wal')),
      headChunkBytes: this.head.store.chunks.stats().fileBytes,
      retentionBytes: this.retentionBytes,
      retentionMs: this.retentionMs,
    });
  }

  /**
   * Cuts the head into blocks when it spans more than 1.5 block ranges (all of it with
   * `all`), then compacts blocks and applies retention (not with `headOnly`: an import that
   * cuts the head several times merges the blocks once, at the end). One at a time; see
   * tsdb-compact.ts.
   */
  compact(opts: { all?: boolean; headOnly?: boolean } = {}): Promise<void> {
    return this.#serial(() => runCompaction(this, opts));
  }

  /** Writes the whole head into blocks (import, tests), then compacts as compact() does. */
  compactHead(opts: { all?: boolean; headOnly?: boolean } = { all: true }): Promise<void> {
    return this.compact(opts);
  }

  /**
   * Deletes the samples of matching series in [mint, maxt] (inclusive) with tombstones: in
   * blocks (their tombstones file) and in the head (applied at query time and when it is cut
   * into blocks). cleanTombstones() rewrites blocks without them.
   */
  deleteSeries(matchers: readonly Matcher[], mint = -Infinity, maxt = Infinity): Promise<void> {
    if (this.#closed) return Promise.reject(tsdbClosed());
    if (matchers.length === 0) return Promise.reject(new RangeError('deleteSeries needs at least one matcher'));
    if (!(mint <= maxt)) return Promise.reject(new RangeError(`deleteSeries: mint ${mint} is after maxt ${maxt}`));
    return this.#serial(async () => deleteSeriesIn(this, matchers, mint, maxt));
  }

  /**
   * Hard-links every block into `<dir>/snapshots/<name>/` and, with `withHead` (default),
   * writes the head there as blocks too; returns `name` (Prometheus's admin snapshot).
   */
  snapshot(withHead = true): Promise<string> {
    let name = '';
    return this.#serial(async () => {
      name = await snapshotIn(this, withHead);
    }).then(() => name);
  }

  /** Rewrites every block that has tombstones without the deleted samples. */
  cleanTombstones(): Promise<void> {
    return this.#serial(() => cleanTombstonesIn(this));
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.reject(tsdbClosed());
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Folds the WAL up to the current segment (or `through`) into a checkpoint and deletes those
   * segments. keepSeries (by head ref) must hold for every series the head still has: the
   * default keeps all of them. mint drops older samples: only pass one once they are safe
   * elsewhere (in a block).
   */
  async checkpoint(
    opts: { keepSeries?: (headRef: number) => boolean; mint?: number; through?: number } = {},
  ): Promise<CheckpointResult> {
    if (this.#closed) throw tsdbClosed();
    if (this.#checkpointing) throw new Error('a checkpoint is already running');
    const run = this.#runCheckpoint(opts);
    this.#checkpointing = run.catch(() => undefined);
    try {
      const r = await run;
      this.metricsTsdb.checkpoints++;
      return r;
    } catch (e) {
      this.metricsTsdb.checkpointsFailed++;
      throw e;
    } finally {
      this.#checkpointing = undefined;
    }
  }

  async #runCheckpoint(opts: { keepSeries?: (headRef: number) => boolean; mint?: number; through?: number }): Promise<CheckpointResult> {
    const through = opts.through ?? (await this.wal.cut());
    const keep = opts.keepSeries;
    const byWal = new Map<number, number>();
    // Series garbage-collected from the head are left out: their samples are in blocks.
    const store = this.head.store;
    for (let ref = 0; ref < store.count; ref++) if (store.isLive(ref)) byWal.set(this.#walRefs[ref], ref);
    const result = await writeCheckpoint(this.wal.dir, {
      through,
      keepSeries: (walRef) => {
        const ref = byWal.get(walRef);
        return ref !== undefined && (keep === undefined || keep(ref));
      },
      mint: opts.mint,
    });
    this.logger.info({ ...result }, 'WAL checkpoint written');
    return result;
  }

  /** Waits for every commit so far to be written and synced per the policy, then closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    try {
      await this.#chain; // compactions write files under the lock
      await this.#checkpointing; // it reads and deletes files under the lock
      await this.wal.close();
    } finally {
      for (const b of this.blocks) b.close();
      this.head.close();
      this.#lock.release();
    }
  }

  /** @internal Whether close() was called (long compactions stop early). */
  get closed(): boolean {
    return this.#closed;
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

/** Opens (creating if needed) the TSDB in opts.dir, loading its blocks and replaying its WAL. */
export function openTsdb(opts: TsdbOptions): Promise<Tsdb> {
  return Tsdb.open(opts);
}

/** The head's duplicate check below its floor: blocks (newest first), then snapshots being written. */
function findOlder(head: Head, blocks: readonly Block[], snapshots: readonly SnapshotSource[], labels: Labels, t: number): boolean {
  for (let i = blocks.length - 1; i >= 0; i--) {
    const b = blocks[i];
    if (t < b.minTime || t >= b.maxTime) continue;
    if (b.findSample(labels, t)) {
      head.foundV = b.foundV;
      return true;
    }
  }
  for (const s of snapshots) {
    if (t < s.minTime || t >= s.maxTime) continue;
    const it = s.find(labels)?.iterator();
    if (it !== undefined && it.seek(t) !== ValueType.None && it.atT() === t) {
      head.foundV = it.atV();
      return true;
    }
  }
  return false;
}

/**
 * The newest sample of a series in blocks and snapshots being written (into head.foundT,
 * foundV): for the order check of a series the head garbage-collected (Head.olderNewest).
 */
function findNewestOlder(head: Head, blocks: readonly Block[], snapshots: readonly SnapshotSource[], labels: Labels): boolean {
  let found = false;
  for (const b of blocks) {
    if (found && b.maxTime <= head.foundT) continue;
    if (b.newestSample(labels) && (!found || b.foundT > head.foundT)) {
      found = true;
      head.foundT = b.foundT;
      head.foundV = b.foundV;
    }
  }
  for (const s of snapshots) {
    const it = s.find(labels)?.iterator();
    if (it === undefined) continue;
    while (it.next() !== ValueType.None) {
      if (!found || it.atT() > head.foundT) {
        found = true;
        head.foundT = it.atT();
        head.foundV = it.atV();
      }
    }
  }
  return found;
}

function dirBytes(dir: string): number {
  let n = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else {
      try {
        n += fs.statSync(p).size;
      } catch {
        // deleted meanwhile
      }
    }
  }
  return n;
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
