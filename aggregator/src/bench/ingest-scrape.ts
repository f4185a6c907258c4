/**
 * Part (a) of `bench:ingest`: our aggregator and Debian's Prometheus scrape the same synthetic
 * targets at the same time, so load on this shared machine hits both alike.
 *
 * - The targets: one Node child process (`SYNTHETIC_TARGETS` below) listening on `targets`
 *   ports of 127.0.0.1, each serving `series` series in the text format 0.0.4, shaped like an
 *   exporter (families of 50 series with HELP and TYPE), values changing on every request.
 * - Both servers get the same Prometheus config file (one static job `bench`, the given
 *   interval, timeout 80% of it) and an empty temporary storage directory; ours is the real
 *   binary (`aggregator/dist/cli.js`, built), Prometheus is `/usr/bin/prometheus`.
 * - Measured per process from /proc: CPU seconds (utime + stime) between the moment both are
 *   ready and the end of the run, peak RSS (VmHWM) over the whole life, and RSS at the end.
 * - Then, with the clocks stopped, both are asked what they ingested: `count(up == 1)`, the
 *   number of bench series and `sum(count_over_time(...))` of the bench samples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, memoryBytes } from './proc-stats.js';

export interface ScrapeCompareOptions {
  targets: number;
  series: number;
  /** The targets gzip their bodies when asked (as agents and node_exporter do); default: plain. */
  gzip?: boolean;
  intervalSeconds: number;
  durationSeconds: number;
  /** Parent of the temporary directories. */
  baseDir: string;
  prometheus: string;
  /**
   * Extra Node flags for our aggregator child, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p'],
   * after the binary's own (its #! line: see deployedNodeFlags); a later V8 flag wins.
   */
  ourNodeArgs: string[];
  /** When set, our child's stdout and stderr are also written to this file (e.g. --trace-gc). */
  ourLogFile?: string;
  log: (line: string) => void;
}

export const SCRAPE_DEFAULTS = { targets: 100, series: 1000, intervalSeconds: 5, durationSeconds: 150 } as const;

/** aggregator/dist/cli.js, whether this file runs from dist/bench or (tsx) from src/bench. */
const OUR_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

/**
 * The Node flags a script runs with as deployed: those of its `#!/usr/bin/env -S node ...`
 * line (aggregator/src/cli.ts), so the bench starts the binary as the #! line does.
 */
