import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { Matcher } from '../storage/matcher.js';
import { HEAD_TOMBSTONES_FILE } from './head-tombstones.js';
import { openTsdb, type TsdbOptions } from './tsdb.js';
import { dump, memoryLogger, tempDir } from './wal-test-util.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const L = (i: number) => Labels.from({ __name__: 'm', i: String(i), job: i % 2 === 0 ? 'even' : 'odd' });

const opts = (dir: string, extra: Partial<TsdbOptions> = {}): TsdbOptions => ({
  dir,
  clock: new ManualClock(T0 + 100 * H),
  compactIntervalMs: 0,
  ...extra,
});

/** Writes `series` series with a sample every `step` ms in [from, to). */
async function fill(db: { appender(): { append(l: Labels, t: number, v: number): void; commit(): Promise<void> } }, series: number, from: number, to: number, step: number) {
  for (let t = from; t < to; t += step * 50) {
    const app = db.appender();
    for (let u = t; u < Math.min(to, t + step * 50); u += step) for (let i = 0; i < series; i++) app.append(L(i), u, i * 1e6 + (u - T0) / step);
    await app.commit();
  }
}

const blockDirs = (dir: string) => fs.readdirSync(dir).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();

describe('blocks', () => {
  it('cuts the head into aligned blocks once it spans 1.5 ranges, and reads across blocks and head, also after reopen', async () => {
    const t = tempDir('blocks-cut');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 20, T0, T0 + 3 * H, 60_000);
      const before = dump(db);
      await db.compact();
      // 3h of data (> 1.5 x 2h? no: 3h > 3h is false) - nothing to cut yet.
      expect(db.blocks).toHaveLength(0);
      await fill(db, 20, T0 + 3 * H, T0 + 3.5 * H, 60_000);
      const want = dump(db);
      expect(want.size).toBe(20);
      expect(before.size).toBe(20);
      await db.compact();
      expect(db.blocks.map((b) => [b.minTime - T0, b.maxTime - T0])).toEqual([[0, 2 * H]]);
      expect(db.head.minTime).toBe(T0 + 2 * H);
      expect(db.metrics.tsdb.headCompactions).toBe(1);
      expect(dump(db)).toEqual(want);
      // Across the boundary, with matchers.
      const q = db.querier(T0 + 2 * H - 120_000, T0 + 2 * H + 60_000);
      const sel = [...q.select([Matcher.equal('job', 'odd')])];
      expect(sel).toHaveLength(10);
      const it = sel[0].iterator();
      const ts: number[] = [];
      while (it.next()) ts.push(it.atT() - T0);
      expect(ts).toEqual([2 * H - 120_000, 2 * H - 60_000, 2 * H, 2 * H + 60_000]);
      expect(q.labelValues('i', [Matcher.equal('job', 'even')])).toHaveLength(10);
      q.close();
      // The WAL was checkpointed: samples before the cut are only in the block now.
      expect(fs.readdirSync(path.join(t.dir, 'wal')).some((n) => n.startsWith('checkpoint.'))).toBe(true);
      await db.close();
      const again = await openTsdb(opts(t.dir));
      expect(again.blocks).toHaveLength(1);
      expect(dump(again)).toEqual(want);
      // In-order appends below the cut are refused as too old... with the window they go out of order.
      const app = again.appender();
      app.append(L(0), T0 + H + 1, 42);
      await app.commit();
      const got = dump(again).get(L(0).toString())!;
      expect(got.filter(([ts]) => ts === T0 + H + 1)).toHaveLength(1);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('keeps out-of-order samples that land in an already cut range, merges them by vertical compaction, each once', async () => {
    const t = tempDir('blocks-ooo');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 5, T0, T0 + 4 * H, 120_000);
      await db.compact();
      expect(db.blocks.length).toBeGreaterThan(0);
      // Late samples between the existing ones, inside the first block's range, plus exact repeats.
      const app = db.appender();
      for (let i = 0; i < 5; i++) {
        app.append(L(i), T0 + 60_000, -i);
        app.append(L(i), T0 + 120_000, i * 1e6 + 1); // exact repeat of a block sample: ignored
      }
      await app.commit();
      expect(() => db.appender().append(L(1), T0 + 120_000, 7)).toThrow(/duplicate/i);
      const want = dump(db);
      expect(want.get(L(3).toString())!.filter(([ts]) => ts === T0 + 60_000)).toHaveLength(1);
      expect(want.get(L(3).toString())!.filter(([ts]) => ts === T0 + 120_000)).toHaveLength(1);
      await fill(db, 5, T0 + 4 * H, T0 + 5 * H, 120_000);
      const want2 = dump(db);
      await db.compactHead({ all: true });
      expect(db.metrics.tsdb.verticalCompactions).toBeGreaterThan(0);
      // No two blocks overlap any more.
      for (let i = 1; i < db.blocks.length; i++) expect(db.blocks[i].minTime).toBeGreaterThanOrEqual(db.blocks[i - 1].maxTime);
      expect(dump(db)).toEqual(want2);
      await db.close();
      const again = await openTsdb(opts(t.dir));
      expect(dump(again)).toEqual(want2);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('leaves replayed out-of-order samples below the floor in the head until the next cut is due', async () => {
    const t = tempDir('blocks-ooo-wait');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 2, T0, T0 + 3.5 * H, 600_000);
      await db.compact();
      expect(db.metrics.tsdb.headCompactions).toBe(1);
      const app = db.appender();
      app.append(L(0), T0 + 30 * 60_000 + 1, 7); // far below the floor (2h)
      await app.commit();
      expect(db.head.minTime).toBe(T0 + 30 * 60_000 + 1);
      await db.compact();
      expect(db.metrics.tsdb.headCompactions).toBe(1); // the head's span alone is not enough
      await fill(db, 2, T0 + 3.5 * H, T0 + 5.5 * H, 600_000);
      const want = dump(db);
      await db.compact();
      expect(db.metrics.tsdb.headCompactions).toBe(2);
      expect(db.head.minTime).toBeGreaterThanOrEqual(T0 + 4 * H);
      expect(dump(db)).toEqual(want);
      for (let i = 1; i < db.blocks.length; i++) expect(db.blocks[i].minTime).toBeGreaterThanOrEqual(db.blocks[i - 1].maxTime);
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  it('compacts three 2h blocks into one 6h block, sources and parents recorded', async () => {
    const t = tempDir('blocks-level');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 8 * H, 300_000);
      const want = dump(db);
      await db.compactHead({ all: true });
      const levels = db.blocks.map((b) => [(b.minTime - T0) / H, (b.maxTime - T0) / H, b.meta.compaction.level]);
      expect(levels).toEqual([
        [0, 6, 2],
        [6, 8, 1],
      ]);
      expect(db.blocks[0].meta.compaction.sources).toHaveLength(3);
      expect(db.blocks[0].meta.compaction.parents).toHaveLength(3);
      expect(blockDirs(t.dir)).toHaveLength(2);
      expect(dump(db)).toEqual(want);
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  it('deletes whole blocks past the time retention, relative to the newest sample', async () => {
    const t = tempDir('blocks-retention-time');
    try {
      const db = await openTsdb(opts(t.dir, { retentionMs: 5 * H, maxBlockRangeMs: 2 * H }));
      await fill(db, 2, T0, T0 + 10 * H, 600_000);
      await db.compactHead({ all: true });
      // Newest sample at 10h - 10m: blocks ending at or before 4h50m are gone.
      expect(db.blocks.map((b) => (b.minTime - T0) / H)).toEqual([4, 6, 8]);
      expect(db.metrics.tsdb.timeRetentions).toBe(1);
      expect(blockDirs(t.dir)).toHaveLength(3);
      const q = db.querier(-Infinity, Infinity);
      for (const s of q.select([])) {
        const it = s.iterator();
        expect(it.next()).toBeTruthy();
        expect(it.atT()).toBe(T0 + 4 * H);
      }
      q.close();
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  it('deletes the oldest blocks while blocks and WAL exceed the size retention', async () => {
    const t = tempDir('blocks-retention-size');
    try {
      const db = await openTsdb(opts(t.dir, { retentionMs: 0, maxBlockRangeMs: 2 * H }));
      await fill(db, 50, T0, T0 + 10 * H, 60_000);
      await db.compactHead({ all: true });
      expect(db.blocks).toHaveLength(5);
      const sizes = db.blocks.map((b) => b.bytes);
      await db.close();
      const walBytes = fs
        .readdirSync(path.join(t.dir, 'wal'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
      const limit = walBytes + sizes[3] + sizes[4] + 1;
      const again = await openTsdb(opts(t.dir, { retentionMs: 0, maxBlockRangeMs: 2 * H, retentionBytes: limit }));
      await again.compact();
      expect(again.blocks.map((b) => (b.minTime - T0) / H)).toEqual([6, 8]);
      expect(again.metrics.tsdb.sizeRetentions).toBe(1);
      const fams = again.collectMetrics();
      const v = (name: string) => fams.find((f) => f.name === name)!.samples[0].value;
      expect(v('prometheus_tsdb_retention_limit_bytes')).toBe(limit);
      expect(v('prometheus_tsdb_blocks_loaded')).toBe(2);
      expect(v('prometheus_tsdb_size_retentions_total')).toBe(1);
      expect(v('prometheus_tsdb_storage_blocks_bytes')).toBe(sizes[3] + sizes[4]);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('counts the head chunks files (chunks_head/) in the size retention, as Prometheus', async () => {
    const t = tempDir('blocks-retention-chunks-head');
    try {
      const db = await openTsdb(opts(t.dir, { retentionMs: 0, maxBlockRangeMs: 2 * H, chunkSamples: 4 }));
      await fill(db, 50, T0, T0 + 4 * H, 60_000);
      await db.compactHead({ all: true });
      expect(db.blocks).toHaveLength(2);
      // Newer samples stay in the head; full 4-sample chunks go to chunks_head/.
      await fill(db, 50, T0 + 4 * H, T0 + 5 * H, 60_000);
      const headChunkBytes = db.head.store.chunks.stats().fileBytes;
      expect(headChunkBytes).toBeGreaterThan(50 * 10 * 8);
      const fams = db.collectMetrics();
      const v = (name: string) => fams.find((f) => f.name === name)!.samples[0].value;
      expect(v('prometheus_tsdb_head_chunks_storage_size_bytes')).toBe(headChunkBytes);
      const walBytes = v('prometheus_tsdb_wal_storage_size_bytes');
      const blocks = db.blocks.reduce((n, b) => n + b.bytes, 0);
      await db.close();
      // Blocks and WAL fit; with the head chunks files they do not: the oldest block goes.
      const limit = walBytes + blocks + Math.floor(headChunkBytes / 2);
      const again = await openTsdb(opts(t.dir, { retentionMs: 0, maxBlockRangeMs: 2 * H, chunkSamples: 4, retentionBytes: limit }));
      try {
        // Replay rebuilds chunks_head/ from the WAL.
        expect(again.head.store.chunks.stats().fileBytes).toBe(headChunkBytes);
        await again.compact();
        expect(again.blocks.map((b) => (b.minTime - T0) / H)).toEqual([2]);
        expect(again.metrics.tsdb.sizeRetentions).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      t.cleanup();
    }
  });

  it('applies a deletion all or nothing: when the head tombstones cannot be written, blocks and head are as before', async () => {
    const t = tempDir('blocks-tombstones-fail');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 4, T0, T0 + 5 * H, 600_000);
      await db.compact(); // cuts [0, 2h) only: the deletion below touches a block, then the head
      expect(db.blocks).toHaveLength(1);
      const before = dump(db);
      // A real fs error: the head's file cannot replace a directory (written after the block's).
      const headFile = path.join(t.dir, HEAD_TOMBSTONES_FILE);
      fs.mkdirSync(headFile);
      await expect(db.deleteSeries([Matcher.equal('i', '1')])).rejects.toThrow(HEAD_TOMBSTONES_FILE);
      expect(dump(db)).toEqual(before);
      expect(db.blocks[0].tombstones.size).toBe(0);
      expect(db.headTombstones.size).toBe(0);
      expect(fs.existsSync(`${headFile}.tmp`)).toBe(false);
      await db.close();
      // The block's tombstones file was written back as it was: nothing deleted after a restart.
      fs.rmdirSync(headFile);
      const again = await openTsdb(opts(t.dir));
      expect(dump(again)).toEqual(before);
      // And once the file can be written, the same deletion applies everywhere.
      await again.deleteSeries([Matcher.equal('i', '1')]);
      expect(dump(again).has(L(1).toString())).toBe(false);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('deletes series with tombstones in blocks and head, across reopen, and cleans them by rewriting', async () => {
    const t = tempDir('blocks-tombstones');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 4, T0, T0 + 5 * H, 600_000);
      await db.compact(); // cuts [0, 2h) only
      expect(db.blocks).toHaveLength(1);
      await db.deleteSeries([Matcher.equal('i', '1')], T0 + H, T0 + 3 * H);
      await db.deleteSeries([Matcher.equal('i', '2')]);
      const check = (store: typeof db) => {
        const d = dump(store);
        expect(d.has(L(2).toString())).toBe(false);
        const ts = d.get(L(1).toString())!.map(([x]) => x - T0);
        expect(ts.filter((x) => x >= H && x <= 3 * H)).toEqual([]);
        expect(ts.length).toBe(30 - 13);
        expect(d.get(L(0).toString())).toHaveLength(30);
      };
      check(db);
      await db.close();
      const again = await openTsdb(opts(t.dir));
      check(again);
      await again.compactHead({ all: true });
      check(again);
      await again.cleanTombstones();
      check(again);
      for (const b of again.blocks) expect(b.tombstones.size).toBe(0);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('snapshots blocks (hard links) and head into a directory that opens as a store', async () => {
    const t = tempDir('blocks-snapshot');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 5 * H, 600_000);
      await db.compact();
      expect(db.blocks).toHaveLength(1);
      const name = await db.snapshot();
      const want = dump(db);
      const snap = path.join(t.dir, 'snapshots', name);
      const b0 = path.join(snap, path.basename(db.blocks[0].dir), 'index');
      expect(fs.statSync(b0).ino).toBe(fs.statSync(path.join(db.blocks[0].dir, 'index')).ino);
      await db.close();
      const copy = await openTsdb(opts(snap));
      expect(copy.blocks.length).toBeGreaterThan(1);
      expect(dump(copy)).toEqual(want);
      await copy.close();
    } finally {
      t.cleanup();
    }
  });

  it('compacts by itself on the clock, and takes appends and queries while a compaction runs', async () => {
    const t = tempDir('blocks-timer');
    try {
      const clock = new ManualClock(T0 + 100 * H);
      const db = await openTsdb(opts(t.dir, { clock, compactIntervalMs: 60_000 }));
      await fill(db, 300, T0, T0 + 4 * H, 60_000);
      const want = dump(db);
      await clock.advance(60_000); // fires compact(); its block writes yield to the event loop
      const spin = () => new Promise((r) => setImmediate(r));
      for (let k = 0; k < 100_000 && db.snapshots.length === 0; k++) await spin();
      // While the cut head is being written (72,000 samples: several slices): it is served
      // from memory, and new samples are taken.
      expect(db.snapshots).toHaveLength(1);
      expect(db.metrics.tsdb.headCompactions).toBe(0);
      expect(dump(db)).toEqual(want);
      const app = db.appender();
      for (let i = 0; i < 300; i++) app.append(L(i), T0 + 4 * H, 1);
      await app.commit();
      expect(dump(db).size).toBe(300);
      // No explicit compact(): only the timer can have started one. Spin the event loop
      // (bounded, not timed) until it is done.
      for (let k = 0; k < 100_000 && db.metrics.tsdb.headCompactions === 0; k++) await new Promise((r) => setImmediate(r));
      expect(db.metrics.tsdb.headCompactions).toBe(1);
      expect(db.blocks).toHaveLength(1);
      const got = dump(db);
      for (const [k, v] of want) expect(got.get(k)).toEqual([...v, [T0 + 4 * H, '3ff0000000000000']]);
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  it('keeps a block readable by an open querier after compaction deleted it', async () => {
    const t = tempDir('blocks-held');
    try {
      const db = await openTsdb(opts(t.dir, { maxBlockRangeMs: 2 * H }));
      await fill(db, 3, T0, T0 + 6 * H, 600_000);
      await db.compactHead({ all: true });
      const want = dump(db);
      const q = db.querier(-Infinity, Infinity);
      const series = [...q.select([])]; // chunks not read yet
      const dirs = db.blocks.map((b) => b.dir);
      await db.deleteSeries([Matcher.equal('i', '0')]);
      await db.cleanTombstones(); // rewrites every block, deletes the old directories
      for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
      expect(dump(db).has(L(0).toString())).toBe(false);
      const got = new Map<string, number>();
      for (const s of series) {
        const it = s.iterator();
        let n = 0;
        while (it.next()) n++;
        got.set(s.labels.toString(), n);
      }
      expect(got).toEqual(new Map([...want].map(([k, v]) => [k, v.length])));
      q.close();
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  it('exposes self metrics with Prometheus names', async () => {
    const t = tempDir('blocks-metrics');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 4 * H, 600_000);
      await db.compact();
      const names = db.collectMetrics().map((f) => f.name);
      for (const n of [
        'prometheus_tsdb_head_series',
        'prometheus_tsdb_head_samples_appended_total',
        'prometheus_tsdb_head_chunks',
        'prometheus_tsdb_out_of_order_samples_total',
        'prometheus_tsdb_head_out_of_order_samples_appended_total',
        'prometheus_tsdb_too_old_samples_total',
        'prometheus_tsdb_wal_fsync_duration_seconds',
        'prometheus_tsdb_wal_corruptions_total',
        'prometheus_tsdb_checkpoint_creations_total',
        'prometheus_tsdb_head_min_time',
        'prometheus_tsdb_head_max_time',
        'prometheus_tsdb_compactions_total',
        'prometheus_tsdb_blocks_loaded',
      ]) {
        expect(names).toContain(n);
      }
      const fam = (n: string) => db.collectMetrics().find((f) => f.name === n)!;
      expect(fam('prometheus_tsdb_head_series').samples[0].value).toBe(3);
      expect(fam('prometheus_tsdb_compactions_total').samples[0].value).toBe(1);
      expect(fam('prometheus_tsdb_checkpoint_creations_total').samples[0].value).toBe(1);
      expect(fam('prometheus_tsdb_wal_fsync_duration_seconds').samples.map((s) => s.labels.name)).toEqual([
        'prometheus_tsdb_wal_fsync_duration_seconds_sum',
        'prometheus_tsdb_wal_fsync_duration_seconds_count',
      ]);
      await db.close();
    } finally {
      t.cleanup();
    }
  });
});

describe('corrupt blocks', () => {
  /** A store with three 2h blocks; returns their directories, oldest first, and the data. */
  async function threeBlocks(dir: string) {
    const db = await openTsdb(opts(dir, { maxBlockRangeMs: 2 * H }));
    await fill(db, 4, T0, T0 + 6 * H, 600_000);
    await db.compactHead({ all: true });
    const want = dump(db);
    const dirs = db.blocks.map((b) => b.dir);
    await db.close();
    expect(dirs).toHaveLength(3);
    return { dirs, want };
  }
  const without = (want: Map<string, [number, string][]>, from: number, to: number) =>
    new Map([...want].map(([k, v]) => [k, v.filter(([ts]) => ts < from || ts >= to)]));

  for (const [what, damage, file] of [
    ['a truncated index', (d: string) => fs.truncateSync(path.join(d, 'index'), fs.statSync(path.join(d, 'index')).size - 10), 'index'],
    ['a missing meta.json', (d: string) => fs.rmSync(path.join(d, 'meta.json')), 'meta.json'],
    ['a garbage meta.json', (d: string) => fs.writeFileSync(path.join(d, 'meta.json'), '{"ulid": 3'), 'meta.json'],
    ['a truncated chunk segment', (d: string) => fs.truncateSync(path.join(d, 'chunks', '000001'), 100), path.join('chunks', '000001')],
  ] as const) {
    it(`moves a block with ${what} aside, names the file, and keeps the rest readable`, async () => {
      const t = tempDir('blocks-corrupt');
      try {
        const { dirs, want } = await threeBlocks(t.dir);
        damage(dirs[1]);
        const logger = memoryLogger();
        const db = await openTsdb(opts(t.dir, { logger }));
        expect(db.blocks).toHaveLength(2);
        const [err] = logger.at('error');
        expect(err.msg).toBe('unreadable block moved aside');
        expect(String(err.obj.file)).toContain(path.join(path.basename(dirs[1]), file));
        expect(fs.existsSync(`${dirs[1]}.corrupt`)).toBe(true);
        expect(db.metrics.tsdb.blocksCorrupted).toBe(1);
        expect(dump(db)).toEqual(without(want, T0 + 2 * H, T0 + 4 * H));
        await db.close();
        // And the next open is clean: no crash loop, the corrupt copy stays for inspection.
        const again = await openTsdb(opts(t.dir));
        expect(again.blocks).toHaveLength(2);
        await again.close();
      } finally {
        t.cleanup();
      }
    });
  }

  it('reports a chunk with a bad checksum naming the file, then moves the block aside', async () => {
    const t = tempDir('blocks-crc');
    try {
      const { dirs, want } = await threeBlocks(t.dir);
      const seg = path.join(dirs[0], 'chunks', '000001');
      const buf = fs.readFileSync(seg);
      buf[20] ^= 0x55;
      fs.writeFileSync(seg, buf);
      const logger = memoryLogger();
      const db = await openTsdb(opts(t.dir, { logger, maxBlockRangeMs: 2 * H }));
      expect(db.blocks).toHaveLength(3);
      expect(() => dump(db)).toThrow(`corrupt block file ${seg}: chunk at byte 8: checksum mismatch`);
      await db.compact();
      expect(db.blocks).toHaveLength(2);
      expect(logger.at('error')[0].msg).toBe('corrupt block moved aside');
      expect(dump(db)).toEqual(without(want, T0, T0 + 2 * H));
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  for (const [what, damage, why] of [
    [
      'a bad checksum',
      (f: string) => {
        const b = fs.readFileSync(f);
        b[b.length - 6] ^= 0x40;
        fs.writeFileSync(f, b);
      },
      /checksum/,
    ],
    ['a truncated file', (f: string) => fs.truncateSync(f, 12), /truncated|too short|length/],
    // Unreadable for root too: a directory where the file should be.
    [
      'a directory in its place',
      (f: string) => {
        fs.rmSync(f);
        fs.mkdirSync(f);
      },
      /EISDIR/,
    ],
  ] as const) {
    it(`refuses to open, the block left whole, when a block's tombstones file has ${what} (as Prometheus)`, async () => {
      const t = tempDir('blocks-tomb-bad');
      try {
        const { dirs, want } = await threeBlocks(t.dir);
        const db = await openTsdb(opts(t.dir, { maxBlockRangeMs: 2 * H }));
        await db.deleteSeries([Matcher.equal('i', '1')]);
        const deleted = dump(db);
        expect(deleted.size).toBe(want.size - 1);
        await db.close();
        const file = path.join(dirs[1], 'tombstones');
        expect(fs.existsSync(file)).toBe(true);
        const files = (d: string) => fs.readdirSync(d, { recursive: true }).map(String).sort();
        const before = files(dirs[1]);
        damage(file);
        const logger = memoryLogger();
        let err: unknown;
        await openTsdb(opts(t.dir, { logger })).then(
          (x) => x.close(),
          (e: unknown) => (err = e),
        );
        expect(err).toMatchObject({ code: 'ERR_BLOCK_TOMBSTONES', file, block: path.basename(dirs[1]) });
        expect((err as Error).message).toContain(`tombstones file ${file} is unreadable`);
        expect((err as { why: string }).why).toMatch(why);
        expect(logger.at('error')[0].msg).toBe('unreadable block tombstones: the store does not open');
        // Nothing moved, nothing deleted, the lock released.
        expect(fs.readdirSync(t.dir).filter((n) => n.includes('.corrupt'))).toEqual([]);
        expect(files(dirs[1])).toEqual(before);
        // The operator moves the damaged file aside: the block is served without its deletions.
        fs.renameSync(file, `${file}.damaged`);
        const again = await openTsdb(opts(t.dir, { maxBlockRangeMs: 2 * H }));
        expect(again.blocks).toHaveLength(3);
        const got = dump(again);
        expect(got).toEqual(new Map([...deleted, ...[...want].filter(([k]) => !deleted.has(k)).map(([k, v]) => [k, v.filter(([ts]) => ts >= T0 + 2 * H && ts < T0 + 4 * H)] as const)]));
        await again.close();
      } finally {
        t.cleanup();
      }
    });
  }

  it('deletes a block with unreadable tombstones that a newer block replaced', async () => {
    const t = tempDir('blocks-tomb-parent');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 6 * H, 600_000);
      await db.compactHead({ all: true });
      const want = dump(db);
      const parents = db.blocks[0].meta.compaction.parents!;
      await db.close();
      // A parent the compaction did not delete before a crash, with a damaged tombstones file.
      const parent = path.join(t.dir, parents[0]);
      fs.cpSync(db.blocks[0].dir, parent, { recursive: true });
      const meta = JSON.parse(fs.readFileSync(path.join(parent, 'meta.json'), 'utf8'));
      meta.ulid = parents[0];
      meta.compaction = { level: 1, sources: [parents[0]] };
      fs.writeFileSync(path.join(parent, 'meta.json'), JSON.stringify(meta));
      fs.writeFileSync(path.join(parent, 'tombstones'), 'garbage');
      const logger = memoryLogger();
      const again = await openTsdb(opts(t.dir, { logger }));
      expect(fs.existsSync(parent)).toBe(false);
      expect(logger.at('warn').map((x) => x.msg)).toContain('deleting a block with unreadable tombstones already compacted into another');
      expect(dump(again)).toEqual(want);
      await again.close();
    } finally {
      t.cleanup();
    }
  });

  it('removes leftovers of interrupted writes and a compaction that crashed before deleting its parents', async () => {
    const t = tempDir('blocks-leftovers');
    try {
      const db = await openTsdb(opts(t.dir));
      await fill(db, 3, T0, T0 + 6 * H, 600_000);
      await db.compactHead({ all: true });
      const want = dump(db);
      expect(db.blocks).toHaveLength(1);
      const parents = db.blocks[0].meta.compaction.parents!;
      await db.close();
      // Recreate a parent (as if the process died before deleting it) and a half-written block.
      fs.cpSync(db.blocks[0].dir, path.join(t.dir, parents[0]), { recursive: true });
      const meta = JSON.parse(fs.readFileSync(path.join(t.dir, parents[0], 'meta.json'), 'utf8'));
      meta.ulid = parents[0];
      meta.compaction = { level: 1, sources: [parents[0]] };
      fs.writeFileSync(path.join(t.dir, parents[0], 'meta.json'), JSON.stringify(meta));
      fs.mkdirSync(path.join(t.dir, '01JZZZZZZZZZZZZZZZZZZZZZZZ.tmp'));
      const again = await openTsdb(opts(t.dir));
      expect(again.blocks).toHaveLength(1);
      expect(fs.readdirSync(t.dir).filter((n) => n !== 'wal' && n !== 'lock' && n !== 'chunks_head')).toEqual([again.blocks[0].meta.ulid]);
      expect(dump(again)).toEqual(want);
      await again.close();
    } finally {
      t.cleanup();
    }
  });
});
