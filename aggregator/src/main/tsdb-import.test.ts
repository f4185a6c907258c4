import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { openTsdb } from '../tsdb/tsdb.js';
import { dump, tempDir } from '../tsdb/wal-test-util.js';
import { importOpenMetrics, type ImportProgress, type ImportSummary } from './tsdb-import.js';

const H = 3600;

describe('tsdb import', () => {
  it('leaves the imported data in blocks, readable after reopen, with the WAL checkpointed', async () => {
    const t = tempDir('import-blocks');
    try {
      const lines = ['# TYPE m gauge'];
      const t0 = 1_767_225_600; // 2026-01-01, seconds
      for (let i = 0; i < 3; i++) for (let s = 0; s < 7 * H; s += 60) lines.push(`m{i="${i}"} ${i + s} ${t0 + s}`);
      lines.push('# EOF', '');
      const file = path.join(t.dir, 'in.om');
      fs.writeFileSync(file, lines.join('\n'));
      const dir = path.join(t.dir, 'db');
      const summary = await importOpenMetrics({ file, dir });
      expect(summary.samples).toBe(3 * 7 * 60);
      expect(summary.blocks).toBeGreaterThan(0);
      const blocks = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'meta.json')));
      expect(blocks.length).toBe(summary.blocks);
      expect(fs.readdirSync(path.join(dir, 'wal')).some((n) => n.startsWith('checkpoint.'))).toBe(true);
      const db = await openTsdb({ dir, clock: new ManualClock(t0 * 1000), compactIntervalMs: 0, retentionMs: 0 });
      expect(db.head.minTime).toBe(Infinity);
      const d = dump(db);
      expect([...d.values()].map((s) => s.length)).toEqual([420, 420, 420]);
      await db.close();
    } finally {
      t.cleanup();
    }
  });

  /** 3 series, one sample a minute for 7 h, in families as a file has them; bad lines optional. */
  function sevenHours(dir: string, bad = false): string {
    const t0 = 1_767_225_600; // 2026-01-01, seconds: block-range aligned
    const lines = ['# TYPE m gauge'];
    for (let i = 0; i < 3; i++) {
      for (let s = 0; s < 7 * H; s += 60) {
        lines.push(`m{i="${i}"} ${i + s} ${t0 + s}`);
        if (bad && i === 1 && s === 3 * H) lines.push('m{i="1"} oops 1767236400', 'm{i="9"} 5');
      }
    }
    lines.push('# TYPE c counter', ...Array.from({ length: 7 * 60 }, (_, k) => `c_total 1${k} ${t0 + k * 60}`), '# EOF', '');
    const file = path.join(dir, bad ? 'bad.om' : 'in.om');
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  }

  async function contents(dir: string): Promise<Map<string, [number, string][]>> {
    const db = await openTsdb({ dir, compactIntervalMs: 0, retentionMs: 0 });
    try {
      expect(db.head.minTime).toBe(Infinity);
      return dump(db);
    } finally {
      await db.close();
    }
  }

  const same = (a: ImportSummary, b: ImportSummary) => {
    for (const k of ['series', 'samples', 'minTime', 'maxTime', 'lines', 'bytes', 'rejectedTotal'] as const) expect(a[k], k).toBe(b[k]);
    expect([...a.rejected]).toEqual([...b.rejected]);
  };

  for (const bad of [false, true]) {
    it(`bounds the head by maxSamplesInMemory in one read, the result as an unbounded import's${bad ? ' (bad lines reported once)' : ''}`, async () => {
      const t = tempDir('import-bounded');
      try {
        const file = sevenHours(t.dir, bad);
        const one = await importOpenMetrics({ file, dir: path.join(t.dir, 'one'), maxSamplesInMemory: Infinity });
        expect(one.cuts).toBe(1);
        expect(one.peakHeadSamples).toBe(one.samples);
        const seen: [ImportProgress, boolean][] = [];
        // A read chunk of 1 KiB holds at most 50 sample lines (the shortest has 22 bytes).
        const many = await importOpenMetrics({
          file,
          dir: path.join(t.dir, 'many'),
          maxSamplesInMemory: 500,
          chunkBytes: 1024,
          progressEveryMs: 0,
          onProgress: (p, final) => seen.push([p, final]),
        });
        same(many, one);
        if (bad) expect(many.rejectedTotal).toBe(2);
        expect(many.cuts).toBeGreaterThanOrEqual(Math.ceil(one.samples / 550));
        expect(many.peakHeadSamples).toBeGreaterThan(0);
        expect(many.peakHeadSamples).toBeLessThanOrEqual(550);
        expect(seen.map(([p]) => p.cuts)).toContain(1);
        expect(seen.at(-1)).toEqual([expect.objectContaining({ samples: one.samples, series: one.series, cuts: many.cuts }), true]);
        // The same samples, each once on disk, in blocks that no longer overlap.
        expect(await contents(path.join(t.dir, 'many'))).toEqual(await contents(path.join(t.dir, 'one')));
        const db = await openTsdb({ dir: path.join(t.dir, 'many'), compactIntervalMs: 0, retentionMs: 0 });
        for (let i = 1; i < db.blocks.length; i++) expect(db.blocks[i].minTime).toBeGreaterThanOrEqual(db.blocks[i - 1].maxTime);
        expect(db.blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0)).toBe(one.samples);
        await db.close();
      } finally {
        t.cleanup();
      }
    });
  }
});
