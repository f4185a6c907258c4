/**
 * The two servers under comparison, as child processes on 127.0.0.1: Debian's prometheus
 * (loaded with promtool) and ours (loaded with our CLI). Each is stopped by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const AGGREGATOR_CLI = path.join(REPO_ROOT, 'aggregator/dist/cli.js');

export interface Server {
  url: string;
  child: ChildProcess;
  /** Last output, for error messages. */
  log(): string;
}

/** Which of the Debian commands are missing from PATH. */
export function missingCommands(names: readonly string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
}

export function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function capture(child: ChildProcess): () => string {
  let buf = '';
  const keep = (d: Buffer): void => {
    buf = (buf + d.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => buf;
}

/** Waits for /-/ready; on failure kills the child (it would outlive the test) and throws. */
async function waitReady(url: string, child: ChildProcess, log: () => string, what: string): Promise<void> {
  try {
    await pollReady(url, child, log, what);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

async function pollReady(url: string, child: ChildProcess, log: () => string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready at ${url} after 30s:\n${log()}`);
}

export async function startPrometheus(dir: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Retention counts back from the newest block, but make sure nothing old is dropped.
      '--storage.tsdb.retention.time=100y',
      '--query.lookback-delta=5m',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = capture(child);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, log, 'prometheus');
  return { url, child, log };
}

export interface StartOursOptions {
  /** Options for node itself, before the script (the benchmark's `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** More aggregator flags, after the defaults (so they override them). */
  args?: readonly string[];
}

export async function startOurs(dataDir: string, opts: StartOursOptions = {}): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      AGGREGATOR_CLI,
      `--storage.tsdb.path=${dataDir}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
      // As for Prometheus above. Retention counts back from the newest sample, and without a
      // config file the aggregator scrapes itself, at today's time: with the default 15d,
      // the dataset's blocks (2023) would be deleted at the first retention pass.
      '--storage.tsdb.retention.time=100y',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = capture(child);
  const printed = new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`edgeprom-aggregator exited with ${code}:\n${log()}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // never printed a URL
  const url = await printed.finally(() => clearTimeout(timer));
  await waitReady(url, child, log, 'edgeprom-aggregator');
  return { url, child, log };
}

/** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
export async function stop(server: Server | undefined): Promise<number | null> {
  const child = server?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
