import { utimes } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { textfileExporter } from './textfile.js';
import { fakeTree, family, samples, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('textfile exporter', () => {
  it('serves the metrics of every *.prom file, with their mtimes', async () => {
    tree = await fakeTree({
      'tf/backup.prom': '# HELP backup_last_success_seconds Last good backup.\n# TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds 1767225600\n',
      'tf/apt.prom': '# TYPE apt_upgrades_pending gauge\napt_upgrades_pending{origin="Debian"} 3\napt_upgrades_pending{origin="Raspbian"} 1\n',
      'tf/notes.txt': 'not a prom file',
    });
    await utimes(tree.path('tf/apt.prom'), 1_767_225_000, 1_767_225_000);
    const fams = await textfileExporter({ directory: tree.path('tf') }).collect();
    expect(value(fams, 'backup_last_success_seconds')).toBe(1767225600);
    expect(family(fams, 'backup_last_success_seconds')?.help).toBe('Last good backup.');
    expect(value(fams, 'apt_upgrades_pending', { origin: 'Raspbian' })).toBe(1);
    expect(value(fams, 'node_textfile_mtime_seconds', { file: tree.path('tf/apt.prom') })).toBe(1_767_225_000);
    expect(samples(fams, 'node_textfile_mtime_seconds')).toHaveLength(2);
    expect(value(fams, 'node_textfile_scrape_error')).toBe(0);
  });

  it('merges one metric written by several files', async () => {
    tree = await fakeTree({
      'tf/a.prom': '# TYPE job_ok gauge\njob_ok{job="a"} 1\n',
      'tf/b.prom': '# TYPE job_ok gauge\njob_ok{job="b"} 0\n',
    });
    const fams = await textfileExporter({ directory: tree.path('tf') }).collect();
    expect(fams.filter((f) => f.name === 'job_ok')).toHaveLength(1);
    expect(samples(fams, 'job_ok').map((s) => s.labels.get('job'))).toEqual(['a', 'b']);
  });

  it('skips a bad file whole, sets scrape_error, logs once, and keeps the good ones', async () => {
    tree = await fakeTree({
      'tf/good.prom': 'good_metric 1\n',
      'tf/bad.prom': 'bad_metric{ 1\n',
      'tf/stamped.prom': 'stamped_metric 1 1767225600000\n',
      'tf/clash.prom': '# TYPE good_metric counter\ngood_metric 2\n', // read before good.prom: good.prom clashes
    });
    const { logger, lines } = capture();
    const exp = textfileExporter({ directory: tree.path('tf'), logger });
    const fams = await exp.collect();
    expect(value(fams, 'node_textfile_scrape_error')).toBe(1);
    expect(samples(fams, 'bad_metric')).toEqual([]);
    expect(samples(fams, 'stamped_metric')).toEqual([]);
    expect(value(fams, 'good_metric')).toBe(2); // from clash.prom; good.prom disagreed on the type
    expect(samples(fams, 'node_textfile_mtime_seconds').map((s) => s.labels.get('file'))).toEqual([tree.path('tf/clash.prom')]);
    const warned = lines.filter((l) => l.msg === 'textfile skipped');
    expect(warned.map((l) => l.file).sort()).toEqual([tree.path('tf/bad.prom'), tree.path('tf/good.prom'), tree.path('tf/stamped.prom')]);
    expect(String(warned.find((l) => l.file === tree.path('tf/bad.prom'))?.err)).toMatch(/bad\.prom:1:/);
    expect(String(warned.find((l) => l.file === tree.path('tf/stamped.prom'))?.err)).toMatch(/timestamp/);

    await exp.collect();
    expect(lines.filter((l) => l.msg === 'textfile skipped')).toHaveLength(3); // not again
  });

  it('reports a missing directory as scrape_error 1, not as an exporter failure', async () => {
    tree = await fakeTree({});
    const fams = await textfileExporter({ directory: tree.path('absent') }).collect();
    expect(value(fams, 'node_textfile_scrape_error')).toBe(1);
  });

  it('refuses a file over the size limit', async () => {
    tree = await fakeTree({ 'tf/big.prom': `big 1\n${'# padding\n'.repeat(100)}` });
    const fams = await textfileExporter({ directory: tree.path('tf'), maxFileBytes: 100 }).collect();
    expect(samples(fams, 'big')).toEqual([]);
    expect(value(fams, 'node_textfile_scrape_error')).toBe(1);
  });
});
