/**
 * What the store does to its files besides the WAL: load blocks at open, cut the head into
 * blocks, compact blocks, apply retention, delete series with tombstones. Tsdb runs these one
 * at a time (its #serial chain). docs/tsdb.md ("Blocks", "Compaction") has the why.
 *
 * Cutting the head, in order:
 *  1. cut the WAL: every commit applied to the head so far is in segments <= `through`;
 *  2. synchronously, snapshot the head's samples older than `before` (in-order and
 *     out-of-order, head tombstones applied), publish the snapshot as a query source, and
 *     truncate the head (which also raises its in-order floor to `before`). Nothing can
 *     commit in between, so no sample is in neither place;
 *  3. write the snapshot as one block per block range (async, in slices), open them, drop
 *     the snapshot source;
 *  4. checkpoint the WAL through `through`, dropping samples older than `before`.
 * A crash before 4 leaves the samples both in a block and in the WAL: replay puts them back
 * into the head, queries return each timestamp once, and the next cut writes them into a
 * block that overlaps, which vertical compaction merges. If writing fails, the snapshot
 * stays queryable and is retried at the next compaction; the WAL is not checkpointed until
 * it is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Series } from '../storage/interface.js';
import type { Matcher } from '../storage/matcher.js';
import { BlockCorruptError, newUlid, ULID_RE } from './block-format.js';
import { Block } from './block.js';
import { writeBlock } from './block-writer.js';
import type { Head } from './head.js';
import { HeadQuerier } from './head-querier.js';
import type { HeadTombstones } from './head-tombstones.js';
import { postingsForMatchers } from './postings.js';
import { BlockTombstonesError } from './tsdb-errors.js';
import type { TsdbMetrics } from './tsdb-metrics.js';
import { hasSample, mergeSeriesLists, SnapshotSource, TrimmedSeries, type QuerySource } from './tsdb-querier.js';
import type { Tsdb } from './tsdb.js';
import type { TsdbLogger } from './wal-writer.js';

/** A head cut whose snapshot is not in blocks yet. */
interface PendingCut {
  src: SnapshotSource;
  through: number;
  before: number;
  /** Block ranges (their start) already written: a retry after a failure skips them. */
  written: Set<number>;
}
const pendingCuts = new WeakMap<Tsdb, PendingCut[]>();

const byTime = (a: Block, b: Block): number => a.minTime - b.minTime || (a.meta.ulid < b.meta.ulid ? -1 : 1);

/**
 * Opens every block directory. Leftovers of interrupted writes (*.tmp) and deletions
 * (*.deleted) are removed; a block that fails to open is logged with the file and reason and
 * moved aside to `<ulid>.corrupt` so the store opens without it (never a crash loop); blocks
 * that a newer block lists as parents (a compaction that crashed before deleting them) are
 * deleted.
 *
 * A block that is sound but for its tombstones file is neither moved aside nor opened: its
 * data is whole, but without the tombstones it would serve deleted samples again. Unless a
 * newer block replaced it (then it is deleted as a parent), the store refuses to open with a
 * BlockTombstonesError naming the file, as Prometheus does (docs/tsdb.md, "Damaged tombstones").
 */
export function loadBlocks(dir: string, logger: TsdbLogger, metrics: TsdbMetrics): Block[] {
  const blocks: Block[] = [];
  const badTombstones: { dir: string; err: BlockTombstonesError }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    if (e.name.endsWith('.tmp') || e.name.endsWith('.deleted')) {
      logger.info({ dir: p }, 'removing leftover of an interrupted block write or deletion');
      fs.rmSync(p, { recursive: true, force: true });
      continue;
    }
    if (!ULID_RE.test(e.name)) continue;
    try {
      blocks.push(Block.open(p));
    } catch (err) {
      if (err instanceof BlockTombstonesError) {
        badTombstones.push({ dir: p, err });
        continue;
      }
      const file = err instanceof BlockCorruptError ? err.file : p;
      const aside = moveAside(p);
      metrics.blocksCorrupted++;
      logger.error({ block: e.name, file, err: (err as Error).message, movedTo: aside }, 'unreadable block moved aside');
    }
  }
  const parents = new Set<string>();
  for (const b of blocks) for (const u of b.meta.compaction.parents ?? []) parents.add(u);
  const refused = badTombstones.filter(({ dir: p, err }) => {
    if (!parents.has(path.basename(p))) return true;
    logger.warn({ block: err.block, file: err.file, why: err.why }, 'deleting a block with unreadable tombstones already compacted into another');
    deleteBlockDir(p);
    return false;
  });
  if (refused.length > 0) {
    for (const { err } of refused) {
      logger.error({ block: err.block, file: err.file, why: err.why }, 'unreadable block tombstones: the store does not open');
    }
    for (const b of blocks) b.close();
    throw refused[0].err;
  }
  const kept: Block[] = [];
  for (const b of blocks) {
    if (parents.has(b.meta.ulid)) {
      logger.info({ block: b.meta.ulid }, 'deleting a block already compacted into another');
      b.close();
      deleteBlockDir(b.dir);
    } else kept.push(b);
  }
  return kept.sort(byTime);
}

