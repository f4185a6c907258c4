/**
 * `pnpm bench:promql`: dashboard query latency, ours against Debian's Prometheus (2.42), on
 * the same data in one run. The dataset (promql-dataset.ts) is written once as OpenMetrics
 * and loaded into both the way the differential test does it (promtool tsdb
 * create-blocks-from openmetrics; our `tsdb import openmetrics`); both servers run on
 * 127.0.0.1 and get the same range queries over HTTP (form POST to /api/v1/query_range,
 * gzip accepted, the whole body read). After a check that both answer alike and a warm-up,
 * each query runs `--runs` times per server, the servers taking turns (and the first turn
 * alternating), so load on the machine hits both alike. Reported per query: the median
 * latency as the client sees it, and the median CPU time the server process spent on it
 * (/proc; steadier on a shared machine). Last line: one JSON object.
 *
 *   node test/dist/bench/promql.js [--runs=10] [--warmup=2] [--instances=25] [--hours=6]
 *                                  [--step=15] [--profile] [--keep]
 *
 * --profile runs our server under `node --cpu-prof` and prints the hot spots of the time it
 * spent answering the measured queries (start-up excluded), as TypeScript file:line.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { diffAnswers, type ApiAnswer } from '../promql-differential/compare.js';
import { AGGREGATOR_CLI, missingCommands, REPO_ROOT, startOurs, startPrometheus, stop, type Server } from '../promql-differential/processes.js';
import { nowMicros, readNewestProfile, summariseProfile, type Window } from './cpu-profile.js';
import { processCpuMs, timedRun } from './proc-cpu.js';
import { BENCH_QUERIES, writePromqlBenchDataset, type BenchQuery } from './promql-dataset.js';

const USAGE = 'usage: node test/dist/bench/promql.js [--runs=10] [--warmup=2] [--instances=25] [--hours=6] [--step=15] [--profile] [--keep]';

function positive(name: string, v: string, integer = true): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}\n${USAGE}`);
  }
  return n;
}

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    instances: { type: 'string', default: '25' },
    hours: { type: 'string', default: '6' },
    step: { type: 'string', default: '15' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const runs = positive('runs', flags.runs!);
const warmup = Number(flags.warmup) === 0 ? 0 : positive('warmup', flags.warmup!);
const instances = positive('instances', flags.instances!);
const hours = positive('hours', flags.hours!, false);
const stepS = positive('step', flags.step!);

const missing = missingCommands(['promtool', 'prometheus']);
if (missing.length > 0) {
  throw new Error(`${missing.join(' and ')} not found in PATH: install Debian's package with \`apt-get install -y prometheus\`.`);
}
if (!fs.existsSync(AGGREGATOR_CLI)) throw new Error(`${AGGREGATOR_CLI} missing: build first (npx tsc -b).`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

const dir = fs.mkdtempSync(path.join(tmpdir(), 'edgeprom-bench-promql-'));
const file = path.join(dir, 'data.om');
let prom: Server | undefined;
let ours: Server | undefined;
// Interrupted: stop both servers and remove the data (a finally block does not run then).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.all([stop(prom), stop(ours)]).finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

interface Measured {
  q: BenchQuery;
  series: number;
  points: number;
  agree: string;
  wall: { ours: number[]; prometheus: number[] };
  cpu: { ours: number[]; prometheus: number[] };
}

async function rangeQuery(server: Server, query: string, start: number, end: number): Promise<{ body: Buffer; wallMs: number; cpuMs: number; window: Window }> {
  const params = new URLSearchParams({ query, start: (start / 1000).toFixed(3), end: (end / 1000).toFixed(3), step: String(stepS) });
  const pid = server.child.pid!;
  const cpu0 = processCpuMs(pid);
  const w0 = nowMicros();
  const t0 = performance.now();
  const res = await fetch(`${server.url}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const wallMs = performance.now() - t0;
  const window: Window = [w0, nowMicros()];
  // A quick error (a full query gate, a timeout) would pass for a fast answer.
  if (res.status !== 200 || !body.subarray(0, 40).toString('utf8').includes('"status":"success"')) {
    const who = server === ours ? 'ours' : 'prometheus';
    throw new Error(`${who} failed ${query} (HTTP ${res.status}): ${body.subarray(0, 300).toString('utf8')}`);
  }
  return { body, wallMs, cpuMs: processCpuMs(pid) - cpu0, window };
}

try {
  let t = performance.now();
  const ds = writePromqlBenchDataset(file, { instances, hours });
  console.log(
    `dataset: ${ds.series} series, ${ds.samples.toLocaleString('en-US')} samples, ${(ds.bytes / 2 ** 20).toFixed(0)} MiB OpenMetrics ` +
      `(${((performance.now() - t) / 1000).toFixed(1)} s); queries over ${hours} h at a ${stepS} s step ` +
      `(${new Date(ds.startMs).toISOString()} .. ${new Date(ds.endMs).toISOString()})`,
  );

  const theirs = timedRun('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, path.join(dir, 'prom')]);
  if (theirs.status !== 0) throw new Error(`promtool failed (${theirs.status}):\n${theirs.stderr}${theirs.stdout}`);
  const mine = timedRun(process.execPath, [AGGREGATOR_CLI, 'tsdb', 'import', 'openmetrics', file, '--storage.tsdb.path', path.join(dir, 'ours')]);
  if (mine.status !== 0) throw new Error(`edgeprom-aggregator tsdb import failed (${mine.status}):\n${mine.stderr}${mine.stdout}`);
  console.log(
    `load: promtool ${(theirs.wallMs / 1000).toFixed(1)} s wall, ${(theirs.cpuMs / 1000).toFixed(1)} s CPU; ` +
      `ours ${(mine.wallMs / 1000).toFixed(1)} s wall, ${(mine.cpuMs / 1000).toFixed(1)} s CPU`,
  );
  if (!flags.keep) fs.rmSync(file);

  const profDir = path.join(dir, 'profile');
  const oursConfig = path.join(dir, 'ours.yml');
  fs.writeFileSync(oursConfig, 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  t = performance.now();
  const [p, o] = await Promise.allSettled([
    startPrometheus(dir, path.join(dir, 'prom')),
    startOurs(path.join(dir, 'ours'), {
      nodeArgs: flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      // Like Prometheus's: no scrape jobs (without a config file ours scrapes itself, which
      // costs CPU), and no MQTT broker on :1883.
      args: [`--config.file=${oursConfig}`, '--mqtt.listen-address=127.0.0.1:0'],
    }),
  ]);
  if (p.status === 'fulfilled') prom = p.value;
  if (o.status === 'fulfilled') ours = o.value;
  if (p.status === 'rejected') throw p.reason;
  if (o.status === 'rejected') throw o.reason;
  console.log(`servers ready after ${((performance.now() - t) / 1000).toFixed(1)} s: prometheus ${prom!.url}, ours ${ours!.url}`);

  // Same answers first: a benchmark of different work would mean nothing.
  const results: Measured[] = [];
  for (const q of BENCH_QUERIES) {
    const [a, b] = [await rangeQuery(prom!, q.query, ds.startMs, ds.endMs), await rangeQuery(ours!, q.query, ds.startMs, ds.endMs)];
    const pa = JSON.parse(a.body.toString('utf8')) as ApiAnswer;
    const pb = JSON.parse(b.body.toString('utf8')) as ApiAnswer;
    if (pa.status !== 'success') throw new Error(`prometheus fails ${q.query}: ${pa.error}`);
    if (pb.status !== 'success') throw new Error(`ours fails ${q.query}: ${pb.error}`);
    const result = (pa.data?.result ?? []) as { values: unknown[] }[];
    results.push({
      q,
      series: result.length,
      points: result.reduce((n, s) => n + s.values.length, 0),
      agree: diffAnswers(pa, pb) ?? 'yes',
      wall: { ours: [], prometheus: [] },
      cpu: { ours: [], prometheus: [] },
    });
  }
  const differ = results.filter((r) => r.agree !== 'yes');
  console.log(
    differ.length === 0
      ? `answers: all ${results.length} queries agree with Prometheus`
      : `answers DIFFER on ${differ.length} queries:\n  ${differ.map((r) => `${r.q.id}: ${r.agree}`).join('\n  ')}`,
  );

  for (let r = 0; r < warmup; r++) {
    process.stderr.write(`warm-up ${r + 1}/${warmup}\n`);
    for (const m of results) {
      await rangeQuery(prom!, m.q.query, ds.startMs, ds.endMs);
      await rangeQuery(ours!, m.q.query, ds.startMs, ds.endMs);
    }
  }

  // Measured turns. Each run shifts the range by a whole step (fresh work for any cache).
  const windows: Window[] = [];
  const windowsOf = new Map<string, Window[]>(results.map((m) => [m.q.id, []]));
  const cpuStart = { ours: processCpuMs(ours!.child.pid!), prometheus: processCpuMs(prom!.child.pid!) };
  const wallStart = performance.now();
  for (let r = 0; r < runs; r++) {
    process.stderr.write(`run ${r + 1}/${runs}\n`);
    for (const [i, m] of results.entries()) {
      const shift = (r % 4) * stepS * 1000;
      const order: ('ours' | 'prometheus')[] = (r + i) % 2 === 0 ? ['ours', 'prometheus'] : ['prometheus', 'ours'];
      for (const who of order) {
        const x = await rangeQuery(who === 'ours' ? ours! : prom!, m.q.query, ds.startMs - shift, ds.endMs - shift);
        // An empty success (data gone) would pass for a fast answer too.
        if (m.series > 0 && !x.body.includes('"metric":')) throw new Error(`${who} answered no series for ${m.q.query} (run ${r + 1})`);
        m.wall[who].push(x.wallMs);
        m.cpu[who].push(x.cpuMs);
        if (who === 'ours') {
          windows.push(x.window);
          windowsOf.get(m.q.id)!.push(x.window);
        }
      }
    }
  }
  const measuredS = (performance.now() - wallStart) / 1000;
  const cpuTotal = {
    ours: processCpuMs(ours!.child.pid!) - cpuStart.ours,
    prometheus: processCpuMs(prom!.child.pid!) - cpuStart.prometheus,
  };

  const rows = results.map((m) => {
    const oursMs = median(m.wall.ours);
    const promMs = median(m.wall.prometheus);
    const oursCpu = median(m.cpu.ours);
    const promCpu = median(m.cpu.prometheus);
    return {
      id: m.q.id,
      query: m.q.query,
      series: m.series,
      points: m.points,
      agree: m.agree === 'yes',
      oursMs: +oursMs.toFixed(1),
      prometheusMs: +promMs.toFixed(1),
      ratio: +(oursMs / promMs).toFixed(2),
      oursCpuMs: +oursCpu.toFixed(0),
      prometheusCpuMs: +promCpu.toFixed(0),
      cpuRatio: promCpu > 0 ? +(oursCpu / promCpu).toFixed(2) : null,
    };
  });

  console.log(`\n${runs} runs per query and server after ${warmup} warm-up runs, interleaved (${measuredS.toFixed(0)} s):`);
  console.log('| query | series × points | ours ms | prometheus ms | ours/prom | ours CPU ms | prom CPU ms | CPU ours/prom |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.id} | ${r.series} × ${Math.round(r.points / Math.max(r.series, 1))} | ${ms(r.oursMs)} | ${ms(r.prometheusMs)} | ` +
        `**${r.ratio.toFixed(2)}** | ${r.oursCpuMs} | ${r.prometheusCpuMs} | ${r.cpuRatio === null ? '-' : r.cpuRatio.toFixed(2)} |`,
    );
  }
  console.log(
    `server CPU over the measured runs: ours ${(cpuTotal.ours / 1000).toFixed(1)} s, prometheus ${(cpuTotal.prometheus / 1000).toFixed(1)} s ` +
      `(ratio ${(cpuTotal.ours / Math.max(cpuTotal.prometheus, 1)).toFixed(2)}); CPU per query from /proc in 10 ms ticks`,
  );

  let profile: ReturnType<typeof summariseProfile> | undefined;
  if (flags.profile) {
    await stop(ours);
    ours = undefined;
    const cpuProfile = readNewestProfile(profDir);
    profile = summariseProfile(cpuProfile, { root: REPO_ROOT, windows, top: 20 });
    console.log(
      `\nprofile of ours, ${profile.sampledMs} ms sampled ${profile.windowed ? 'while answering the measured queries' : '(whole process: the windows did not match)'}:`,
    );
    console.log('self time:');
    for (const s of profile.self) console.log(`  ${s.pct.toFixed(1).padStart(5)}%  ${s.fn}  ${s.location}`);
    console.log('inclusive time, our code:');
    for (const s of profile.inclusive) console.log(`  ${s.pct.toFixed(1).padStart(5)}%  ${s.fn}  ${s.location}`);
    // Per query, the three with the highest CPU ratio.
    const worst = [...rows].sort((a, b) => (b.cpuRatio ?? 0) - (a.cpuRatio ?? 0)).slice(0, 3);
    for (const r of worst) {
      const p = summariseProfile(cpuProfile, { root: REPO_ROOT, windows: windowsOf.get(r.id)!, top: 8 });
      console.log(`${r.id} (CPU ratio ${r.cpuRatio}), ${p.sampledMs} ms sampled, self time:`);
      for (const s of p.self) console.log(`  ${s.pct.toFixed(1).padStart(5)}%  ${s.fn}  ${s.location}`);
    }
    if (flags.keep) console.log(`profile kept in ${profDir}`);
  }

  console.log(
    JSON.stringify({
      bench: 'promql',
      series: ds.series,
      samples: ds.samples,
      hours,
      stepSeconds: stepS,
      runs,
      warmup,
      load: {
        promtool: { wallMs: Math.round(theirs.wallMs), cpuMs: Math.round(theirs.cpuMs) },
        ours: { wallMs: Math.round(mine.wallMs), cpuMs: Math.round(mine.cpuMs) },
      },
      queries: rows,
      maxRatio: Math.max(...rows.map((r) => r.ratio)),
      ...(profile ? { profile: { sampledMs: profile.sampledMs, self: profile.self.slice(0, 10) } } : {}),
    }),
  );
} finally {
  await Promise.all([stop(prom), stop(ours)]);
  if (flags.keep) console.error(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
