import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@edgeprom/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DISCOVERY_ERROR_CODES } from './discovery-error.js';
import { FileDiscoverer, globToRegExp } from './file-sd.js';
import { EmitLog, MemoryLogger, waitFor } from './testing.js';

let dir: string;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeprom-file-sd-'));
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await rm(dir, { recursive: true, force: true });
});

function start(files: string[], opts: { watch: boolean; clock?: ManualClock; logger?: MemoryLogger }) {
  const clock = opts.clock ?? new ManualClock();
  const log = new EmitLog();
  const ac = new AbortController();
  const d = new FileDiscoverer({ files, refresh_interval: 60_000 }, { clock, logger: opts.logger, baseDir: dir, watch: opts.watch });
  const done = d.run(ac.signal, log.emit);
  stops.push(async () => {
    ac.abort();
    await done;
  });
  return { clock, log, stop: () => (ac.abort(), done) };
}

const json = (groups: unknown) => JSON.stringify(groups);

describe('FileDiscoverer', () => {
  it('reads JSON and YAML files matched by globs, relative to baseDir, with __meta_filepath', async () => {
    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:9100'], labels: { env: 'lab' } }]));
    await writeFile(join(dir, 'b.json'), json([{ targets: ['b:9100'] }, { targets: ['b2:9100'] }]));
    await writeFile(join(dir, 'c.yml'), '- targets: ["c:9100"]\n');
    await writeFile(join(dir, 'ignored.txt'), 'x');
    const { log } = start(['*.json', 'c.yml', 'missing/*.json'], { watch: false });
    await waitFor(() => log.emits.length > 0, 'the first emit');
    expect(log.emits).toHaveLength(1);
    expect(log.emits[0].map((g) => g.source)).toEqual([
      `${join(dir, 'a.json')}:0`,
      `${join(dir, 'b.json')}:0`,
      `${join(dir, 'b.json')}:1`,
      `${join(dir, 'c.yml')}:0`,
    ]);
    expect(log.addresses()).toEqual(['a:9100', 'b2:9100', 'b:9100', 'c:9100']);
    expect(log.targets().find((t) => t.__address__ === 'a:9100')).toEqual({
      __address__: 'a:9100',
      env: 'lab',
      __meta_filepath: join(dir, 'a.json'),
    });
  });

  it('emits an empty full set first when no file matches', async () => {
    const { log } = start(['*.json'], { watch: false });
    await waitFor(() => log.emits.length > 0, 'the first emit');
    expect(log.emits).toEqual([[]]);
  });

  it('picks up changes on the refresh timer: changed groups, new files, removed groups and files', async () => {
    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:1'] }, { targets: ['a2:1'] }]));
    const { clock, log } = start(['*.json'], { watch: false });
    await waitFor(() => log.emits.length > 0, 'the first emit');

    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:2'] }]));
    await writeFile(join(dir, 'b.json'), json([{ targets: ['b:1'] }]));
    await clock.advance(60_000);
    await waitFor(() => log.emits.length > 1, 'the refresh');
    expect(log.addresses()).toEqual(['a:2', 'b:1']);
    // Only what changed: a.json's first group, its vanished second group, b.json's group.
    expect(log.emits[1].map((g) => [g.source.slice(dir.length + 1), g.targets.length])).toEqual([
      ['a.json:0', 1],
      ['b.json:0', 1],
      ['a.json:1', 0],
    ]);

    await unlink(join(dir, 'a.json'));
    await clock.advance(60_000);
    await waitFor(() => log.emits.length > 2, 'the refresh after removal');
    expect(log.addresses()).toEqual(['b:1']);

    // Nothing changed: no emit.
    await clock.advance(60_000);
    await clock.advance(60_000);
    expect(log.emits).toHaveLength(3);
  });

  it('keeps the last good groups of a bad file and logs the error', async () => {
    const logger = new MemoryLogger();
    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:1'] }]));
    const { clock, log } = start(['a.json'], { watch: false, logger });
    await waitFor(() => log.emits.length > 0, 'the first emit');

    await writeFile(join(dir, 'a.json'), '[{"targets": ["a:2"]'); // truncated
    await clock.advance(60_000);
    await waitFor(() => logger.at('error').length > 0, 'the error log');
    expect(log.addresses()).toEqual(['a:1']);
    expect(logger.at('error')[0].obj).toMatchObject({ code: DISCOVERY_ERROR_CODES.FILE, file: join(dir, 'a.json') });
    expect(logger.at('error')[0].msg).toContain('keeping its last good target groups');

    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:3'] }]));
    await clock.advance(60_000);
    await waitFor(() => log.addresses()[0] === 'a:3' || undefined, 'the fixed file');
  });

  it('a file that is bad from the start contributes nothing until fixed', async () => {
    const logger = new MemoryLogger();
    await writeFile(join(dir, 'a.yaml'), 'targets: [a:1]\n'); // a map, not a list
    const { clock, log } = start(['a.yaml'], { watch: false, logger });
    await waitFor(() => log.emits.length > 0, 'the first emit');
    expect(log.emits).toEqual([[]]);
    expect(logger.at('error')).toHaveLength(1);
    await writeFile(join(dir, 'a.yaml'), '- targets: [a:1]\n');
    await clock.advance(60_000);
    await waitFor(() => log.addresses()[0] === 'a:1' || undefined, 'the fixed file');
  });

  it('sees changes through fs.watch without the timer', async () => {
    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:1'] }]));
    const { log } = start(['*.json'], { watch: true });
    await waitFor(() => log.emits.length > 0, 'the first emit');
    // Written aside and renamed into place, as config management tools do.
    await writeFile(join(dir, 'b.json.tmp'), json([{ targets: ['b:1'] }]));
    await rename(join(dir, 'b.json.tmp'), join(dir, 'b.json'));
    await waitFor(() => log.addresses().includes('b:1') || undefined, 'b.json via fs.watch');
    await writeFile(join(dir, 'a.json'), json([{ targets: ['a:2'] }]));
    await waitFor(() => log.addresses().includes('a:2') || undefined, 'the a.json change via fs.watch');
    await unlink(join(dir, 'b.json'));
    await waitFor(() => !log.addresses().includes('b:1') || undefined, 'b.json removal via fs.watch');
    expect(log.addresses()).toEqual(['a:2']);
  });

  it('releases its timer when stopped', async () => {
    const clock = new ManualClock();
    const { log, stop } = start(['*.json'], { watch: true, clock });
    await waitFor(() => log.emits.length > 0, 'the first emit');
    expect(clock.pendingTimers).toBe(1);
    await stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('globToRegExp', () => {
  it('matches like filepath.Match in one path element', () => {
    expect(globToRegExp('*.json').test('a.json')).toBe(true);
    expect(globToRegExp('*.json').test('a.yml')).toBe(false);
    expect(globToRegExp('node-?.yml').test('node-1.yml')).toBe(true);
    expect(globToRegExp('[ab].json').test('c.json')).toBe(false);
    expect(globToRegExp('[!ab].json').test('c.json')).toBe(true);
    expect(globToRegExp('a+b.json').test('a+b.json')).toBe(true);
  });
});