function moveAside(p: string): string {
  let aside = `${p}.corrupt`;
  for (let i = 1; fs.existsSync(aside); i++) aside = `${p}.corrupt.${i}`;
  fs.renameSync(p, aside);
  return aside;
}

function deleteBlockDir(p: string): void {
  const gone = `${p}.deleted`;
  fs.renameSync(p, gone);
  fs.rmSync(gone, { recursive: true, force: true });
}

/** A block as a query source, held open until the querier closes. */
export function blockSource(b: Block, mint: number, maxt: number): QuerySource {
  b.acquire();
  return {
    select: (ms, lo, hi) => b.select(ms, lo, hi),
    labelNames: (ms) => b.labelNames(ms, mint, maxt),
    labelValues: (name, ms) => b.sortedLabelValues(name, ms, mint, maxt),
    release: () => b.release(),
  };
}

/** The head as a query source, with its tombstones applied. */
export function headSource(head: Head, mint: number, maxt: number, tomb: HeadTombstones): QuerySource {
  const hq = new HeadQuerier(head, mint, maxt);
  return {
    select(ms) {
      const list: Series[] = hq.select(ms) as Series[];
      return tomb.size === 0 ? list : applyHeadTombstones(list, tomb, mint, maxt);
    },
    labelNames: (ms) => hq.labelNames(ms),
    labelValues: (name, ms) => hq.labelValues(name, ms),
    release: () => hq.close(),
  };
}

function applyHeadTombstones(list: Series[], tomb: HeadTombstones, mint: number, maxt: number): Series[] {
  const out: Series[] = [];
  for (const s of list) {
    const d = tomb.get(s.labels);
    if (d === undefined) out.push(s);
    else {
      const t = new TrimmedSeries(s, mint, maxt, d);
      if (hasSample(t)) out.push(t);
    }
  }
  return out;
}

const newBlockId = (db: Tsdb): string => newUlid(db.clock.now(), randomBytes);

/** Cuts the head, compacts blocks, applies retention (only the first with `headOnly`). */
export async function runCompaction(db: Tsdb, opts: { all?: boolean; headOnly?: boolean }): Promise<void> {
  const m = db.metricsTsdb;
  quarantineCorrupt(db);
  const pending = pendingCuts.get(db) ?? [];
  pendingCuts.set(db, pending);
  if (pending.length > 0) {
    // Cuts whose block writes failed before: retried first, then the WAL is checkpointed up
    // to the newest of them, as the cut itself would have done.
    let last: PendingCut | undefined;
    while (pending.length > 0) {
      await writeCut(db, pending[0]);
      last = pending.shift();
    }
    await finishCut(db, last!);
  }
  for (;;) {
    if (db.closed) return;
    const t0 = db.clock.monotonic();
    const cut = await cutHead(db, opts.all === true);
    if (!cut) break;
    m.compactions++;
    m.headCompactions++;
    m.compactionMsSum += db.clock.monotonic() - t0;
  }
  if (opts.headOnly === true) return;
  for (;;) {
    if (db.closed) return;
    const t0 = db.clock.monotonic();
    if (!(await compactBlocks(db))) break;
    m.compactions++;
    m.compactionMsSum += db.clock.monotonic() - t0;
  }
  applyRetention(db);
}

function quarantineCorrupt(db: Tsdb): void {
  const bad = db.blocks.filter((b) => b.corrupt !== undefined);
  if (bad.length === 0) return;
  db.blocks = db.blocks.filter((b) => b.corrupt === undefined);
  for (const b of bad) {
    b.close();
    const aside = moveAside(b.dir);
    db.metricsTsdb.blocksCorrupted++;
    db.logger.error({ block: b.meta.ulid, err: b.corrupt!.message, movedTo: aside }, 'corrupt block moved aside');
  }
}

