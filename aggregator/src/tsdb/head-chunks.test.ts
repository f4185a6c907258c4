/**
 * Sealed head chunks in files (head-chunks-file.ts) against the same head keeping them in
 * memory: the storage contract, a differential run with truncations, segment deletion, reads
 * under a running query, failed writes, and a Tsdb reopened over a missing or damaged
 * chunks_head directory (rebuilt from the WAL).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, ManualClock } from '@edgeprom/shared';
import { readSeriesSet, runStorageContract } from '../storage/contract.js';
import { Matcher } from '../storage/matcher.js';
import { Head, type HeadOptions } from './head.js';
import { openTsdb } from './tsdb.js';
import { dump, memoryLogger, tempDir } from './wal-test-util.js';

const root = tempDir('head-chunks');
afterAll(() => root.cleanup());
let nextDir = 0;
const newDir = () => path.join(root.dir, `h${nextDir++}`);
const opened: Head[] = [];
afterEach(() => {
  for (const h of opened.splice(0)) h.close();
});
/** A head with its sealed chunks in a fresh directory. */
function fileHead(opts: HeadOptions = {}): Head {
  const h = new Head({ clock: new ManualClock(), appendWindowMs: Infinity, chunksDir: newDir(), ...opts });
  opened.push(h);
  return h;
}
const segments = (h: Head) => fs.readdirSync(dirOf(h)).sort();

runStorageContract('Head with sealed chunks in files, 4-sample chunks', () => fileHead({ chunkSamples: 4, outOfOrderCapacity: 3 }), {
  outOfOrder: true,
});
runStorageContract('Head with sealed chunks in files, no out-of-order window', () =>
  fileHead({ chunkSamples: 4, outOfOrderTimeWindowMs: 0 }),
);

const up = (i: number) => Labels.from({ __name__: 'up', instance: String(i) });

async function write(head: Head, samples: [Labels, number, number][]): Promise<void> {
  const app = head.appender();
  for (const [l, t, v] of samples) app.append(l, t, v);
  await app.commit();
}