export function deployedNodeFlags(file: string): string[] {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\s*\S*env\s+(?:-S\s+)?node((?:\s+\S+)*)\s*$/.exec(first) ?? /^#!\s*\S*\/node((?:\s+\S+)*)\s*$/.exec(first);
  if (m === null) throw new Error(`${file}: line 1 is not a node #! line: ${JSON.stringify(first)}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}

/**
 * The target server, run as `node -e`: argv = [targets, series]. Prints the ports as one JSON
 * line. Counters grow by a per-series step on every request, gauges move; every request renders
 * a fresh body (about 1 ms for 1,000 series).
 */
const SYNTHETIC_TARGETS = `
const http = require('node:http');
const zlib = require('node:zlib');
const [targets, series, gzip] = process.argv.slice(1).map(Number);
const PER_FAMILY = 50;
function prefixes(t) {
  const out = [];
  for (let i = 0; i < series; i++) {
    const f = Math.floor(i / PER_FAMILY);
    const counter = f % 2 === 0;
    const name = counter ? 'bench_requests_' + f + '_total' : 'bench_level_' + f;
    const head = i % PER_FAMILY === 0
      ? '# HELP ' + name + ' Synthetic ' + (counter ? 'counter' : 'gauge') + ' family ' + f + '.\\n# TYPE ' + name + ' ' + (counter ? 'counter' : 'gauge') + '\\n'
      : '';
    out.push([head + name + '{code="' + (200 + (i % 5)) + '",handler="/api/v' + (i % PER_FAMILY) + '",pod="pod-' + t + '"} ', counter]);
  }
  return out;
}
const ports = [];
let started = 0;
for (let t = 0; t < targets; t++) {
  const lines = prefixes(t);
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    let body = '';
    for (let i = 0; i < lines.length; i++) {
      const [prefix, counter] = lines[i];
      body += prefix + (counter ? String(n * ((i % 7) + 1) + i) : ((Math.sin(n / 3 + i) * 1000) | 0) / 10) + '\\n';
    }
    if (gzip === 1 && /\\bgzip\\b/.test(req.headers['accept-encoding'] || '')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Encoding': 'gzip' });
      res.end(zlib.gzipSync(body, { level: 1 }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(body);
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => {
    ports[t] = server.address().port;
    if (++started === targets) process.stdout.write(JSON.stringify(ports) + '\\n');
  });
}
`;

/** Starts the target server child; resolves with its ports once all listen. Kill the child to stop it. */
export async function startSyntheticTargets(targets: number, series: number, gzip = false): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = spawn(process.execPath, ['-e', SYNTHETIC_TARGETS, String(targets), String(series), gzip ? '1' : '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, ports: JSON.parse(line.toString()) as number[] };
}

interface Peer {
  name: 'edgeprom' | 'prometheus';
  url: string;
  child: ChildProcess;
  log: () => string;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function spawnPeer(name: Peer['name'], cmd: string, args: string[], url: string, logFile?: string): Peer {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const fd = logFile === undefined ? undefined : fs.openSync(logFile, 'w');
  if (fd !== undefined) child.once('close', () => fs.closeSync(fd));
  const keep = (d: Buffer): void => {
    if (fd !== undefined) fs.writeSync(fd, d);
    buf = (buf + d.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, url, child, log: () => buf };
}

async function waitReady(p: Peer, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
    try {
      if ((await fetch(`${p.url}/-/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${p.name} not ready at ${p.url} after ${deadlineMs / 1000}s:\n${p.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function queryScalar(p: Peer, q: string, timeSec: number): Promise<number> {
  const r = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${timeSec}`);
  const body = (await r.json()) as { status: string; error?: string; data?: { result: { value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`${p.name}: ${q}: ${body.error ?? r.status}`);
  return Number(body.data!.result[0]?.value[1] ?? 0);
}

async function stopPeer(p: Peer | undefined): Promise<void> {
  const c = p?.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = once(c, 'exit');
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));

export async function runScrapeCompare(o: ScrapeCompareOptions) {
  if (!fs.existsSync(OUR_CLI)) throw new Error(`${OUR_CLI} is missing: build first (npx tsc -b)`);
  if (!fs.existsSync(o.prometheus)) throw new Error(`${o.prometheus} is missing: install Debian's prometheus package`);
  const tmp = fs.mkdtempSync(path.join(o.baseDir, 'edgeprom-bench-scrape-'));
  let targets: ChildProcess | undefined;
  const peers: Peer[] = [];
  try {
    const served = await startSyntheticTargets(o.targets, o.series, o.gzip === true);
    targets = served.child;
    const ports = served.ports;

    const interval = o.intervalSeconds;
    const timeoutMs = Math.max(1000, Math.floor(interval * 800));
    const config = path.join(tmp, 'bench.yml');
    fs.writeFileSync(
      config,
      [
        'global:',
        `  scrape_interval: ${interval}s`,
        `  scrape_timeout: ${timeoutMs}ms`,
        'scrape_configs:',
        '  - job_name: bench',
        '    static_configs:',
        `      - targets: [${ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const [ourPort, promPort, mqttPort] = await Promise.all([freePort(), freePort(), freePort()]);
    // Started together; each reads the same config.
    const nodeFlags = [...deployedNodeFlags(OUR_CLI), ...o.ourNodeArgs];
    o.log(`edgeprom: node ${[...nodeFlags, path.relative(process.cwd(), OUR_CLI)].join(' ')} (flags: its #! line, then --our-node-args)`);
    peers.push(
      spawnPeer(
        'edgeprom',
        process.execPath,
        [
          ...nodeFlags,
          OUR_CLI,
          `--config.file=${config}`,
          `--storage.tsdb.path=${path.join(tmp, 'edgeprom')}`,
          `--web.listen-address=127.0.0.1:${ourPort}`,
          `--mqtt.listen-address=127.0.0.1:${mqttPort}`,
          '--log.level=warn',
        ],
        `http://127.0.0.1:${ourPort}`,
        o.ourLogFile,
      ),
      spawnPeer(
        'prometheus',
        o.prometheus,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${path.join(tmp, 'prometheus')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--log.level=warn',
        ],
        `http://127.0.0.1:${promPort}`,
      ),
    );
    await Promise.all(peers.map((p) => waitReady(p)));
    const cpu0 = peers.map((p) => cpuSeconds(p.child.pid!));
    const tStart = Date.now();
    o.log(
      `scrape: ${o.targets} targets x ${o.series} series${o.gzip === true ? ' (gzip)' : ''} every ${interval}s for ${o.durationSeconds}s, ` +
        `edgeprom (pid ${peers[0]!.child.pid}) and prometheus (pid ${peers[1]!.child.pid}) side by side`,
    );
    const tEnd = tStart + o.durationSeconds * 1000;
    while (Date.now() < tEnd) {
      await new Promise((r) => setTimeout(r, Math.min(30_000, tEnd - Date.now())));
      for (const p of peers) if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
      const s = peers.map((p, i) => `${p.name} ${round(cpuSeconds(p.child.pid!) - cpu0[i]!, 1)} CPU s, RSS ${Math.round(memoryBytes(p.child.pid!).rss / 2 ** 20)} MiB`);
      o.log(`  ${Math.round((Date.now() - tStart) / 1000)}s: ${s.join('; ')}`);
    }
    const wall = (Date.now() - tStart) / 1000;
    const cpu = peers.map((p, i) => cpuSeconds(p.child.pid!) - cpu0[i]!);
    const cpuTotal = peers.map((p) => cpuSeconds(p.child.pid!));
    const mem = peers.map((p) => memoryBytes(p.child.pid!));

    // What each ingested, asked after the measurement (queries cost CPU).
    const at = Math.floor(Date.now() / 1000);
    const window = `${Math.ceil(wall) + interval * 2}s`;
    // count_over_time drops the name, so one query per family (the names the targets serve).
    const families = Array.from({ length: Math.ceil(o.series / 50) }, (_, f) => (f % 2 === 0 ? `bench_requests_${f}_total` : `bench_level_${f}`));
    const checks: { up: number; series: number; scrapes: number; scrapesOk: number; samples: number }[] = [];
    for (const p of peers) {
      let samples = 0;
      for (const f of families) samples += await queryScalar(p, `sum(count_over_time(${f}{job="bench"}[${window}]))`, at);
      checks.push({
        up: await queryScalar(p, 'count(up{job="bench"} == 1)', at),
        series: await queryScalar(p, 'count({job="bench",__name__=~"bench_.+"})', at),
        scrapes: await queryScalar(p, `sum(count_over_time(up{job="bench"}[${window}]))`, at),
        scrapesOk: await queryScalar(p, `sum(sum_over_time(up{job="bench"}[${window}]))`, at),
        samples,
      });
    }
    const side = (i: number) => ({
      cpu_seconds: round(cpu[i]!),
      cpu_seconds_incl_startup: round(cpuTotal[i]!),
      cpu_percent_of_a_core: round((100 * cpu[i]!) / wall, 1),
      peak_rss_mib: round(mem[i]!.peakRss / 2 ** 20, 1),
      end_rss_mib: round(mem[i]!.rss / 2 ** 20, 1),
      targets_up: checks[i]!.up,
      series: checks[i]!.series,
      scrapes: checks[i]!.scrapes,
      scrapes_failed: checks[i]!.scrapes - checks[i]!.scrapesOk,
      samples: checks[i]!.samples,
      samples_per_cpu_second: Math.round(checks[i]!.samples / cpu[i]!),
    });
    const result = {
      bench: 'scrape_vs_prometheus',
      targets: o.targets,
      series_per_target: o.series,
      gzip: o.gzip === true,
      interval_seconds: interval,
      seconds: round(wall, 1),
      edgeprom: side(0),
      prometheus: side(1),
      edgeprom_node_flags: nodeFlags,
      cpu_ratio: round(cpu[0]! / cpu[1]!),
      peak_rss_ratio: round(mem[0]!.peakRss / mem[1]!.peakRss),
      // A loaded machine may make one side miss scrapes: CPU per stored sample compares the work done.
      cpu_per_sample_ratio: round(cpu[0]! / checks[0]!.samples / (cpu[1]! / checks[1]!.samples)),
    };
    for (const [i, p] of peers.entries()) {
      const s = side(i);
      o.log(
        `  ${p.name.padEnd(10)} ${s.cpu_seconds} CPU s (${s.cpu_percent_of_a_core}% of a core), peak RSS ${s.peak_rss_mib} MiB, ` +
          `${s.targets_up} targets up, ${s.series} series, ${s.scrapes} scrapes (${s.scrapes_failed} failed), ${s.samples} samples`,
      );
    }
    o.log(
      `  ours/prometheus: CPU ${result.cpu_ratio}x (per stored sample ${result.cpu_per_sample_ratio}x), ` +
        `peak RSS ${result.peak_rss_ratio}x (issue: each <= 1.5x, goal 1.0x)`,
    );
    // Both must have ingested everything, or the comparison means nothing.
    let ingestOk = true;
    for (const [i, c] of checks.entries()) {
      if (c.up !== o.targets || c.series !== o.targets * o.series || c.samples === 0) {
        ingestOk = false;
        o.log(`  ERROR: ${peers[i]!.name} has ${c.up}/${o.targets} targets up, ${c.series}/${o.targets * o.series} series, ${c.samples} samples`);
      }
    }
    return { ...result, ingest_ok: ingestOk };
  } finally {
    await Promise.all(peers.map(stopPeer));
    targets?.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