async function cutHead(db: Tsdb, all: boolean): Promise<boolean> {
  const head = db.head;
  const range = db.blockRangeMs;
  if (head.minTime === Infinity) return false;
  let before: number;
  if (all) {
    before = Math.floor(head.maxTime / range) * range + range;
  } else {
    // Due when the in-order data spans 1.5 ranges. After a cut it starts at the floor: older
    // out-of-order samples (an agent's replay) wait for the next cut, as in Prometheus, and
    // are not written into blocks (and merged with overlapping ones) every minute.
    const base = Math.max(head.minTime, head.truncatedBefore);
    if (head.maxTime - base <= range * 1.5) return false;
    before = Math.floor((head.maxTime - range / 2) / range) * range;
    if (before <= head.minTime) return false;
  }
  const through = await db.wal.cut();
  // From here to truncate(): synchronous, so no commit falls between snapshot and truncation.
  const minT = head.minTime;
  if (minT === Infinity || minT >= before) return false;
  const hq = new HeadQuerier(head, -Infinity, before - 1);
  let series = hq.select([]) as Series[];
  if (db.headTombstones.size > 0) series = applyHeadTombstones(series, db.headTombstones, -Infinity, before - 1);
  const src = new SnapshotSource(series, minT, before);
  db.snapshots = [...db.snapshots, src];
  const dropped = head.truncate(before);
  db.metricsTsdb.headTruncations++;
  db.logger.info({ before, samples: dropped }, 'head truncated');
  const cut: PendingCut = { src, through, before, written: new Set() };
  const pending = pendingCuts.get(db)!;
  pending.push(cut);
  await writeCut(db, cut);
  pending.splice(pending.indexOf(cut), 1);
  if (pending.length === 0) await finishCut(db, cut);
  return true;
}

/**
 * Every cut up to `cut` is in blocks: drop what they hold from the WAL, then from head
 * tombstones. In that order: tombstones dropped while the WAL still holds the samples they
 * delete (a crash, or a failed checkpoint, in between) would let the replay bring them back.
 */
async function finishCut(db: Tsdb, cut: PendingCut): Promise<void> {
  await db.checkpoint({ through: cut.through, mint: cut.before });
  if (db.headTombstones.dropBefore(cut.before)) db.headTombstones.write();
}

/** Writes a head snapshot as one block per block range, then stops serving it from memory. */
async function writeCut(db: Tsdb, cut: PendingCut): Promise<void> {
  const range = db.blockRangeMs;
  const { src } = cut;
  // Ranges that hold data: one block each.
  const starts = new Set<number>();
  for (const s of src.series) {
    const it = s.iterator();
    for (let vt = it.next(); vt; ) {
      const start = Math.floor(it.atT() / range) * range;
      starts.add(start);
      vt = it.seek(start + range);
    }
  }
  const written: Block[] = [];
  try {
    for (const start of [...starts].sort((a, b) => a - b)) {
      if (cut.written.has(start)) continue;
      const ulid = newBlockId(db);
      const w = await writeBlock({
        parentDir: db.dir,
        ulid,
        minTime: start,
        maxTime: start + range,
        series: src.series,
        level: 1,
        sources: [ulid],
        chunkSamples: db.blockChunkSamples,
        checkAbort: () => {
          if (db.closed) throw new Error('TSDB closing');
        },
      });
      if (w !== undefined) written.push(Block.open(w.dir));
      cut.written.add(start);
    }
  } catch (e) {
    // Blocks written so far stay (their data also stays in the snapshot and the WAL, and the
    // retry skips their ranges); writeBlock removed the partial `<ulid>.tmp` directory.
    db.blocks = [...db.blocks, ...written].sort(byTime);
    if (!db.closed) {
      db.metricsTsdb.compactionsFailed++;
      db.logger.error(
        { err: (e as Error).message, blocksWritten: cut.written.size, blocksLeft: starts.size - cut.written.size },
        'writing head block failed; its data stays in memory and the WAL, retried at the next compaction',
      );
    }
    throw e;
  }
  db.blocks = [...db.blocks, ...written].sort(byTime);
  db.snapshots = db.snapshots.filter((s) => s !== src);
  db.metricsTsdb.reloads++;
  db.logger.info({ blocks: written.map((b) => b.meta.ulid), before: cut.before }, 'head compacted into blocks');
}

/** Prometheus's exponential ranges: block range times 3^k, up to maxBlockRangeMs. */
export function compactionRanges(blockRange: number, maxRange: number): number[] {
  const out: number[] = [];
  for (let r = blockRange * 3; r <= maxRange; r *= 3) out.push(r);
  return out;
}

