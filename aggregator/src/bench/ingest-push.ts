/**
 * MQTT push ingest end to end, part (b) of `bench:ingest`: N devices publish pre-encoded CBOR
 * batches (QoS 1) to the embedded broker on loopback, each with one batch in flight (as the
 * agent does: the next batch goes out when the ack for the previous one arrives); the
 * aggregator decodes, dedupes, appends, commits to the WAL (fsync 'always', group commit) and
 * acks. Measures samples/s from the first publish to the last ack, publish→ack latency, and
 * the CPU seconds of the aggregator side (broker + ingest + TSDB, this process) per round.
 *
 * The devices run in a child process (this same file, forked with `--push-devices`), so the
 * aggregator's CPU figure holds no publisher work, and the two share the machine's cores as
 * a gateway and its devices would not (they are other machines there): wall samples/s is a
 * floor. Batches are encoded in the child before the clock starts, so encoding is not
 * counted against ingest.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Labels, RealClock } from '@edgeprom/shared';
import { decodeMessage, encodeBatch, type AckMessage } from '@edgeprom/shared/wire';
import { Ingest } from '../ingest/ingest.js';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { connect } from '../mqtt/test-util.js';
import { openTsdb } from '../tsdb/tsdb.js';

export interface PushIngestOptions {
  devices: number;
  batches: number;
  series: number;
  perSeries: number;
  rounds: number;
  /** Parent of the temporary TSDB directories. */
  baseDir: string;
  log: (line: string) => void;
}

export const PUSH_DEFAULTS = { devices: 50, batches: 20, series: 200, perSeries: 20, rounds: 3 } as const;

interface Shape {
  devices: number;
  batches: number;
  series: number;
  perSeries: number;
  /** Timestamp of the first sample (ms). */
  start: number;
}

/** Parent → child. */
type ToDevices = { kind: 'shape'; shape: Shape } | { kind: 'connect'; url: string } | { kind: 'go' } | { kind: 'disconnect' };
/** Child → parent. */
type FromDevices =
  | { kind: 'encoded'; bytes: number }
  | { kind: 'connected' }
  | { kind: 'done'; ms: number; latencies: number[] }
  | { kind: 'disconnected' };

const password = (d: number) => `pw-${d}`;

