/**
 * scripts/node-cli.mjs, which the root package.json `aggregator` script runs the built CLI
 * through: the Node flags of the CLI's `#!/usr/bin/env -S node ...` line are honoured (as
 * `npm start` and bench:ingest do), arguments, exit code and signals pass through. Real node
 * processes; the CLI is a fixture that reports what it was started with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FLAGS = ['--max-semi-space-size=2', '--stack-size=900'];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A CLI whose #! line carries FLAGS: prints its execArgv and args, then runs `body`. */
function fixture(body = ''): string {
  const d = mkdtempSync(path.join(tmpdir(), 'edgeprom-node-cli-'));
  dirs.push(d);
  const f = path.join(d, 'cli.mjs');
  writeFileSync(f, `#!/usr/bin/env -S node ${FLAGS.join(' ')}\nconsole.log(JSON.stringify({ execArgv: process.execArgv, args: process.argv.slice(2) }));\n${body}\n`);
  return f;
}

function run(command: string, args: string[], opts: { shell?: boolean; detached?: boolean } = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; lines: string[] }> } {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += String(c)));
  const done = new Promise<{ code: number | null; signal: string | null; lines: string[] }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, lines: out.split('\n').filter(Boolean) })),
  );
  return { child, done };
}

describe('scripts/node-cli.mjs', () => {
  it('the root `aggregator` script runs the CLI with the flags of its #! line', async () => {
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.aggregator!;
    expect(script).toContain('aggregator/dist/cli.js');
    const cli = fixture();
    // The same command line, with the fixture in place of the built aggregator.
    const { done } = run(`${script.replace('aggregator/dist/cli.js', JSON.stringify(cli))} check config x.yml`, [], { shell: true });
    const r = await done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.lines[0]!)).toEqual({ execArgv: FLAGS, args: ['check', 'config', 'x.yml'] });
  });

  it('passes the exit code through', async () => {
    const { done } = run(process.execPath, ['scripts/node-cli.mjs', fixture('process.exit(3);')]);
    expect((await done).code).toBe(3);
  });

  it('forwards SIGTERM, and a Ctrl-C to its process group reaches the CLI once', async () => {
    const body = `let n = 0;
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  console.log(sig + ' ' + ++n);
  if (n === 1) setTimeout(() => process.exit(0), 200);
});
console.log('ready');
setInterval(() => {}, 1000);`;
    const term = run(process.execPath, ['scripts/node-cli.mjs', fixture(body)]);
    await new Promise<void>((resolve) => term.child.stdout!.on('data', (c: Buffer) => String(c).includes('ready') && resolve()));
    term.child.kill('SIGTERM');
    expect(await term.done).toMatchObject({ code: 0, lines: [expect.any(String), 'ready', 'SIGTERM 1'] });

    // A terminal signals the whole foreground process group: here, the launcher's own.
    const int = run(process.execPath, ['scripts/node-cli.mjs', fixture(body)], { detached: true });
    await new Promise<void>((resolve) => int.child.stdout!.on('data', (c: Buffer) => String(c).includes('ready') && resolve()));
    process.kill(-int.child.pid!, 'SIGINT');
    expect(await int.done).toMatchObject({ code: 0, lines: [expect.any(String), 'ready', 'SIGINT 1'] });
  });
});
