/**
 * `pnpm bench:tsdb`: our TSDB against Debian's Prometheus (promtool 2.42) on one dataset, in
 * one run. A node_exporter-shaped dataset (node-like-data.ts: counters, noisy gauges,
 * constants; 15 s scrapes with millisecond jitter) is streamed to an OpenMetrics file under
 * os.tmpdir(), then loaded by `promtool tsdb create-blocks-from openmetrics FILE DIR` and by
 * our `edgeprom-aggregator tsdb import openmetrics FILE --storage.tsdb.path DIR`, one after
 * the other (or at once, --parallel). Printed for both: bytes per sample on disk (chunks + index; the files counted
 * are named), wall and CPU time of the load. For ours also the head figures of
 * tsdb-head.ts, run in its own process with the same series: append throughput (samples/s
 * on one core), head bytes per active series (120 samples per chunk), select throughput
 * (1,000 series over 1 h). Last line: one JSON object.
 *
 *   node aggregator/dist/bench/tsdb.js [--series=10000] [--hours=24] [--parallel] [--keep]
 *
 * --parallel runs the two loads at the same time (on 2 cores, half the wall time; their wall
 * times then include each other, their CPU times do not).
 *
 * Our store puts on disk whatever it has: persistent blocks (directories with a meta.json,
 * like Prometheus's) when it writes them, otherwise only its WAL. Blocks are counted when
 * they exist (chunks/ + index), the WAL otherwise, and the output says which.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { disk, estimateFileBytes, writeDataset, type Disk } from './tsdb-files.js';

const USAGE = 'usage: node aggregator/dist/bench/tsdb.js [--series=10000] [--hours=24] [--parallel] [--keep]';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../cli.js');
const HEAD_BENCH = path.resolve(HERE, 'tsdb-head.js');
const PER_TARGET = 100;

function positive(name: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}\n${USAGE}`);
  }
  return n;
}

// ---- child processes: wall and CPU time (the reaped children's, from /proc/self/stat) ----

let tickMs: number | undefined;
function childrenCpuMs(): number {
  if (tickMs === undefined) {
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
    tickMs = hz > 0 ? 1000 / hz : 10;
  }
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * tickMs; // cutime + cstime
}

interface Timed {
  stdout: string;
  wallMs: number;
  cpuMs: number;
}

function timed(what: string, cmd: string, args: string[]): Timed {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal}:\n${r.stderr.slice(-4000)}${r.stdout.slice(-4000)}`);
  return { stdout: r.stdout, wallMs, cpuMs: childrenCpuMs() - cpu0 };
}

/** CPU ms of a running process and of its waited-for children, all threads. */
function processCpuMs(pid: number): number {
  childrenCpuMs(); // sets tickMs
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * tickMs!;
}

/**
 * Like timed(), for a child that runs beside another (--parallel): its CPU time is polled
 * from /proc every 100 ms, so the figure misses at most the last 100 ms.
 */
