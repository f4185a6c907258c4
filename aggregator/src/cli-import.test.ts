import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-test-util.js';
import { importOpenMetrics, type ImportProgress } from './main/tsdb-import.js';
import { Matcher } from './storage/matcher.js';
import { openTsdb } from './tsdb/tsdb.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => path.join(dir, `db-${n++}`);

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** Every sample of every series in the store, as `labels t=v` lines. */
async function dump(db: string): Promise<string[]> {
  const tsdb = await openTsdb({ dir: db });
  try {
    const q = tsdb.querier(-Infinity, Infinity);
    const out: string[] = [];
    for (const s of q.select([Matcher.create('=~', '__name__', '.+')])) {
      const it = s.iterator();
      while (it.next()) out.push(`${s.labels.toString()} ${it.atT()}=${it.atV()}`);
    }
    q.close();
    return out;
  } finally {
    await tsdb.close();
  }
}

const GOOD = [
  '# TYPE temp gauge',
  '# HELP temp A gauge.',
  'temp{room="a"} 20.5 1700000000.001',
  'temp{room="a"} 21 1700000015.002',
  'temp{room="b"} 19 1700000000.003',
  '# TYPE reqs counter',
  'reqs_total{code="200"} 5 1700000000',
  'reqs_total{code="200"} 9 1700000015.5',
  '# TYPE lat histogram',
  'lat_bucket{le="0.5"} 1 1700000000',
  'lat_bucket{le="+Inf"} 2 1700000000',
  'lat_count 2 1700000000',
  'lat_sum 1.5 1700000000',
  '# EOF',
  '',
].join('\n');

describe('tsdb import openmetrics', () => {
  it.each([7, 64, 1 << 16])('imports every sample with truncated ms timestamps (read %i bytes at a time)', async (chunkBytes) => {
    const db = fresh();
    const seen: [ImportProgress, boolean][] = [];
    const s = await importOpenMetrics({
      file: file('good.om', GOOD),
      dir: db,
      chunkBytes,
      batchSamples: 3,
      progressEveryMs: 0,
      onProgress: (p, final) => seen.push([p, final]),
    });
    expect(s.rejectedTotal).toBe(0);
    expect(s.samples).toBe(9);
    expect(s.series).toBe(7);
    expect([s.minTime, s.maxTime]).toEqual([1700000000000, 1700000015500]);
    expect(seen.at(-1)![1]).toBe(true);
    expect(seen.at(-1)![0]).toMatchObject({ samples: 9, series: 7, rejected: 0 });
    const rows = await dump(db);
    expect(rows).toContain('temp{room="a"} 1700000000001=20.5');
    expect(rows).toContain('reqs_total{code="200"} 1700000015500=9');
    expect(rows).toContain('lat_bucket{le="+Inf"} 1700000000000=2');
    expect(rows).toHaveLength(9);
  });

  it('skips bad lines with their line numbers and reasons, and keeps going (promtool stops)', async () => {
    const text = [
      '# TYPE g gauge',
      'g{a="1"} 1 1700000000',
      'g{a="1"} oops 1700000015', // line 3: bad value
      'g{a="1"} 3 1700000030',
      'g{a="1"} 2 1700000020', // out of order
      'g{a="2"} 7', // no timestamp
      'g{a="1" 4 1700000045', // line 7: bad labels
      'g{a="1"} 5 1700000060',
      '# EOF',
      '',
    ].join('\n');
    const db = fresh();
    const s = await importOpenMetrics({ file: file('bad.om', text), dir: db, chunkBytes: 16 });
    expect(s.samples).toBe(3);
    expect(s.rejectedTotal).toBe(4);
    // Line numbers count from the top of the file even after the parser restarted.
    const f = path.join(dir, 'bad.om');
    expect([...s.rejected.values()].map((r) => r.first)).toEqual([
      `${f}:3:10: invalid value "oops"`,
      `${f}:5:1: timestamps of metric g{a="1"} go backwards`,
      'g{a="2"}',
      expect.stringMatching(new RegExp(`^${f.replace(/[.]/g, '\\.')}:7:\\d+: `)),
    ]);
    expect(s.rejected.get('sample without a timestamp (backfill needs one)')?.count).toBe(1);
    expect(await dump(db)).toEqual([
      'g{a="1"} 1700000000000=1',
      'g{a="1"} 1700000030000=3',
      'g{a="1"} 1700000060000=5',
    ]);
  });

  it('imports older data under what the store holds, and a conflicting value is refused', async () => {
    const db = fresh();
    await importOpenMetrics({ file: file('new.om', 'm 2 1700086400\nm 3 1700086415\n# EOF\n'), dir: db });
    // 30 days older: beyond the server's default out-of-order window, still imported.
    const old = await importOpenMetrics({ file: file('old.om', 'm 1 1697494400\nm 9 1700086415\n# EOF\n'), dir: db });
    expect(old.samples).toBe(1);
    expect(old.rejected.get('ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP')?.count).toBe(1);
    expect(await dump(db)).toEqual(['m 1697494400000=1', 'm 1700086400000=2', 'm 1700086415000=3']);
  });

  it('reports a missing # EOF but keeps the samples', async () => {
    const s = await importOpenMetrics({ file: file('noeof.om', 'x 1 1700000000\nx 2 1700000001'), dir: fresh() });
    expect(s.samples).toBe(2);
    expect(s.rejectedTotal).toBe(1);
    expect([...s.rejected.values()][0]!.first).toMatch(/EOF/);
  });

  it('CLI: prints the summary on stdout, exits 1 when lines were rejected and 0 otherwise', () => {
    const good = runCli(['tsdb', 'import', 'openmetrics', file('cli-good.om', GOOD), '--storage.tsdb.path', fresh()]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/series: +7\n +samples: +9\n +time range: 2023-11-14T22:13:20.000Z \.\. 2023-11-14T22:13:35.500Z/);
    expect(good.stdout).toContain('rejected:   0');
    const bad = runCli(['tsdb', 'import', 'openmetrics', file('cli-bad.om', 'y 1\n# EOF\n'), '--storage.tsdb.path', fresh()]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('1 × sample without a timestamp (backfill needs one); first: y');
  });

  it('CLI: --max-samples-in-memory bounds the head and must be a positive integer', () => {
    const r = runCli(['tsdb', 'import', 'openmetrics', file('cli-bounded.om', GOOD), '--storage.tsdb.path', fresh(), '--max-samples-in-memory=4']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/head: +written to blocks 1×, at most 9 samples in memory/);
    const bad = runCli(['tsdb', 'import', 'openmetrics', file('cli-bounded.om', GOOD), '--max-samples-in-memory=0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--max-samples-in-memory: expected a positive integer, got "0"');
  });

  it('CLI: a missing file is an error, not a crash', () => {
    const r = runCli(['tsdb', 'import', 'openmetrics', path.join(dir, 'nope.om'), '--storage.tsdb.path', fresh()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nope.om');
  });
});