/** Runs one block compaction if one is due; true if it did. */
async function compactBlocks(db: Tsdb): Promise<boolean> {
  const blocks = db.blocks;
  if (blocks.length < 2) return false;
  // Overlapping blocks first (out-of-order data cut after its range): vertical merge.
  let group: Block[] = [blocks[0]];
  let groupMax = blocks[0].maxTime;
  for (let i = 1; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.minTime < groupMax) {
      group.push(b);
      groupMax = Math.max(groupMax, b.maxTime);
      continue;
    }
    if (group.length > 1) break;
    group = [b];
    groupMax = b.maxTime;
  }
  if (group.length > 1) {
    await mergeBlocks(db, group);
    db.metricsTsdb.verticalCompactions++;
    return true;
  }
  const newest = Math.max(...blocks.map((b) => b.maxTime));
  for (const rng of compactionRanges(db.blockRangeMs, db.maxBlockRangeMs)) {
    const windows = new Map<number, Block[]>();
    for (const b of blocks) {
      const start = Math.floor(b.minTime / rng) * rng;
      if (b.maxTime > start + rng) continue; // already larger than this range
      let w = windows.get(start);
      if (!w) windows.set(start, (w = []));
      w.push(b);
    }
    for (const [start, w] of [...windows].sort((a, b) => a[0] - b[0])) {
      // A window is compacted once newer data exists past its end (it cannot grow any more).
      if (w.length < 2 || start + rng > newest) continue;
      await mergeBlocks(db, w);
      return true;
    }
  }
  return false;
}

/** Writes the blocks' merged data (tombstones applied) as one block and drops them. */
async function mergeBlocks(db: Tsdb, group: Block[], level?: number): Promise<void> {
  const minT = Math.min(...group.map((b) => b.minTime));
  const maxT = Math.max(...group.map((b) => b.maxTime));
  for (const b of group) b.acquire();
  let written: Block | undefined;
  try {
    const lists = group.map((b) => b.select([], minT, maxT - 1) as Series[]);
    const series = lists.length === 1 ? lists[0] : mergeSeriesLists(lists);
    const ulid = newBlockId(db);
    const w = await writeBlock({
      parentDir: db.dir,
      ulid,
      minTime: minT,
      maxTime: maxT,
      series,
      level: level ?? Math.max(...group.map((b) => b.meta.compaction.level)) + 1,
      sources: [...new Set(group.flatMap((b) => b.meta.compaction.sources))].sort(),
      parents: group.map((b) => b.meta.ulid),
      chunkSamples: db.blockChunkSamples,
      checkAbort: () => {
        if (db.closed) throw new Error('TSDB closing');
      },
    });
    if (w !== undefined) written = Block.open(w.dir);
  } catch (e) {
    if (!db.closed) db.metricsTsdb.compactionsFailed++;
    throw e;
  } finally {
    for (const b of group) b.release();
  }
  const gone = new Set(group);
  db.blocks = [...db.blocks.filter((b) => !gone.has(b)), ...(written ? [written] : [])].sort(byTime);
  for (const b of group) {
    b.close();
    deleteBlockDir(b.dir);
  }
  db.metricsTsdb.reloads++;
  db.logger.info(
    { from: group.map((b) => b.meta.ulid), to: written?.meta.ulid ?? null, minTime: minT, maxTime: maxT },
    'blocks compacted',
  );
}

/** Deletes whole blocks past the time or size retention, oldest first. */
export function applyRetention(db: Tsdb): void {
  const m = db.metricsTsdb;
  if (db.retentionMs > 0 && db.blocks.length > 0) {
    const newest = Math.max(db.head.maxTime, ...db.blocks.map((b) => b.maxTime - 1));
    const cutoff = newest - db.retentionMs;
    const old = db.blocks.filter((b) => b.maxTime - 1 < cutoff);
    if (old.length > 0) {
      dropBlocks(db, old, 'time');
      m.timeRetentions++;
    }
  }
  if (db.retentionBytes > 0 && db.blocks.length > 0) {
    // As Prometheus: blocks, the WAL and the head chunks files (chunks_head/, counted with
    // what is still in their write buffer) share the limit; only blocks can be dropped.
    const walBytes = dirBytes(path.join(db.dir, 'wal'));
    const headChunkBytes = db.head.store.chunks.stats().fileBytes;
    let total = walBytes + headChunkBytes + db.blocks.reduce((n, b) => n + b.bytes, 0);
    const old: Block[] = [];
    for (const b of db.blocks) {
      if (total <= db.retentionBytes) break;
      old.push(b);
      total -= b.bytes;
    }
    if (old.length > 0) {
      dropBlocks(db, old, 'size');
      m.sizeRetentions++;
    }
  }
}

function dropBlocks(db: Tsdb, old: Block[], why: string): void {
  const gone = new Set(old);
  db.blocks = db.blocks.filter((b) => !gone.has(b));
  for (const b of old) {
    b.close();
    deleteBlockDir(b.dir);
  }
  db.logger.info({ blocks: old.map((b) => b.meta.ulid), reason: why }, 'blocks deleted by retention');
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    try {
      n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
    } catch {
      // deleted meanwhile
    }
  }
  return n;
}

