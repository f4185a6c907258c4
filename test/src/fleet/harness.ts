/**
 * What the fleet end-to-end tests share: starting the real CLIs (aggregator, agent) as child
 * processes on 127.0.0.1, the Prometheus HTTP API, and polling with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AGGREGATOR_CLI, freePort as freePortLocal, REPO_ROOT, type Server } from '../promql-differential/processes.js';

export { AGGREGATOR_CLI, freePort, REPO_ROOT, stop } from '../promql-differential/processes.js';
export const AGENT_CLI = path.join(REPO_ROOT, 'agent/dist/cli.js');

/** Discovery debounce (5 s) + up to one scrape interval (15 s) + slack for a loaded machine. */
export const DISCOVERY_DEADLINE_MS = 60_000;

export interface Proc extends Server {
  name: string;
}

/**
 * `EDGEPROM_FLEET_LOG_DIR=<dir>`: every process's whole output also goes to `<dir>/<name>.log`
 * (appended), and the aggregator logs at debug level (discovery's decisions), the agents at
 * info; `EDGEPROM_FLEET_LOG_LEVEL` sets both. For finding where a flaky run stopped. Unset,
 * only the last 20 kB of each process's output are kept, for error messages.
 */
const LOG_DIR = process.env.EDGEPROM_FLEET_LOG_DIR;
const LOG_LEVEL = process.env.EDGEPROM_FLEET_LOG_LEVEL;
const logLevelArgs = (dirDefault: string): string[] => {
  const level = LOG_LEVEL ?? (LOG_DIR ? dirDefault : undefined);
  return level ? [`--log.level=${level}`] : [];
};

/** Spawns a CLI and resolves once it printed `listening on <url>` (stdout or stderr). */
export function startProcess(name: string, args: string[]): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (LOG_DIR) {
    mkdirSync(LOG_DIR, { recursive: true });
    const file = createWriteStream(path.join(LOG_DIR, `${name.replace(/[^\w.-]+/g, '_')}.log`), { flags: 'a' });
    child.stdout?.pipe(file, { end: false });
    child.stderr?.pipe(file, { end: false });
    child.once('close', () => file.end());
  }
  let buf = '';
  const log = (): string => buf;
  return new Promise<Proc>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} printed no URL within 30s:\n${buf}`));
    }, 30_000);
    let found = false;
    const onData = (d: Buffer): void => {
      buf = (buf + d.toString('utf8')).slice(-20_000);
      const m = /listening on (http:\/\/[^\s"]+)/.exec(buf);
      if (m && !found) {
        found = true;
        clearTimeout(timer);
        resolve({ name, url: m[1]!.replace(/\/metrics$/, ''), child, log });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`${name} exited with ${code} before listening:\n${buf}`));
    });
  });
}

/** The aggregator CLI with no config file, on a free web port, its broker on `mqttPort`. */
export function startAggregator(dataDir: string, mqttPort: number, name = 'aggregator'): Promise<Proc> {
  return startProcess(name, [
    AGGREGATOR_CLI,
    `--storage.tsdb.path=${dataDir}`,
    '--web.listen-address=127.0.0.1:0',
    `--mqtt.listen-address=127.0.0.1:${mqttPort}`,
    ...logLevelArgs('debug'),
  ]);
}

/** The agent CLI on a free port, given only the broker's URL (and `extra` flags). */
export function startAgent(dir: string, id: string, mqttPort: number, extra: string[] = []): Promise<Proc> {
  return startProcess(id, [
    AGENT_CLI,
    `--storage.path=${path.join(dir, id)}`,
    '--web.listen-address=127.0.0.1:0',
    `--mqtt.url=mqtt://127.0.0.1:${mqttPort}`,
    `--agent.id=${id}`,
    ...logLevelArgs('info'),
    ...extra,
  ]);
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

async function api<T>(base: string, q: string, time?: number): Promise<T> {
  const t = time === undefined ? '' : `&time=${time}`;
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}${t}`);
  const body = (await r.json()) as { status: string; data?: { result: T }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? r.status}`);
  return body.data!.result;
}

/** An instant query that returns a vector. */
export function query(base: string, q: string): Promise<Sample[]> {
  return api<Sample[]>(base, q);
}

/** A range selector (`x[5m]`) evaluated at `time` (seconds): the raw samples of each series. */
export function rawSamples(base: string, q: string, time: number): Promise<Series[]> {
  return api<Series[]>(base, q, time);
}

/** Throws with the process logs if any of `procs` has exited. */
export function assertRunning(procs: readonly Proc[]): void {
  for (const p of procs) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
  }
}

/**
 * Calls `probe` until it returns a value `ok` accepts, or the deadline passes; then throws with
 * the last value and the logs of `procs`. Nothing is timed: a deadline only bounds the wait.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  procs: readonly Proc[],
  deadlineMs = DISCOVERY_DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    assertRunning(procs);
    let last: T | undefined;
    let err: unknown;
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: still ${err ? String(err) : JSON.stringify(last)?.slice(0, 2000)} after ${deadlineMs / 1000}s\n` +
          procs.map((p) => `--- ${p.name}:\n${p.log().slice(-4000)}`).join('\n'),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls the instant query `q` until `ok(result)`; returns the last result. */
export function eventually(base: string, q: string, ok: (r: Sample[]) => boolean, procs: readonly Proc[]): Promise<Sample[]> {
  return until(q, () => query(base, q), ok, procs);
}

/** Polls `url`/-/ready until 200; kills the child and throws when it exits or the deadline passes. */
export async function waitReady(p: Proc, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
    try {
      if ((await fetch(`${p.url}/-/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) {
      p.child.kill('SIGKILL');
      throw new Error(`${p.name} not ready at ${p.url} after ${deadlineMs / 1000}s:\n${p.log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Debian's prometheus (`/usr/bin/prometheus`) with `configFile`, on a free port of 127.0.0.1. */
export async function startPrometheus(configFile: string, dataDir: string): Promise<Proc> {
  const port = await freePortLocal();
  const child = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  const keep = (d: Buffer): void => {
    buf = (buf + d.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const p: Proc = { name: 'prometheus', url: `http://127.0.0.1:${port}`, child, log: () => buf };
  await waitReady(p);
  return p;
}
