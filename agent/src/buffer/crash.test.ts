/**
 * Power loss, approximated: a child process appends and flushes in a loop and is SIGKILLed
 * mid-write, three times. Each reopen must find every sample the child reported durable,
 * no sample it did not write, and seqs that keep increasing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { LevelSampleBuffer } from './level-buffer.js';
import { gauges } from './testing.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it has reported `flushes` durable flushes, then SIGKILLs it. */
async function runAndKill(path: string, bootIdPath: string, flushes: number, mode = ''): Promise<{ opened: number; durable: number }> {
  child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, bootIdPath, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
  let opened = -1;
  let durable = 0;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    const [what, n] = line.split(' ');
    if (what === 'open') opened = Number(n);
    if (what === 'flushed') {
      durable = Number(n);
      if (++seen === flushes) {
        child.kill('SIGKILL');
        break;
      }
    }
  }
  await exited;
  if (seen < flushes) throw new Error(`child stopped early: ${stderr}`);
  expect(child.signalCode).toBe('SIGKILL');
  return { opened, durable };
}

describe('buffer crash safety', () => {
  it('reopens after SIGKILL mid-write with every flushed sample and increasing seqs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-crash-'));
    const path = join(dir, 'buffer');
    const bootIdPath = join(dir, 'boot_id');
    await writeFile(bootIdPath, 'crash-boot\n');
    let lastSeen = 0;
    for (let round = 0; round < 3; round++) {
      const { opened, durable } = await runAndKill(path, bootIdPath, 25 + round * 10);
      expect(opened).toBe(lastSeen); // the child continued after everything found last time
      const b = new LevelSampleBuffer({ path, bootIdPath, clock: new ManualClock(), lockWaitMs: 0 });
      await b.open();
      const runs = await b.readFrom(undefined, 10_000_000);
      expect(runs.map((r) => r.boot)).toEqual([expect.stringMatching(/^crash-boot\./)]);
      const { seqs, values, labels } = runs[0];
      // Every reported flush is there; seqs run 1..last without a hole; each value is its own.
      expect(seqs.length).toBeGreaterThanOrEqual(durable);
      expect(seqs[0]).toBe(1);
      let ok = true;
      for (let i = 0; i < seqs.length; i++) {
        if (seqs[i] !== i + 1 || values[i] !== seqs[i] / 2 || (labels[i].name !== 'crash' && labels[i].name !== 'after')) ok = false;
      }
      expect(ok).toBe(true);
      lastSeen = seqs[seqs.length - 1];
      // A restart in the same boot continues after the last durable seq.
      b.append([gauges('after', 1, () => (lastSeen + 1) / 2)], 0);
      await b.flush();
      expect(b.stats().boots[0].lastSeq).toBe(lastSeen + 1);
      lastSeen++;
      await b.close();
    }
  });

  it('samples held while the clock was untrusted survive SIGKILL mid-write and are released intact', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-crash-held-'));
    const path = join(dir, 'buffer');
    const bootIdPath = join(dir, 'boot_id');
    await writeFile(bootIdPath, 'crash-boot\n');
    const { durable } = await runAndKill(path, bootIdPath, 30, 'hold');
    const b = new LevelSampleBuffer({ path, bootIdPath, clock: new ManualClock(), lockWaitMs: 0 });
    await b.open();
    const held = b.stats().held.samples;
    expect(held).toBeGreaterThanOrEqual(durable);
    expect(await b.readFrom(undefined, 10_000_000)).toEqual([]); // not readable while held
    expect(await b.releaseHeld('crash-domain', 0).done).toEqual({ released: held, dropped: 0 });
    const [run] = await b.readFrom(undefined, 10_000_000);
    // Whole collections, in order, each sample with its own collection's time and value.
    expect(run.seqs.length).toBe(held);
    expect(held % 200).toBe(0);
    let ok = true;
    for (let i = 0; i < held; i++) {
      const c = Math.floor(i / 200);
      if (run.timestamps[i] !== c * 1000 || run.values[i] !== c || run.seqs[i] !== i + 1) ok = false;
    }
    expect(ok).toBe(true);
    await b.close();
  });
});
