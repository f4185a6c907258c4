/**
 * Differential test against Debian's `prometheus-pushgateway` (1.5.1): the same table of
 * requests goes to both, in order; status codes must match, and so must the pushed series
 * and values at the end. The binary is required: without it this test FAILS (CI installs
 * the package; see docs/push-api.md).
 *
 * Left out on purpose, where we differ: OpenMetrics bodies without `# EOF` (Pushgateway
 * reads them as text), protobuf bodies, `a{x=""}` next to `a` (one series for us), body
 * limits (Pushgateway has none), and metrics clashing with Pushgateway's own (go_*).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExposition, Labels } from '@edgeprom/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, latest, rawRequest, type Harness } from './test-util.js';

const BINARY = process.env.PUSHGATEWAY_BINARY ?? 'prometheus-pushgateway';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let pg: ChildProcess | undefined;
let pgPort = 0;
let dir = '';
let h: Harness;
/** Why the peer could not start: each test fails with it (never skips). */
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    await setup();
  } catch (e) {
    setupError = e as Error;
  }
}, 20_000);

async function setup(): Promise<void> {
  const found = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error(`${BINARY} is required for this test (apt-get install -y prometheus-pushgateway): ${found.error?.message ?? found.stderr}`);
  }
  dir = await mkdtemp(join(tmpdir(), 'pushgw-diff-'));
  pgPort = await freePort();
  pg = spawn(BINARY, [`--web.listen-address=127.0.0.1:${pgPort}`, `--persistence.file=${join(dir, 'pg.data')}`], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      if ((await rawRequest(pgPort, 'GET', '/-/ready')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error('pushgateway did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  h = await harness({ auth: { insecure: true } });
}

afterAll(async () => {
  if (pg?.pid !== undefined && pg.exitCode === null) {
    const exited = new Promise((r) => pg!.once('exit', r));
    pg.kill('SIGKILL');
    await exited;
  }
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Case = [method: string, path: string, body?: string | Buffer, headers?: Record<string, string>];

const CASES: Case[] = [
  ['PUT', '/metrics/job/j1', 'a 1\n'],
  ['PUT', '/metrics/job/j1', 'a 1 1234\n'],
  ['PUT', '/metrics/job/j2', '# TYPE a counter\na 1\n'],
  ['PUT', '/metrics/job/j3', 'a{job="x",instance="y"} 1\n'],
  ['PUT', '/metrics/job/', 'b 1\n'],
  ['PUT', '/metrics/job/j4/a', 'b 1\n'],
  ['PUT', '/metrics/job/j4/__a/b', 'b 1\n'],
  ['PUT', '/metrics/job/j4/1a/b', 'b 1\n'],
  ['PUT', '/metrics/job/j4/a@base64/===', 'b 1\n'],
  ['PUT', '/metrics/job/j4/a@base64/!!', 'b 1\n'],
  ['PUT', '/metrics/job@base64/=', 'b 1\n'],
  ['PUT', '/metrics/job@base64/L3Zhci90bXA', 'b 1\n'],
  ['PUT', '/metrics/job@base64/L3Zhci90bXA=', 'b 2\n'],
  ['PUT', '/metrics/job/j5/x/a%2Fb', 'b 1\n'],
  ['PUT', '/metrics/job/j5//x/y', 'b 1\n'],
  ['PUT', '/metrics/job/j5/x/y/', 'b 1\n'],
  ['PUT', '/metrics/job/j5/x/y', 'b 1\nc{q="1"} 2\n'],
  ['DELETE', '/metrics/job/j1'],
  ['DELETE', '/metrics/job/nonexist'],
  ['GET', '/metrics/job/j1'],
  ['PATCH', '/metrics/job/j1', ''],
  ['POST', '/metrics/job/j6', 'garbage garbage\n'],
  ['PUT', '/metrics/job/j7', 'b 1'],
  ['PUT', '/metrics/job/j9', ''],
  ['PUT', '/metrics/job/j10', 'push_time_seconds 5\n'],
  ['PUT', '/metrics/job/j11', 'a{x="1"} 1\na{x="1"} 2\n'],
  ['PUT', '/metrics/job/j12/instance/i', 'd 1\n'],
  ['POST', '/metrics/job/j12/instance/i', 'e 1\n'],
  ['POST', '/metrics/job/j12/instance/i', ''],
  ['PUT', '/metrics/job/j12', 'd{instance="i"} 2\n'],
  ['PUT', '/metrics/job/j13', '# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 3\ns_count 2\n'],
  ['PUT', '/metrics/job/j14', 's_count 1\n'],
  ['PUT', '/metrics/job/j14', '# TYPE s_count gauge\ns_count 1\n'],
  ['PUT', '/metrics/job/j15', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
  ['PUT', '/metrics/job/j16', '# TYPE h gauge\nh 1\n'],
  ['PUT', '/metrics/job/titan/name/%CE%A0', 'f 1\n'],
  ['PUT', '/metrics/job/titan/name@base64/zqDPgc6_zrzOt864zrXPjc-C', 'f 2\n'],
  ['PUT', '/metrics/job/j17/a/1/a/2', 'g 1\n'],
  ['PUT', '/metrics/job/j18/job/other', 'g 1\n'],
  ['PUT', '/metrics/jobx/j14', 'h 1\n'],
  ['PUT', '/metrics/job/j19', 'g{a="b"} NaN\ng{a="c"} +Inf\n'],
  ['PUT', '/metrics/job/j20', '# TYPE c counter\nc -1\n'],
  ['DELETE', '/metrics/job/j19'],
  ['PUT', '/metrics/job/j21', 'a 3\n# EOF\n', { 'Content-Type': 'application/openmetrics-text; version=1.0.0' }],
  ['PUT', '/metrics/job/j22', 'bad{ 1\n'],
  ['POST', '/metrics/job/j3', '# TYPE a gauge\na 5\n'],
  ['PUT', '/metrics/job/x1', 'k 1\n# c'],
  ['PUT', '/metrics/job/x2', 'k 1\n '],
  ['PUT', '/metrics/job/x4', '\n\n'],
  ['PUT', '/metrics/job/j23/instance/', 'l 1\n'],
  ['PUT', '/metrics/job/j24/a/./b', 'l 1\n'],
  ['PUT', '/metrics/job/j25', '# HELP b other help\nb 3\n'],
  ['PUT', '/metrics/job/j26', gzipSync('m{z="1"} 4\n'), { 'Content-Encoding': 'gzip' }],
  ['POST', '/metrics/job/j26', 'm{z="2"} 5\n'],
  ['PUT', '/metrics/job/j27', '# TYPE m counter\nm 1\n'],
];

/** Pushed series and values, push-time values left out (their clocks differ). */
function fromPushgateway(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of parseExposition(text, { format: 'text' })) {
    if (/^(go_|process_|pushgateway_|promhttp_)/.test(f.name)) continue;
    for (const s of f.samples) {
      const push = f.name === 'push_time_seconds' || f.name === 'push_failure_time_seconds';
      out.set(Labels.from([...s.labels]).toString(), push ? (s.value === 0 ? 0 : 1) : s.value);
    }
  }
  return out;
}

describe('differential: Debian prometheus-pushgateway', () => {
  it('answers the same status codes and ends with the same series', async () => {
    if (setupError) throw setupError;
    const diffs: string[] = [];
    for (const [method, path, body, headers] of CASES) {
      const theirs = await rawRequest(pgPort, method, path, body, headers);
      const ours = await h.request(method, path, body, headers);
      if (theirs.status !== ours.status) diffs.push(`${method} ${path}: pushgateway ${theirs.status} ${theirs.body.trim()} | ours ${ours.status} ${ours.body.trim()}`);
    }
    expect(diffs).toEqual([]);

    const expected = fromPushgateway((await rawRequest(pgPort, 'GET', '/metrics')).body);
    const actual = new Map<string, number>();
    for (const [k, v] of latest(h.storage)) {
      actual.set(k, k.startsWith('push_time_seconds{') || k.startsWith('push_failure_time_seconds{') ? (v === 0 ? 0 : 1) : v);
    }
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it('refuses an invalid base64 job name with 400 (this one is last: it deadlocks Pushgateway 1.5.1)', async () => {
    if (setupError) throw setupError;
    const path = '/metrics/job@base64/!!';
    const theirs = await rawRequest(pgPort, 'PUT', path, 'b 1\n');
    const ours = await h.request('PUT', path, 'b 1\n');
    expect(ours.status).toBe(theirs.status);
    expect(ours.body).toBe(theirs.body);
  });
});