/** Runs `rounds` rounds (a fresh broker and TSDB each) and returns the fastest, with all rounds' figures. */
export async function runPushIngest(o: PushIngestOptions) {
  const { devices, batches, series, perSeries, rounds, baseDir } = o;
  const perBatch = series * perSeries;
  const total = devices * batches * perBatch;

  const clock = new RealClock();
  const tmp = fs.mkdtempSync(path.join(baseDir, 'edgeprom-bench-ingest-'));
  const devicesCreds = Array.from({ length: devices }, (_, d) => ({ username: `dev-${d}`, password: Buffer.from(password(d)), agentId: `dev-${d}` }));

  const child = new DevicesChild(fork(fileURLToPath(import.meta.url), ['--push-devices'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const { bytes } = await child.request<{ bytes: number }>({ kind: 'shape', shape: { devices, batches, series, perSeries, start: clock.now() - 10 * 60_000 } }, 'encoded');

  async function runOnce(round: number) {
    const broker = new EmbeddedBroker({ listen: '127.0.0.1:0', devices: devicesCreds });
    await broker.start();
    const db = await openTsdb({ dir: path.join(tmp, `tsdb-${round}`), clock, fsync: 'always' });
    const internal = await connect(broker.url, broker.internalCredentials);
    const ingest = new Ingest({ client: internal, store: db, topics: broker.topics, clock });
    await ingest.start();
    await child.request({ kind: 'connect', url: broker.url }, 'connected');

    const load0 = os.loadavg()[0];
    const cpu0 = process.cpuUsage();
    const { ms, latencies } = await child.request<{ ms: number; latencies: number[] }>({ kind: 'go' }, 'done');
    const cpu = process.cpuUsage(cpu0);
    const load1 = os.loadavg()[0];
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;

    const appended = ingest.metrics.samplesTotal.appended;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
    const result = {
      bench: 'mqtt_push_ingest',
      devices,
      batches_per_device: batches,
      samples_per_batch: perBatch,
      samples: total,
      samples_appended: appended,
      bytes_per_sample: +(bytes / total).toFixed(2),
      seconds: +(ms / 1000).toFixed(3),
      samples_per_second: Math.round(total / (ms / 1000)),
      batches_per_second: Math.round((devices * batches) / (ms / 1000)),
      ack_latency_ms_p50: +pct(50).toFixed(1),
      ack_latency_ms_p99: +pct(99).toFixed(1),
      /** The aggregator side only (broker, ingest, TSDB incl. its I/O threads): this process. */
      aggregator_cpu_seconds: +cpuSeconds.toFixed(2),
      samples_per_aggregator_cpu_second: Math.round(total / cpuSeconds),
      load_average_1m: [+load0.toFixed(1), +load1.toFixed(1)],
      wal_fsyncs: db.metrics.wal.fsyncs,
      wal_commits: db.metrics.wal.commits,
      wal_fsync_seconds: +(db.metrics.wal.fsyncMsSum / 1000).toFixed(2),
      wal_fsync_ms_max: Math.round(db.metrics.wal.fsyncMsMax),
    };
    o.log(
      `  round ${round + 1}: ${result.samples_per_second.toLocaleString('en')} samples/s, ` +
        `${result.samples_per_aggregator_cpu_second.toLocaleString('en')} samples per aggregator CPU-second (${result.aggregator_cpu_seconds} CPU s), ` +
        `load ${result.load_average_1m.join('→')}, ${result.batches_per_second} batches/s, ack p50 ${result.ack_latency_ms_p50} ms p99 ${result.ack_latency_ms_p99} ms, ` +
        `${result.wal_fsyncs} fsyncs (${result.wal_fsync_seconds} s, max ${result.wal_fsync_ms_max} ms) for ${result.wal_commits} commits`,
    );
    if (appended !== total) o.log(`  WARNING: ${total - appended} samples not appended: ${JSON.stringify(ingest.metrics.samplesTotal)}`);

    await child.request({ kind: 'disconnect' }, 'disconnected');
    await ingest.stop();
    await internal.endAsync(true);
    await broker.stop();
    await db.close();
    return result;
  }

  // The disk is shared with other VMs, so fsync stalls vary a lot between runs: each round is a
  // fresh broker and TSDB, and the fastest round counts (the one least disturbed by neighbours).
  // samples_per_aggregator_cpu_second is the steadier figure.
  o.log(`MQTT push ingest: ${devices} devices (in a child process) x ${batches} batches x ${perBatch} samples, fsync always, ${rounds} rounds`);
  const results = [];
  try {
    for (let r = 0; r < rounds; r++) results.push(await runOnce(r));
  } finally {
    child.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const best = results.reduce((a, b) => (b.samples_per_second > a.samples_per_second ? b : a));
  return {
    ...best,
    rounds,
    samples_per_second_all_rounds: results.map((r) => r.samples_per_second),
    samples_per_aggregator_cpu_second_all_rounds: results.map((r) => r.samples_per_aggregator_cpu_second),
    load_average_1m_all_rounds: results.map((r) => r.load_average_1m),
  };
}

/** The parent's handle on the devices process: one request, one awaited reply, in turn. */
class DevicesChild {
  readonly #proc: ChildProcess;
  #waiting: { kind: string; resolve: (m: FromDevices) => void; reject: (e: Error) => void } | undefined;

  constructor(proc: ChildProcess) {
    this.#proc = proc;
    proc.on('message', (m: FromDevices) => {
      const w = this.#waiting;
      if (w === undefined || m.kind !== w.kind) return w?.reject(new Error(`bench devices process: unexpected ${m.kind}`));
      this.#waiting = undefined;
      w.resolve(m);
    });
    proc.on('exit', (code) => this.#waiting?.reject(new Error(`bench devices process exited (${code})`)));
  }

  request<T>(msg: ToDevices, reply: FromDevices['kind']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting = { kind: reply, resolve: resolve as (m: FromDevices) => void, reject };
      this.#proc.send(msg);
    });
  }

  close(): void {
    this.#proc.disconnect();
  }
}

// --- The devices process ---

/** Device d's batch k: every series collected every cycle, seqs in stride form, 1 ms apart. */
function encodeDeviceBatch(s: Shape, d: number, k: number): Buffer {
  const perBatch = s.series * s.perSeries;
  const seqFrom = k * perBatch + 1;
  const list = [];
  for (let j = 0; j < s.series; j++) {
    const ts = new Float64Array(s.perSeries);
    const vs = new Float64Array(s.perSeries);
    const qs = new Float64Array(s.perSeries);
    for (let i = 0; i < s.perSeries; i++) {
      const cycle = k * s.perSeries + i;
      ts[i] = s.start + cycle;
      vs[i] = j % 3 === 0 ? cycle * 17 : Math.sin(cycle / 10 + j) * 100;
      qs[i] = seqFrom + i * s.series + j;
    }
    list.push({ labels: Labels.from({ __name__: `node_metric_${j % 40}`, device: `d${j}`, mode: 'x' }), timestamps: ts, values: vs, seqs: qs });
  }
  return Buffer.from(encodeBatch({ agent: `dev-${d}`, boot: 'bench', seqFrom, seqTo: seqFrom + perBatch - 1, series: list }));
}

async function devicesMain(): Promise<void> {
  const send = (m: FromDevices) => process.send!(m);
  let shape: Shape | undefined;
  let encoded: Buffer[][] = [];
  let clients: Awaited<ReturnType<typeof connect>>[] = [];
  process.on('message', async (m: ToDevices) => {
    if (m.kind === 'shape') {
      const s = (shape = m.shape);
      encoded = Array.from({ length: s.devices }, (_, d) => Array.from({ length: s.batches }, (_, k) => encodeDeviceBatch(s, d, k)));
      send({ kind: 'encoded', bytes: encoded.flat().reduce((n, b) => n + b.length, 0) });
    } else if (m.kind === 'connect') {
      clients = await Promise.all(
        encoded.map(async (_, d) => {
          const c = await connect(m.url, { username: `dev-${d}`, password: password(d), clientId: `dev-${d}` });
          await c.subscribeAsync(`edgeprom/ack/dev-${d}`, { qos: 1 });
          return c;
        }),
      );
      send({ kind: 'connected' });
    } else if (m.kind === 'go') {
      const { batches, series, perSeries } = shape!;
      const perBatch = series * perSeries;
      const latencies: number[] = [];
      const t0 = performance.now();
      await Promise.all(
        clients.map(
          (c, d) =>
            new Promise<void>((resolve) => {
              let k = 0;
              let sentAt = 0;
              const publish = () => {
                sentAt = performance.now();
                c.publish(`edgeprom/push/dev-${d}`, encoded[d][k], { qos: 1 });
              };
              c.on('message', (_topic, payload) => {
                const ack = decodeMessage(payload) as AckMessage;
                if (ack.seqTo < (k + 1) * perBatch) return;
                latencies.push(performance.now() - sentAt);
                if (++k === batches) return resolve();
                publish();
              });
              publish();
            }),
        ),
      );
      send({ kind: 'done', ms: performance.now() - t0, latencies });
    } else if (m.kind === 'disconnect') {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      clients = [];
      send({ kind: 'disconnected' });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--push-devices') await devicesMain();
