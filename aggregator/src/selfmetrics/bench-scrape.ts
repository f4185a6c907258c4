/**
 * What serving /metrics costs: our aggregator (built, `node aggregator/dist/cli.js`, no
 * config file) and Debian's prometheus, each a child process, scraped in alternating rounds
 * the way a Prometheus scraper does it (OpenMetrics Accept header, gzip, keep-alive). CPU
 * seconds of each whole process come from /proc/PID/stat (../bench/proc-stats.ts).
 *
 *   npx tsc -b && npx tsx aggregator/src/selfmetrics/bench-scrape.ts [scrapes=1000] [rounds=5]
 *
 * Last line: one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SCRAPE_ACCEPT_HEADER } from '@edgeprom/shared';
import { cpuSeconds } from '../bench/proc-stats.js';

const scrapes = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-bench-selfmetrics-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child and resolves once `ready` matches its output. */
function start(cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}:\n${out.slice(-2000)}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { Accept: SCRAPE_ACCEPT_HEADER, 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

interface Side {
  name: string;
  url: string;
  pid: number;
  cpu: number;
  bytes: number;
  samples: number;
}

async function run(side: Side, n: number): Promise<void> {
  const before = cpuSeconds(side.pid);
  for (let i = 0; i < n; i++) {
    const body = await get(side.url);
    side.bytes += body.length;
    if (i === 0 && side.samples === 0) {
      const text = gunzipSync(body).toString('utf8');
      side.samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    }
  }
  side.cpu += cpuSeconds(side.pid) - before;
}

const promPort = await freePort();
const promCfg = path.join(dir, 'prometheus.yml');
writeFileSync(promCfg, `global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:${promPort}']\n`);
const prom = await start(
  'prometheus',
  [`--config.file=${promCfg}`, `--storage.tsdb.path=${path.join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`],
  /Server is ready to receive web requests/,
);
const ours = await start(
  process.execPath,
  ['aggregator/dist/cli.js', `--storage.tsdb.path=${path.join(dir, 'agg')}`, '--web.listen-address=127.0.0.1:0', '--mqtt.listen-address=127.0.0.1:0'],
  /listening on (http:\/\/\S+)/,
);
const sides: Side[] = [
  { name: 'edgeprom', url: `${ours.match[1]}/metrics`, pid: ours.child.pid!, cpu: 0, bytes: 0, samples: 0 },
  { name: 'prometheus', url: `http://127.0.0.1:${promPort}/metrics`, pid: prom.child.pid!, cpu: 0, bytes: 0, samples: 0 },
];
try {
  // Warm-up (JIT, Go's pools), not counted.
  for (const s of sides) await run({ ...s }, 50);
  for (let r = 0; r < rounds; r++) for (const s of sides) await run(s, Math.ceil(scrapes / rounds));
} finally {
  ours.child.kill('SIGTERM');
  prom.child.kill('SIGTERM');
  agent.destroy();
}
const total = Math.ceil(scrapes / rounds) * rounds;
const result: Record<string, number> = { scrapes: total };
for (const s of sides) {
  const msPerScrape = (s.cpu * 1000) / total;
  console.log(
    `${s.name.padEnd(10)} CPU ${s.cpu.toFixed(2)} s for ${total} scrapes: ${msPerScrape.toFixed(3)} ms/scrape, ` +
      `${s.samples} samples, ${((msPerScrape * 1000) / s.samples).toFixed(2)} µs/sample, ${Math.round(s.bytes / total)} gzip bytes/scrape`,
  );
  result[`${s.name}_cpu_ms_per_scrape`] = Number(msPerScrape.toFixed(3));
  result[`${s.name}_samples`] = s.samples;
  result[`${s.name}_cpu_us_per_sample`] = Number(((msPerScrape * 1000) / s.samples).toFixed(2));
}
result.ratio_cpu_per_scrape = Number((sides[0]!.cpu / sides[1]!.cpu).toFixed(2));
result.ratio_cpu_per_sample = Number((result.edgeprom_cpu_us_per_sample! / result.prometheus_cpu_us_per_sample!).toFixed(2));
await new Promise((r) => setTimeout(r, 500));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
