/**
 * A buffer database that cannot be opened is repaired, or moved aside to
 * `<path>.corrupt-<stamp>` with a loud error log, and a fresh one is opened: never a crash loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Level } from 'level';
import { ManualClock, RealClock } from '@edgeprom/shared';
import { LevelSampleBuffer, type LevelSampleBufferOptions } from './level-buffer.js';
import { metaKey } from './codec.js';
import { gauges } from './testing.js';

const AGENT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let path: string;
let lines: { level: number; msg: string; [k: string]: unknown }[];
let logger: pino.Logger;
let open: LevelSampleBuffer[] = [];
let holder: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-corrupt-'));
  path = join(dir, 'buffer');
  await writeFile(join(dir, 'boot_id'), 'boot-x\n');
  lines = [];
  logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    }),
  );
});
afterEach(async () => {
  for (const b of open) await b.close().catch(() => undefined);
  open = [];
  if (holder && holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function make(over: Partial<LevelSampleBufferOptions> = {}): Promise<LevelSampleBuffer> {
  const b = new LevelSampleBuffer({ path, bootIdPath: join(dir, 'boot_id'), clock: new ManualClock(), logger, lockWaitMs: 0, ...over });
  open.push(b);
  await b.open();
  return b;
}

/** A database with 30 durable samples, closed. */
async function seed(): Promise<void> {
  const b = await make();
  b.append([gauges('seeded', 30)], Date.UTC(2026, 0, 1));
  await b.close();
}

async function samples(b: LevelSampleBuffer): Promise<number> {
  return (await b.readFrom(undefined, 1e6)).reduce((n, r) => n + r.seqs.length, 0);
}

const errors = () => lines.filter((l) => l.level >= 50).map((l) => l.msg);
const asideDirs = async () => (await readdir(dir)).filter((f) => f.startsWith('buffer.corrupt-'));

describe('buffer database recovery', () => {
  it('repairs garbage in CURRENT and keeps the data', async () => {
    await seed();
    await writeFile(join(path, 'CURRENT'), 'garbage, not a manifest name\n');
    const b = await make();
    expect(await samples(b)).toBe(30);
    expect(errors()).toEqual(expect.arrayContaining([expect.stringContaining('cannot be opened; trying to repair'), expect.stringContaining('repaired')]));
    expect(await asideDirs()).toEqual([]);
    // A repair may have lost the newest writes, seq high-water marks included: the buffer
    // starts a new seq space (a new boot id) rather than risk reusing seqs already pushed.
    b.append([gauges('seeded', 1)], Date.UTC(2026, 0, 1));
    await b.flush();
    const boots = b.stats().boots;
    expect(boots.map((x) => [x.lastSeq, x.samples])).toEqual([[30, 30], [1, 1]]);
    expect(boots[1].boot).not.toBe(boots[0].boot);
    expect(boots[1].boot).toMatch(/^boot-x\./);
    expect((await b.readFrom(undefined, 100)).map((r) => r.boot)).toEqual([boots[0].boot, boots[1].boot]);
  });

  it('repairs garbage in the MANIFEST', async () => {
    await seed();
    const manifest = (await readdir(path)).find((f) => f.startsWith('MANIFEST-'))!;
    await writeFile(join(path, manifest), Buffer.alloc(200, 0xab));
    const b = await make();
    expect(await samples(b)).toBe(30);
    expect(errors().some((m) => m.includes('repaired'))).toBe(true);
  });

  it('moves the database aside when repair fails, logs it loudly, and starts empty', async () => {
    await seed();
    await writeFile(join(path, 'CURRENT'), 'garbage\n');
    const b = await make({ repair: async () => Promise.reject(new Error('repair exploded')) });
    expect(await samples(b)).toBe(0);
    const aside = await asideDirs();
    expect(aside).toEqual([expect.stringMatching(/^buffer\.corrupt-\d{8}T\d{6}Z$/)]);
    expect(await readFile(join(dir, aside[0], 'CURRENT'), 'utf8')).toBe('garbage\n'); // kept for a human
    const loud = lines.find((l) => l.msg.includes('MOVED ASIDE'))!;
    expect(loud).toMatchObject({ level: 50, path, movedTo: join(dir, aside[0]) });
    b.append([gauges('fresh', 2)], Date.UTC(2026, 0, 1));
    await b.flush();
    expect(await samples(b)).toBe(2);
  });

  it('moves aside a path that is not a database at all (a file)', async () => {
    await writeFile(path, 'I am a file');
    const b = await make();
    expect(await samples(b)).toBe(0);
    expect(await asideDirs()).toHaveLength(1);
    expect(lines.some((l) => l.msg.includes('MOVED ASIDE'))).toBe(true);
  });

  it('moves aside a database in an unknown format version', async () => {
    await seed();
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.put(metaKey('version'), Uint8Array.of(99));
    await db.close();
    const b = await make();
    expect(await samples(b)).toBe(0);
    expect(await asideDirs()).toHaveLength(1);
    expect(errors()).toEqual(expect.arrayContaining([expect.stringContaining('unknown format'), expect.stringContaining('MOVED ASIDE')]));
  });

  async function holdLock(): Promise<ChildProcess> {
    const code = `import { Level } from 'level'; const db = new Level(process.argv[1]); await db.open(); console.log('holding'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, path], { cwd: AGENT, stdio: ['ignore', 'pipe', 'inherit'] });
    for await (const line of createInterface({ input: child.stdout! })) if (line === 'holding') break;
    return child;
  }

  it('waits for a lock held by another process and opens the same database once it is free', async () => {
    await seed();
    holder = await holdLock();
    const logged = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (lines.some((l) => l.msg.includes('locked; waiting'))) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    // Real time here; the seeded samples are stamped 2026-01-01, so age must not drop them.
    const opening = make({ clock: new RealClock(), lockWaitMs: 60_000, lockRetryMs: 50, maxAgeMs: 100 * 365 * 86_400_000 });
    await logged;
    holder.kill('SIGKILL');
    const b = await opening;
    expect(await samples(b)).toBe(30);
    expect(await asideDirs()).toEqual([]);
  });

  it('moves aside a database whose lock another process keeps holding', async () => {
    await seed();
    holder = await holdLock();
    const b = await make({ lockWaitMs: 0 });
    expect(await samples(b)).toBe(0);
    expect(await asideDirs()).toHaveLength(1);
    expect(errors().some((m) => m.includes('locked by another process'))).toBe(true);
  });
});