/** Adds tombstones for matching series in blocks and in the head. */
/**
 * All or nothing: when a tombstones file cannot be written, the deletion is undone in memory
 * everywhere, the files already written are written back as they were, and the write's error
 * is thrown. (Applied in memory only, it would hide samples until a restart brought them back.)
 */
export async function deleteSeriesIn(db: Tsdb, matchers: readonly Matcher[], mint: number, maxt: number): Promise<void> {
  /** What was changed: how to put its memory back, its file if written, and how to rewrite that. */
  const changed: { restore(): void; written: string | undefined; rewrite(): void }[] = [];
  try {
    for (const b of db.blocks) {
      const lo = Math.max(mint, b.minTime);
      const hi = Math.min(maxt, b.maxTime - 1);
      if (lo > hi) continue;
      const ids = b.matching(matchers);
      if (ids.length === 0) continue;
      const saved = b.tombstones.saved();
      const c: (typeof changed)[number] = {
        restore: () => b.tombstones.restore(saved),
        written: undefined,
        rewrite: () => b.tombstones.write(b.dir),
      };
      changed.push(c);
      for (let i = 0; i < ids.length; i++) b.tombstones.add(ids[i], lo, hi);
      b.tombstones.write(b.dir);
      c.written = b.dir;
    }
    const head = db.head;
    if (head.minTime !== Infinity) {
      // Clamped to what the head holds (finite for the file), but up to maxt for samples
      // still arriving when it is given.
      const lo = Math.max(mint, head.minTime);
      const hi = Number.isFinite(maxt) ? maxt : head.maxTime;
      const refs = lo <= hi ? postingsForMatchers(head.index, matchers) : [];
      if (refs.length > 0) {
        const ts = db.headTombstones;
        const saved = ts.saved();
        changed.push({ restore: () => ts.restore(saved), written: undefined, rewrite: () => ts.write() });
        for (let i = 0; i < refs.length; i++) ts.add(head.store.labels[refs[i]], lo, hi);
        ts.write();
      }
    }
  } catch (e) {
    for (const c of changed) {
      c.restore();
      if (c.written === undefined) continue;
      try {
        c.rewrite();
      } catch (err) {
        db.logger.error(
          { block: path.basename(c.written), err: (err as Error).message },
          'failed deletion: its tombstones stay in this block (the deletion applies there after a restart)',
        );
      }
    }
    throw e;
  }
}

/** Rewrites blocks that have tombstones without the deleted samples. */
export async function cleanTombstonesIn(db: Tsdb): Promise<void> {
  for (const b of db.blocks.filter((x) => x.tombstones.size > 0)) {
    if (db.closed) return;
    await mergeBlocks(db, [b], b.meta.compaction.level);
    db.metricsTsdb.tombstoneCleanups++;
  }
}

/**
 * Prometheus's admin snapshot: `<dir>/snapshots/<yyyymmddThhmmssZ>-<random>/` with every
 * block hard-linked (blocks are immutable, so links cost no space), plus the head written as
 * blocks when `withHead`. Returns the snapshot's directory name.
 */
export async function snapshotIn(db: Tsdb, withHead: boolean): Promise<string> {
  const stamp = new Date(db.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = `${stamp}-${randomBytes(8).toString('hex')}`;
  const root = path.join(db.dir, 'snapshots');
  const out = path.join(root, name);
  fs.mkdirSync(out, { recursive: true });
  for (const b of db.blocks) linkTree(b.dir, path.join(out, path.basename(b.dir)));
  if (withHead && db.head.minTime !== Infinity) {
    const range = db.blockRangeMs;
    // The head as it is now (snapshot sources being written are in neither: a compaction
    // cannot be running, snapshots are serialised with it).
    const hq = new HeadQuerier(db.head, -Infinity, Infinity);
    let series = hq.select([]) as Series[];
    if (db.headTombstones.size > 0) series = applyHeadTombstones(series, db.headTombstones, -Infinity, Infinity);
    for (let start = Math.floor(db.head.minTime / range) * range; start <= db.head.maxTime; start += range) {
      const ulid = newBlockId(db);
      await writeBlock({
        parentDir: out,
        ulid,
        minTime: start,
        maxTime: start + range,
        series,
        level: 1,
        sources: [ulid],
        chunkSamples: db.blockChunkSamples,
      });
    }
  }
  return name;
}

function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) linkTree(a, b);
    else fs.linkSync(a, b);
  }
}