describe('head chunks in files', () => {
  it('keeps sealed chunks off the heap and reads them back from the segment files', async () => {
    const head = fileHead({ chunkSamples: 10, chunkRangeMs: 10_000_000 });
    const want = new Map<string, [number, string][]>();
    for (let t = 0; t < 200; t++) {
      const batch: [Labels, number, number][] = [];
      for (let i = 0; i < 50; i++) batch.push([up(i), t * 1000, Math.sin(t * 0.1 + i) * 1000]);
      await write(head, batch);
    }
    for (let i = 0; i < 50; i++) {
      want.set(
        up(i).toString(),
        Array.from({ length: 200 }, (_, t) => [t * 1000, float64Hex(Math.sin(t * 0.1 + i) * 1000)]),
      );
    }
    const st = head.store.chunks.stats();
    expect(st).toMatchObject({ onDisk: true, chunks: 50 * 19, segments: 1, writeErrors: 0 });
    expect(head.store.arena.stats().sealedBytes).toBe(0);
    const [seg] = segments(head);
    expect(seg).toBe('00000001');
    const file = fs.readFileSync(path.join(dirOf(head), seg));
    // Written in 64 KiB batches: the header and every full buffer so far are in the file.
    expect(file.subarray(0, 5)).toEqual(Buffer.from([0x45, 0x50, 0x48, 0x43, 1]));
    expect(st.fileBytes).toBe(8 + st.bytes);
    expect(dump(head)).toEqual(want);
    // A series over part of the range: the chunks it needs, trimmed.
    const q = head.querier(55_000, 57_000);
    expect(readSeriesSet(q.select([Matcher.equal('instance', '7')]))).toEqual([
      { labels: up(7).toString(), samples: want.get(up(7).toString())!.slice(55, 58) },
    ]);
    // Lookups (a repeated sample is a no-op, a different value a duplicate) read sealed chunks too.
    const app = head.appender();
    app.append(up(3), 12_000, Math.sin(1.2 + 3) * 1000);
    expect(() => app.append(up(3), 13_000, 1)).toThrow(/duplicate/i);
    await app.commit();
    expect(head.metrics.duplicatesIgnored).toBe(1);
  });

  it('deletes a segment once head truncation released all its chunks, and only then', async () => {
    const range = 100_000;
    const head = fileHead({ chunkSamples: 5, chunkRangeMs: range });
    // Four block ranges of two series: a segment per range (cut when a later range's chunk arrives).
    for (let t = 0; t < 400; t++) await write(head, [[up(1), t * 1000, t], [up(2), t * 1000, -t]]);
    expect(segments(head)).toEqual(['00000001', '00000002', '00000003', '00000004']);
    const q = head.querier(0, 150_000); // a running query over the first segments
    const running = [...q.select([])];
    head.truncate(range);
    expect(segments(head)).toEqual(['00000002', '00000003', '00000004']);
    head.truncate(3 * range);
    expect(segments(head)).toEqual(['00000004']);
    expect(head.stats().samples).toBe(2 * 100);
    // The snapshot taken before still reads what it selected, its files gone.
    const got = running.map((s) => {
      const it = s.iterator();
      let n = 0;
      while (it.next()) n++;
      return n;
    });
    expect(got).toEqual([151, 151]);
    expect(dump(head).get(up(1).toString())!.map(([t]) => t)).toEqual(Array.from({ length: 100 }, (_, k) => 300_000 + k * 1000));
    // Everything truncated: the segment being written goes too (no file of dead chunks left),
    // and the next sealed chunk starts a new one.
    head.truncate(10 * range);
    expect(head.store.chunks.stats()).toMatchObject({ chunks: 0, bytes: 0, segments: 0, fileBytes: 0 });
    expect(segments(head)).toEqual([]);
    for (let t = 1000; t < 1010; t++) await write(head, [[up(1), t * 1000, t]]);
    expect(segments(head)).toEqual(['00000005']);
    expect(dump(head).get(up(1).toString())!.map(([t]) => t)).toEqual(Array.from({ length: 10 }, (_, k) => (1000 + k) * 1000));
  });

  it('answers like the in-memory head through appends, duplicates and truncations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('append' as const),
              series: fc.integer({ min: 0, max: 4 }),
              steps: fc.integer({ min: 1, max: 30 }),
              dt: fc.integer({ min: -8, max: 12 }).map((x) => x * 5),
            }),
            fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 3000 }) }),
            fc.record({
              kind: fc.constant('query' as const),
              mint: fc.integer({ min: 0, max: 3000 }),
              span: fc.integer({ min: 0, max: 1500 }),
            }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 50, max: 400 }),
        async (ops, chunkSamples, chunkRangeMs) => {
          const opts: HeadOptions = { clock: new ManualClock(), appendWindowMs: Infinity, chunkSamples, chunkRangeMs };
          const mem = new Head(opts);
          const disk = fileHead(opts);
          const last = new Map<number, number>();
          let v = 0;
          for (const op of ops) {
            if (op.kind === 'append') {
              const batch: [Labels, number, number][] = [];
              let t = last.get(op.series) ?? 0;
              for (let k = 0; k < op.steps; k++) {
                // Steps of 5 ms: going back lands on stored timestamps (repeats and duplicates).
                t = Math.max(0, t + (k === 0 ? op.dt : 5));
                batch.push([up(op.series), t, v++ % 5]);
              }
              last.set(op.series, Math.max(t, last.get(op.series) ?? 0));
              const codes = await Promise.all([mem, disk].map((h) => writeCodes(h, batch)));
              expect(codes[1]).toEqual(codes[0]);
            } else if (op.kind === 'truncate') {
              const before = Math.floor(op.at / chunkRangeMs) * chunkRangeMs;
              expect(disk.truncate(before)).toBe(mem.truncate(before));
            } else {
              const sel = (h: Head) => readSeriesSet(h.querier(op.mint, op.mint + op.span).select([]));
              expect(sel(disk)).toEqual(sel(mem));
            }
          }
          expect(dump(disk)).toEqual(dump(mem));
          const [a, b] = [mem.stats(), disk.stats()];
          expect([b.samples, b.chunks, b.chunkBytes]).toEqual([a.samples, a.chunks, a.chunkBytes]);
          expect(disk.store.chunks.stats().bytes).toBe(mem.store.chunks.stats().bytes);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('keeps the chunks of a failed segment write in memory, logs it and reads them from there', async () => {
    const logger = memoryLogger();
    const range = 100_000;
    const head = fileHead({ chunkSamples: 5, chunkRangeMs: range, logger });
    for (let t = 0; t < 150; t++) await write(head, [[up(1), t * 1000, t]]);
    // The directory is gone (replaced by a file): the next segment cannot be made.
    const dir = dirOf(head);
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'not a directory');
    for (let t = 150; t < 400; t++) await write(head, [[up(1), t * 1000, t]]);
    head.truncate(range); // releases chunks of the first segment, whose file was unlinked
    const st = head.store.chunks.stats();
    expect(st.writeErrors).toBeGreaterThan(0);
    expect(st.residentBytes).toBeGreaterThan(64 * 1024);
    expect(logger.at('error').map((e) => e.msg)).toContain('creating a head chunks segment failed');
    expect(dump(head).get(up(1).toString())!.map(([t]) => t)).toEqual(Array.from({ length: 300 }, (_, k) => 100_000 + k * 1000));
  });

  it('keeps sealed chunks in memory, logged, when the directory cannot be made', async () => {
    const logger = memoryLogger();
    const file = newDir();
    fs.writeFileSync(file, 'a file, not a directory');
    const head = fileHead({ chunksDir: path.join(file, 'chunks_head'), chunkSamples: 4, logger });
    expect(head.store.chunks.onDisk).toBe(false);
    expect(logger.at('error').map((e) => e.msg)).toEqual(['chunks_head unusable; sealed head chunks stay in memory']);
    for (let t = 0; t < 20; t++) await write(head, [[up(1), t * 1000, t]]);
    expect(head.store.chunks.stats().chunks).toBe(4);
    expect(dump(head).get(up(1).toString())!.length).toBe(20);
  });

  it('rejects bad chunk-file options with the option named', () => {
    expect(() => new Head({ chunksDir: newDir(), chunksSegmentBytes: 1000 })).toThrow(/segmentBytes must be an integer in \[65536/);
    expect(() => new Head({ chunkRangeMs: 2 ** 33 })).toThrow(/chunkRangeMs must be at most 2\^32/);
  });
});

