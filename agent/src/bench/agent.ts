/**
 * `pnpm bench:agent`: the agent beside Debian's prometheus-node-exporter, in one run.
 *
 * Both run as child processes on 127.0.0.1: our agent with its default exporters at a 15 s
 * interval, a LevelDB buffer in a temp dir and MQTT presence on (an aedes broker embedded in
 * this process, so the agent keeps a real MQTT connection), and
 * `/usr/bin/prometheus-node-exporter` with its defaults. Both are scraped every 15 s for
 * BENCH_SECONDS (default 75), like Prometheus would (gzip, the OpenMetrics-or-text Accept
 * header); then 10 concurrent scrapers hit each in turn (BENCH_BURST requests each, default 30).
 *
 * Measured per process from /proc (so none of this process's own work counts): peak RSS
 * (VmHWM) and steady RSS (median of the samples in the second half of the steady phase),
 * private memory (Anonymous in /proc/PID/smaps_rollup: heap, stacks, malloc; the node or Go
 * binary's file pages are shared and not counted), CPU seconds (utime + stime of
 * /proc/PID/stat) over the steady phase and the burst, /metrics latency p50/p99 under the
 * burst, and for the agent the buffer bytes written per sample (its own
 * edgeprom_buffer_bytes_written_total / edgeprom_buffer_samples_total).
 *
 * The agent runs with the node flags of its bin's shebang (see `shebangNodeFlags`), as users
 * run it. The last line is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Aedes } from 'aedes';
import { cpuSeconds, memoryBytes, privateBytes } from '@edgeprom/shared';
import { shebangNodeFlags } from './shebang.js';

const STEADY_S = Number(process.env.BENCH_SECONDS ?? 75);
const INTERVAL_MS = 15_000;
const SCRAPERS = 10;
const BURST = Number(process.env.BENCH_BURST ?? 30);
const NODE_EXPORTER = process.env.NODE_EXPORTER ?? '/usr/bin/prometheus-node-exporter';
const AGENT_CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
/**
 * Node flags for the agent: the shebang's, unless BENCH_NODE_FLAGS replaces them for an
 * experiment (BENCH_NODE_FLAGS=none: no flags; or e.g. BENCH_NODE_FLAGS=--lite-mode).
 */
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS === undefined ? shebangNodeFlags(AGENT_CLI) : process.env.BENCH_NODE_FLAGS.split(' ').filter((f) => f !== '' && f !== 'none');
/** Extra agent flags (experiments), e.g. BENCH_AGENT_FLAGS=--no-mdns. */
const AGENT_FLAGS = (process.env.BENCH_AGENT_FLAGS ?? '').split(' ').filter((f) => f !== '');
const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

// ---- /proc ----

/** MB: rss and peak from /proc/PID/status, private (anonymous) from smaps_rollup. */
function memory(pid: number): { rss: number; peak: number; anon: number } {
  const { rss, peakRss } = memoryBytes(pid);
  const MB = 1024 * 1024;
  return { rss: rss / MB, peak: peakRss / MB, anon: privateBytes(pid) / MB };
}

