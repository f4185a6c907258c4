import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EdgepromError, Labels, ManualClock } from '@edgeprom/shared';
import { TSDB_ERROR_CODES } from './tsdb-errors.js';
import { openTsdb } from './tsdb.js';
import { dump, segmentFiles, tempDir } from './wal-test-util.js';

const DOC = fileURLToPath(new URL('../../../docs/tsdb.md', import.meta.url));

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgepromError);
    return (e as EdgepromError).code;
  }
  throw new Error('expected an error');
}

describe('TSDB error codes', () => {
  it('every code is documented in docs/tsdb.md and can be raised', async () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    for (const code of TSDB_ERROR_CODES) expect(doc, code).toContain(`\`${code}\``);

    const t = tempDir('tsdb-errors');
    try {
      const seen = new Set<string>();
      const l = Labels.from({ __name__: 'm' });
      const opts = { dir: t.dir, clock: new ManualClock(), walSegmentBytes: 1024 };
      const db = await openTsdb(opts);
      seen.add(await codeOf(() => openTsdb(opts)));

      // A write failure: the next segment's name is taken by a directory, so opening it fails.
      fs.mkdirSync(path.join(t.dir, 'wal', '00000002'));
      let k = 0;
      const commit = async () => {
        const app = db.appender();
        for (let i = 0; i < 20; i++) app.append(l, Date.UTC(2026, 0, 1) + k++, i);
        await app.commit();
      };
      await commit();
      const durable = dump(db);
      const err = await codeOf(async () => {
        for (;;) await commit();
      });
      seen.add(err);
      expect(db.metrics.wal.writeErrors).toBe(1);
      seen.add(await codeOf(commit)); // refused from now on, before touching the head
      await db.close();
      seen.add(await codeOf(() => db.appender()));
      fs.rmdirSync(path.join(t.dir, 'wal', '00000002'));

      // What was durable before the failure is there after a restart.
      const again = await openTsdb(opts);
      const got = dump(again).get('m')!;
      expect(got.slice(0, durable.get('m')!.length)).toEqual(durable.get('m'));
      // A checkpoint refuses to fold in a damaged segment.
      const [first] = segmentFiles(t.dir);
      const data = fs.readFileSync(first);
      data[20] ^= 1;
      fs.writeFileSync(first, data);
      seen.add(await codeOf(() => again.checkpoint()));
      await again.close();
      // A block whose chunk fails its checksum when a query reads it (another store).
      const other = await openTsdb({ ...opts, dir: path.join(t.dir, 'other') });
      const app = other.appender();
      app.append(l, Date.UTC(2026, 0, 1), 1);
      await app.commit();
      await other.compactHead({ all: true });
      const seg = path.join(other.blocks[0].dir, 'chunks', '000001');
      const bytes = fs.readFileSync(seg);
      bytes[10] ^= 1;
      fs.writeFileSync(seg, bytes);
      seen.add(await codeOf(() => dump(other)));
      await other.close();
      // A block whose tombstones file is unreadable keeps the store from opening.
      const third = await openTsdb({ ...opts, dir: path.join(t.dir, 'third') });
      const app3 = third.appender();
      app3.append(l, Date.UTC(2026, 0, 1), 1);
      await app3.commit();
      await third.compactHead({ all: true });
      fs.writeFileSync(path.join(third.blocks[0].dir, 'tombstones'), 'not tombstones');
      await third.close();
      seen.add(await codeOf(() => openTsdb({ ...opts, dir: path.join(t.dir, 'third') })));
      // An unreadable head-tombstones.json keeps the store from opening too.
      const fourth = path.join(t.dir, 'fourth');
      fs.mkdirSync(fourth);
      fs.writeFileSync(path.join(fourth, 'head-tombstones.json'), '{"version":1,"series":[{');
      seen.add(await codeOf(() => openTsdb({ ...opts, dir: fourth })));
      expect([...seen].sort()).toEqual([...TSDB_ERROR_CODES].sort());
    } finally {
      t.cleanup();
    }
  });
});
