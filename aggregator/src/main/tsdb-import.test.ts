import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { openTsdb } from '../tsdb/tsdb.js';
import { dump, tempDir } from '../tsdb/wal-test-util.js';
import { importOpenMetrics } from './tsdb-import.js';

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
});