describe('Tsdb chunks_head', () => {
  const samples = (n: number): [Labels, number, number][] => Array.from({ length: n }, (_, k) => [up(k % 3), 1000 + k * 5000, k]);
  const open = (dir: string, logger = memoryLogger()) =>
    openTsdb({ dir, logger, chunkSamples: 4, compactIntervalMs: 0, fsync: 'never', clock: new ManualClock(1e9) });

  for (const damage of ['missing', 'a file', 'foreign and truncated files'] as const) {
    it(`rebuilds head chunks from the WAL when chunks_head is ${damage} at open`, async () => {
      const t = tempDir('chunks-head-open');
      try {
        const db = await open(t.dir);
        const app = db.appender();
        for (const [l, ts, v] of samples(90)) app.append(l, ts, v);
        await app.commit();
        expect(db.head.store.chunks.stats().chunks).toBeGreaterThan(15);
        const want = dump(db);
        await db.close();
        const ch = path.join(t.dir, 'chunks_head');
        expect(fs.readdirSync(ch)).toEqual(['00000001']);
        if (damage === 'missing') fs.rmSync(ch, { recursive: true });
        if (damage === 'a file') {
          fs.rmSync(ch, { recursive: true });
          fs.writeFileSync(ch, 'garbage');
        }
        if (damage === 'foreign and truncated files') {
          fs.truncateSync(path.join(ch, '00000001'), 20);
          fs.writeFileSync(path.join(ch, 'stray.tmp'), 'x');
        }
        const logger = memoryLogger();
        const again = await open(t.dir, logger);
        expect(dump(again)).toEqual(want);
        expect(fs.readdirSync(ch)).toEqual(['00000001']);
        if (damage !== 'missing') expect(logger.at('warn').length).toBeGreaterThan(0);
        await again.close();
      } finally {
        t.cleanup();
      }
    });
  }
});

async function writeCodes(head: Head, batch: [Labels, number, number][]): Promise<string[]> {
  const app = head.appender();
  const codes = batch.map(([l, t, v]) => {
    try {
      app.append(l, t, v);
      return '';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  });
  await app.commit();
  return codes;
}

function dirOf(head: Head): string {
  return (head.store.chunks as unknown as { dir: string }).dir;
}

function float64Hex(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}
