/**
 * `pnpm bench:tsdb`'s dataset and disk accounting: the file must be OpenMetrics that a strict
 * parser takes whole (promtool refuses what ours might let pass, such as a space after a
 * label comma), and the bytes counted must be the blocks' chunks and index when blocks
 * exist, the WAL otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExposition } from '@edgeprom/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { disk, estimateFileBytes, START_MS, writeDataset } from './tsdb-files.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-tsdb-files-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(file: string, bytes: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.alloc(bytes));
}

describe('bench:tsdb dataset', () => {
  it('is OpenMetrics with every series and sample, 15 s apart, families contiguous', () => {
    const file = path.join(dir, 'node.om');
    const w = writeDataset(file, 3, 40, 50);
    expect(w).toMatchObject({ series: 120, samples: 6000 });
    const text = fs.readFileSync(file, 'utf8');
    expect(w.bytes).toBe(Buffer.byteLength(text));
    // Promtool's OpenMetrics parser takes no blank after a comma between labels.
    expect(text).not.toMatch(/", /);
    const fams = parseExposition(text, { format: 'openmetrics', source: file, limits: { maxBodyBytes: 0, maxSamples: 0 } });
    const samples = fams.flatMap((f) => f.samples);
    expect(samples.length).toBe(6000);
    const bySeries = new Map<string, number[]>();
    for (const s of samples) bySeries.set(s.labels.key, [...(bySeries.get(s.labels.key) ?? []), s.timestampMs!]);
    expect(bySeries.size).toBe(120);
    for (const ts of bySeries.values()) {
      expect(ts.length).toBe(50);
      expect(ts[0]).toBeGreaterThanOrEqual(START_MS);
      for (let i = 1; i < ts.length; i++) {
        const d = ts[i]! - ts[i - 1]!;
        expect(d).toBeGreaterThanOrEqual(15_000 - 12);
        expect(d).toBeLessThanOrEqual(15_000 + 12);
      }
    }
    expect(new Set(fams.map((f) => f.type))).toEqual(new Set(['counter', 'gauge']));
    expect(estimateFileBytes(3, 40, 50)).toBeGreaterThanOrEqual(w.bytes * 0.8);
  });
});

describe('bench:tsdb disk accounting', () => {
  it('counts the WAL when there is no block, and says so', () => {
    const store = path.join(dir, 'wal-only');
    put(path.join(store, 'wal/00000000'), 1000);
    put(path.join(store, 'wal/00000001'), 500);
    put(path.join(store, 'lock'), 10);
    const d = disk(store);
    expect(d).toMatchObject({ kind: 'wal', blocks: 0, countedBytes: 1500, totalBytes: 1510 });
    expect(d.counted).toContain('wal/* (2 files');
    expect(d.notCounted).toContain('lock');
  });

  it('counts chunks and index of every block once blocks exist, not the WAL or meta files', () => {
    const store = path.join(dir, 'blocks');
    for (const ulid of ['01JDZ0000000000000000000AA', '01JDZ0000000000000000000AB']) {
      put(path.join(store, ulid, 'chunks/000001'), 3000);
      put(path.join(store, ulid, 'index'), 200);
      put(path.join(store, ulid, 'meta.json'), 300);
      put(path.join(store, ulid, 'tombstones'), 9);
    }
    put(path.join(store, 'wal/00000000'), 7000);
    const d = disk(store);
    expect(d).toMatchObject({ kind: 'blocks', blocks: 2, countedBytes: 6400, totalBytes: 6400 + 618 + 7000 });
    expect(d.counted).toMatch(/<block>\/chunks\/\* \(2 files.*<block>\/index \(2 files/);
    expect(d.notCounted).toContain('wal/*');
    expect(d.notCounted).toContain('<block>/meta.json');
  });
});