// ---- helpers ----

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function scrape(agent: http.Agent, port: number): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, headers: { accept: ACCEPT, 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`127.0.0.1:${port}/metrics: HTTP ${res.statusCode}`));
        const raw = Buffer.concat(chunks);
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        resolve({ ms: performance.now() - t0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function waitReady(port: number, what: string, child: ChildProcess): Promise<void> {
  const agent = new http.Agent();
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before serving /metrics`);
    try {
      await scrape(agent, port);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${what} did not serve /metrics on 127.0.0.1:${port}`);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function metricValue(body: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
}

interface Target {
  name: 'agent' | 'node_exporter';
  port: number;
  child: ChildProcess;
  http: http.Agent;
  samples: { rss: number; anon: number }[];
  scrapes: number;
  bytes: number;
}

// ---- run ----

async function main(): Promise<void> {
  if (!existsSync(NODE_EXPORTER)) throw new Error(`${NODE_EXPORTER} not found (Debian: apt install prometheus-node-exporter; or set NODE_EXPORTER)`);
  if (!existsSync(AGENT_CLI)) throw new Error(`${AGENT_CLI} not found: build first (npx tsc -b)`);
  const dir = mkdtempSync(join(tmpdir(), 'edgeprom-bench-agent-'));

  const broker = await Aedes.createBroker();
  let published = 0;
  broker.on('publish', (p, client) => {
    if (client) published++;
    void p;
  });
  const brokerServer = net.createServer((s) => broker.handle(s));
  await new Promise<void>((r) => brokerServer.listen(0, '127.0.0.1', () => r()));
  const brokerPort = (brokerServer.address() as net.AddressInfo).port;

  const [agentPort, nePort] = [await freePort(), await freePort()];
  const agentChild = spawn(process.execPath, [...NODE_FLAGS, AGENT_CLI, `--web.listen-address=127.0.0.1:${agentPort}`, `--storage.path=${join(dir, 'agent')}`, '--agent.id=bench-agent', `--mqtt.url=mqtt://127.0.0.1:${brokerPort}`, '--collector.interval=15s', '--log.level=info', ...AGENT_FLAGS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let agentLog = '';
  agentChild.stdout!.on('data', (d: Buffer) => (agentLog = (agentLog + d.toString()).slice(-20_000)));
  agentChild.stderr!.on('data', (d: Buffer) => (agentLog = (agentLog + d.toString()).slice(-20_000)));
  const neChild = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: ['ignore', 'ignore', 'ignore'] });

  const targets: Target[] = [
    { name: 'agent', port: agentPort, child: agentChild, http: new http.Agent({ keepAlive: true, maxSockets: SCRAPERS }), samples: [], scrapes: 0, bytes: 0 },
    { name: 'node_exporter', port: nePort, child: neChild, http: new http.Agent({ keepAlive: true, maxSockets: SCRAPERS }), samples: [], scrapes: 0, bytes: 0 },
  ];
  try {
    await waitReady(agentPort, 'the agent', agentChild);
    await waitReady(nePort, 'node_exporter', neChild);
    for (let i = 0; i < 400 && !agentLog.includes('"mqtt: connected"'); i++) await sleep(50);
    if (!agentLog.includes('"mqtt: connected"')) throw new Error(`the agent did not connect to the broker:\n${agentLog}`);
    const startup = Object.fromEntries(targets.map((t) => [t.name, { cpu: cpuSeconds(t.child.pid!), ...memory(t.child.pid!) }]));
    console.log(`steady phase: ${STEADY_S} s, both scraped every ${INTERVAL_MS / 1000} s, memory sampled every second`);

    // Steady phase.
    const t0 = performance.now();
    const cpu0 = targets.map((t) => cpuSeconds(t.child.pid!));
    let nextScrape = 0;
    let lastAgentBody = '';
    while (performance.now() - t0 < STEADY_S * 1000) {
      const elapsed = performance.now() - t0;
      if (elapsed >= nextScrape) {
        nextScrape += INTERVAL_MS;
        for (const t of targets) {
          const { body } = await scrape(t.http, t.port);
          t.scrapes++;
          t.bytes = body.length;
          if (t.name === 'agent') lastAgentBody = body;
        }
      }
      for (const t of targets) {
        const m = memory(t.child.pid!);
        t.samples.push({ rss: m.rss, anon: m.anon });
      }
      await sleep(1000);
    }
    const steadyWall = (performance.now() - t0) / 1000;
    const steadyCpu = targets.map((t, i) => cpuSeconds(t.child.pid!) - cpu0[i]);
    const beforeBurst = targets.map((t) => memory(t.child.pid!));
    const { body: finalAgent } = await scrape(targets[0].http, agentPort);
    lastAgentBody = finalAgent;
    const bytesWritten = metricValue(lastAgentBody, 'edgeprom_buffer_bytes_written_total');
    const samplesBuffered = metricValue(lastAgentBody, 'edgeprom_buffer_samples_total');
    const mqttConnected = metricValue(lastAgentBody, 'edgeprom_mqtt_connected');

    // Burst: 10 concurrent scrapers, one target at a time.
    const burst: { p50: number; p99: number; cpu: number; wall: number }[] = [];
    for (const t of targets) {
      const c0 = cpuSeconds(t.child.pid!);
      const w0 = performance.now();
      const lat: number[] = [];
      await Promise.all(
        Array.from({ length: SCRAPERS }, async () => {
          for (let i = 0; i < BURST; i++) lat.push((await scrape(t.http, t.port)).ms);
        }),
      );
      lat.sort((a, b) => a - b);
      burst.push({ p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), cpu: cpuSeconds(t.child.pid!) - c0, wall: (performance.now() - w0) / 1000 });
    }
    const after = targets.map((t) => memory(t.child.pid!));

    const results = targets.map((t, i) => {
      const half = t.samples.slice(Math.floor(t.samples.length / 2));
      return {
        name: t.name,
        steady_rss_mb: r1(median(half.map((s) => s.rss))),
        steady_private_mb: r1(median(half.map((s) => s.anon))),
        peak_rss_mb: r1(after[i].peak),
        peak_rss_before_burst_mb: r1(beforeBurst[i].peak),
        startup_cpu_s: r3(startup[t.name].cpu),
        steady_cpu_s: r3(steadyCpu[i]),
        steady_cpu_pct: r3((steadyCpu[i] / steadyWall) * 100),
        burst_requests: SCRAPERS * BURST,
        burst_cpu_s: r3(burst[i].cpu),
        burst_cpu_ms_per_scrape: r3((burst[i].cpu * 1000) / (SCRAPERS * BURST)),
        p50_ms: r1(burst[i].p50),
        p99_ms: r1(burst[i].p99),
        metrics_bytes: t.bytes,
        scrapes: t.scrapes,
      };
    });
    const [a, ne] = results;
    const perSample = bytesWritten !== undefined && samplesBuffered ? bytesWritten / samplesBuffered : undefined;

    const row = (label: string, f: (r: (typeof results)[number]) => string | number) => console.log(`${label.padEnd(34)}${String(f(a)).padStart(14)}${String(f(ne)).padStart(16)}`);
    console.log(`${''.padEnd(34)}${'agent'.padStart(14)}${'node_exporter'.padStart(16)}`);
    row('steady RSS (MB)', (r) => r.steady_rss_mb);
    row('steady private, anon (MB)', (r) => r.steady_private_mb);
    row('peak RSS, incl. burst (MB)', (r) => r.peak_rss_mb);
    row('CPU s, startup', (r) => r.startup_cpu_s);
    row(`CPU s, steady ${Math.round(steadyWall)} s`, (r) => r.steady_cpu_s);
    row('CPU % of a core, steady', (r) => r.steady_cpu_pct);
    row(`/metrics p50 ms, ${SCRAPERS} scrapers`, (r) => r.p50_ms);
    row(`/metrics p99 ms, ${SCRAPERS} scrapers`, (r) => r.p99_ms);
    row('CPU ms per scrape, burst', (r) => r.burst_cpu_ms_per_scrape);
    row('/metrics bytes (uncompressed)', (r) => r.metrics_bytes);
    console.log(`agent buffer: ${bytesWritten} bytes written for ${samplesBuffered} samples = ${perSample?.toFixed(1)} bytes/sample; MQTT connected: ${mqttConnected}; broker saw ${published} publishes from clients`);
    const goals = {
      steady_rss_le_60mb: a.steady_rss_mb <= 60,
      private_le_20mb: a.steady_private_mb <= 20,
      cpu_le_1pct: a.steady_cpu_pct <= 1,
    };
    console.log(`issue 5 goals: steady RSS <= 60 MB ${goals.steady_rss_le_60mb ? 'met' : 'MISSED'}; private <= 20 MB ${goals.private_le_20mb ? 'met' : 'MISSED'}; CPU <= 1% ${goals.cpu_le_1pct ? 'met' : 'MISSED'}`);
    console.log(
      JSON.stringify({
        bench: 'agent',
        steady_seconds: r1(steadyWall),
        interval_s: INTERVAL_MS / 1000,
        node_flags: NODE_FLAGS,
        agent_flags: AGENT_FLAGS,
        scrapers: SCRAPERS,
        agent: { ...a, name: undefined, buffer_bytes_per_sample: perSample === undefined ? null : r1(perSample), mqtt_connected: mqttConnected === 1 },
        node_exporter: { ...ne, name: undefined },
        ratio: {
          steady_rss: r3(a.steady_rss_mb / ne.steady_rss_mb),
          steady_private: r3(a.steady_private_mb / ne.steady_private_mb),
          steady_cpu: r3(a.steady_cpu_s / ne.steady_cpu_s),
          burst_cpu_per_scrape: r3(a.burst_cpu_ms_per_scrape / ne.burst_cpu_ms_per_scrape),
          p99: r3(a.p99_ms / ne.p99_ms),
        },
        goals,
      }),
    );
  } finally {
    for (const t of targets) t.http.destroy();
    const exited = new Promise((r) => (agentChild.exitCode !== null ? r(null) : agentChild.once('exit', r)));
    agentChild.kill('SIGTERM');
    neChild.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (agentChild.exitCode === null) agentChild.kill('SIGKILL');
    await new Promise<void>((r) => brokerServer.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:agent: ${(err as Error).message}`);
    process.exit(1);
  },
);