function timedBeside(what: string, cmd: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-65536)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    let cpuMs = 0;
    const poll = setInterval(() => {
      try {
        cpuMs = processCpuMs(child.pid!);
      } catch {
        // exited between two polls
      }
    }, 100);
    child.once('error', (e) => {
      clearInterval(poll);
      reject(new Error(`${what}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearInterval(poll);
      const wallMs = performance.now() - t0;
      if (code !== 0) reject(new Error(`${what} exited with ${code ?? signal}:\n${stderr}${stdout.slice(-4000)}`));
      else resolve({ stdout, wallMs, cpuMs });
    });
  });
}

// ---- main ----

const { values: flags } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    hours: { type: 'string', default: '24' },
    keep: { type: 'boolean', default: false },
    parallel: { type: 'boolean', default: false },
  },
});
const wantSeries = positive('series', flags.series!, true);
const hours = positive('hours', flags.hours!, false);
const perTarget = Math.min(PER_TARGET, wantSeries);
const targets = Math.max(1, Math.round(wantSeries / perTarget));
const samplesPerSeries = Math.max(1, Math.round((hours * 3_600_000) / 15_000));

if (spawnSync('sh', ['-c', 'command -v promtool']).status !== 0) {
  throw new Error("promtool not found in PATH: install Debian's package with `apt-get install -y prometheus`.");
}
if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: build first (npx tsc -b).`);

const tmp = os.tmpdir();
const estimate = estimateFileBytes(targets, perTarget, samplesPerSeries);
const nSamples = targets * perTarget * samplesPerSeries;
// The file, our WAL (~11-16 B/sample) and Prometheus's blocks (~1-2 B/sample), with a margin.
const needed = estimate + nSamples * 20 + 256 * 2 ** 20;
const st = fs.statfsSync(tmp);
const free = st.bavail * st.bsize;
if (free < needed) {
  throw new Error(
    `not enough free space in ${tmp}: ${(free / 2 ** 30).toFixed(1)} GiB free, about ${(needed / 2 ** 30).toFixed(1)} GiB needed ` +
      `(a ${(estimate / 2 ** 30).toFixed(1)} GiB file for ${nSamples.toLocaleString('en-US')} samples, the WAL and the blocks); ` +
      `use fewer --series or --hours, or point TMPDIR elsewhere`,
  );
}

const dir = fs.mkdtempSync(path.join(tmp, 'edgeprom-bench-tsdb-'));
const file = path.join(dir, 'node.om');
const promDir = path.join(dir, 'prometheus');
const oursDir = path.join(dir, 'ours');
try {
  console.log(
    `generating ${targets * perTarget} series (${targets} targets × ${perTarget}) × ${samplesPerSeries} samples (${hours} h at 15 s) ` +
      `into ${file}, about ${(estimate / 2 ** 30).toFixed(2)} GiB (${(free / 2 ** 30).toFixed(0)} GiB free)`,
  );
  const ds = writeDataset(file, targets, perTarget, samplesPerSeries);
  console.log(
    `dataset: ${ds.series} series, ${ds.samples.toLocaleString('en-US')} samples, ${(ds.bytes / 2 ** 20).toFixed(0)} MiB, ` +
      `written in ${(ds.ms / 1000).toFixed(1)} s`,
  );

  const promArgs = ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, promDir];
  const oursArgs = [CLI, 'tsdb', 'import', 'openmetrics', file, '--storage.tsdb.path', oursDir];
  let prom: Timed;
  let ours: Timed;
  if (flags.parallel) {
    console.log('loading with promtool tsdb create-blocks-from openmetrics and edgeprom-aggregator tsdb import openmetrics at once ...');
    [prom, ours] = await Promise.all([
      timedBeside('promtool', 'promtool', promArgs),
      timedBeside('edgeprom-aggregator tsdb import', process.execPath, oursArgs),
    ]);
  } else {
    console.log('loading with promtool tsdb create-blocks-from openmetrics ...');
    prom = timed('promtool', 'promtool', promArgs);
    console.log('loading with edgeprom-aggregator tsdb import openmetrics ...');
    ours = timed('edgeprom-aggregator tsdb import', process.execPath, oursArgs);
  }
  const imported = Number(/samples:\s+(\d+)/.exec(ours.stdout)?.[1]);
  if (imported !== ds.samples) throw new Error(`our import took ${imported} of ${ds.samples} samples:\n${ours.stdout}`);
  if (!flags.keep) fs.rmSync(file);
  const promDisk = disk(promDir);
  const oursDisk = disk(oursDir);

  // With --chunks-dir the head spills sealed chunks to chunks_head/ files, as a Tsdb with a
  // directory (the aggregator) does: that is the memory an active series costs in service.
  console.log(`measuring the head in-process: node ${path.relative(process.cwd(), HEAD_BENCH)} ${targets} ${perTarget} 240 --chunks-dir`);
  const headRun = timed('tsdb-head bench', process.execPath, [HEAD_BENCH, String(targets), String(perTarget), '240', '--chunks-dir']);
  const head = JSON.parse(headRun.stdout.trim().split('\n').pop()!) as Record<string, number>;

  const bps = (d: Disk): number => d.countedBytes / ds.samples;
  const rate = (ms: number): number => Math.round(ds.samples / (ms / 1000));
  const rows: [string, string, string][] = [
    ['bytes/sample on disk (chunks + index)', bps(promDisk).toFixed(3), `${bps(oursDisk).toFixed(3)}${oursDisk.kind === 'wal' ? ' (WAL: no blocks yet)' : ''}`],
    ['bytes/sample, everything in the directory', (promDisk.totalBytes / ds.samples).toFixed(3), (oursDisk.totalBytes / ds.samples).toFixed(3)],
    ['load wall s', (prom.wallMs / 1000).toFixed(1), (ours.wallMs / 1000).toFixed(1)],
    ['load CPU s', (prom.cpuMs / 1000).toFixed(1), (ours.cpuMs / 1000).toFixed(1)],
    ['load samples/s (wall)', rate(prom.wallMs).toLocaleString('en-US'), rate(ours.wallMs).toLocaleString('en-US')],
    ['load samples per CPU-s', rate(prom.cpuMs).toLocaleString('en-US'), rate(ours.cpuMs).toLocaleString('en-US')],
  ];
  console.log(`\n| ${ds.series} series, ${hours} h, ${ds.samples.toLocaleString('en-US')} samples | promtool 2.42 | ours |`);
  console.log('|---|---:|---:|');
  for (const [k, a, b] of rows) console.log(`| ${k} | ${a} | ${b} |`);
  console.log(`\ncounted for prometheus (${promDisk.blocks} block${promDisk.blocks === 1 ? '' : 's'}): ${promDisk.counted}; not counted: ${promDisk.notCounted}`);
  console.log(
    `counted for ours (${oursDisk.kind === 'blocks' ? `${oursDisk.blocks} blocks` : 'no blocks on disk yet, so the WAL'}): ${oursDisk.counted}; ` +
      `not counted: ${oursDisk.notCounted}`,
  );
  console.log(
    `ours, head in-process (tsdb-head.ts, ${head.series} series × 240 samples): append by series ref (scrape cache, push ingest) ${(head.appendByRefSamplesPerCpuSec / 1e6).toFixed(2)} M samples per CPU-s ` +
      `(${(head.appendByRefSamplesPerSec / 1e6).toFixed(2)} M/s wall), by labels ${(head.appendSamplesPerCpuSec / 1e6).toFixed(2)} M per CPU-s ` +
      `(${(head.appendSamplesPerSec / 1e6).toFixed(2)} M/s wall); head ${head.headBytesPerSeries} B per active series at 120 samples per chunk ` +
      `(sealed chunks in chunks_head/: ${head.chunkFileBytesPerSeries} B per series on disk); select ${head.selectSeries} series × 1 h: ` +
      `${(head.selectSamplesPerCpuSec / 1e6).toFixed(2)} M samples per CPU-s (${(head.selectSamplesPerSec / 1e6).toFixed(2)} M/s wall)`,
  );
  const onDisk = (d: Disk, t: Timed) => ({
    counted: d.kind === 'blocks' ? 'chunks+index' : 'wal',
    blocks: d.blocks,
    bytes: d.countedBytes,
    bytesPerSample: +bps(d).toFixed(4),
    totalBytes: d.totalBytes,
    loadWallMs: Math.round(t.wallMs),
    loadCpuMs: Math.round(t.cpuMs),
  });
  console.log(
    JSON.stringify({
      bench: 'tsdb',
      parallel: flags.parallel,
      series: ds.series,
      hours,
      samples: ds.samples,
      fileBytes: ds.bytes,
      prometheus: onDisk(promDisk, prom),
      ours: {
        ...onDisk(oursDisk, ours),
        appendSamplesPerCpuSec: head.appendSamplesPerCpuSec,
        appendSamplesPerSec: head.appendSamplesPerSec,
        appendByRefSamplesPerCpuSec: head.appendByRefSamplesPerCpuSec,
        appendByRefSamplesPerSec: head.appendByRefSamplesPerSec,
        headBytesPerSeries: head.headBytesPerSeries,
        chunkFileBytesPerSeries: head.chunkFileBytesPerSeries,
        selectSeries: head.selectSeries,
        selectSamplesPerSec: head.selectSamplesPerSec,
        selectSamplesPerCpuSec: head.selectSamplesPerCpuSec,
      },
      bytesPerSampleRatio: +(bps(oursDisk) / bps(promDisk)).toFixed(3),
      loadCpuRatio: +(ours.cpuMs / prom.cpuMs).toFixed(2),
    }),
  );
} finally {
  if (flags.keep) console.error(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
