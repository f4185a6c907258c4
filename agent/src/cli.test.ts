/**
 * The real binary, spawned as its shebang says: `node <flags> agent/dist/cli.js` (build
 * first: `npx tsc -b shared agent`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, parseExposition } from '@edgeprom/shared';
import mqtt from 'mqtt';
import { decodeMessage } from '@edgeprom/shared/wire';
import { shebangNodeFlags } from './bench/shebang.js';
import { LevelSampleBuffer } from './buffer/level-buffer.js';
import { startBroker, until } from './mqtt/testing.js';
import { fakeTree, samples, value, type FakeTree } from './testing/fake-tree.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first JSON log line matching, as lines arrive. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function start(args: string[], cwd?: string): Run {
  const child = spawn(process.execPath, [...shebangNodeFlags(CLI), CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      stdout.push(line);
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLog: (match) =>
      new Promise((resolve, reject) => {
        const seen = logs.find(match);
        if (seen) return resolve(seen);
        waiters.push({ match, resolve });
        void exited.then((code) => reject(new Error(`agent exited (${code}) before the expected log line; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('')}`)));
      }),
  };
}

async function finish(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(args);
  const code = await r.exited;
  return { code, stdout: r.stdout.join('\n'), stderr: r.stderr.join('') };
}

let tree: FakeTree | undefined;
let running: Run | undefined;
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  await tree?.cleanup();
  tree = undefined;
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -b shared agent\` before the tests`);
});

describe('edgeprom-agent CLI', () => {
  it('--help prints usage and exits 0', async () => {
    const r = await finish(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: edgeprom-agent [flags]');
    expect(r.stdout).toContain('--web.listen-address');
    expect(r.stdout).toMatch(/--mqtt\.url[\s\S]*--push\.mode[\s\S]*--mdns\.interface/);
  });

  it('--version prints the version and exits 0', async () => {
    const r = await finish(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^edgeprom-agent \d+\.\d+\.\d+ \(node v\d+/);
  });

  it('the README\'s systemd unit starts node with the node flags of the bin\'s shebang', () => {
    const flags = shebangNodeFlags(CLI);
    const unit = /^ExecStart=\/usr\/bin\/node((?: +\S+)*) +\/opt\/edgeprom\/agent\/dist\/cli\.js/m.exec(readFileSync(README, 'utf8'));
    expect(unit, 'README: no ExecStart=/usr/bin/node ... /opt/edgeprom/agent/dist/cli.js line').not.toBeNull();
    expect(unit![1].split(' ').filter((f) => f !== '')).toEqual(flags);
  });

  it('an unknown flag exits 2 with a clear message', async () => {
    const r = await finish(['--web.listen-adress=:9100']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('edgeprom-agent: unknown flag --web.listen-adress');
    expect(r.stderr).toContain("Run 'edgeprom-agent --help' for usage.");
  });

  it('a bad flag value exits 2 naming the flag', async () => {
    const r = await finish(['--collector.interval=fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--collector.interval: not a valid duration "fast"');
  });

  it('a garbage config file exits 1 with file, line and reason', async () => {
    tree = await fakeTree({ 'agent.yml': 'listen: ":9100"\ncollect_interval: soon\nexporters: [1, 2\n' });
    const r = await finish(['--config.file', tree.path('agent.yml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('edgeprom-agent: cannot load configuration:');
    expect(r.stderr).toContain(tree.path('agent.yml'));
    expect(r.stderr).toMatch(/agent\.yml:\d+:\d+: /);
  });

  it('a missing config file exits 1', async () => {
    const r = await finish(['--config.file', '/nonexistent/agent.yml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/agent.yml: no such file');
  });

  it('serves /metrics on the port it logs, reloads on SIGHUP, and exits 0 on SIGTERM', async () => {
    tree = await fakeTree({
      'tf/cron.prom': '# TYPE cron_job_success gauge\ncron_job_success{job="backup"} 1\n',
      'agent.yml': 'collect_interval: 15s\n',
    });
    running = start([
      '--web.listen-address', '127.0.0.1:0',
      `--storage.path=${tree.path('data')}`,
      '--agent.id=cli-test',
      `--collector.textfile.directory=${tree.path('tf')}`,
      `--config.file=${tree.path('agent.yml')}`,
    ]);
    const listening = await running.waitForLog((l) => String(l.msg).startsWith('listening on '));
    const url = String(listening.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(url.endsWith(':0/metrics')).toBe(false);
    expect(existsSync(tree.path('data'))).toBe(true);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    const fams = parseExposition(await res.text(), { format: 'text' });
    expect(samples(fams, 'node_cpu_seconds_total').length).toBeGreaterThan(0);
    expect(value(fams, 'cron_job_success', { job: 'backup' })).toBe(1);
    expect(value(fams, 'edgeprom_agent_info', { agent: 'cli-test' })).toBe(1);
    expect(samples(fams, 'node_hwmon_temp_celsius').length + samples(fams, 'edgeprom_exporter_up', { exporter: 'hwmon' }).length).toBeGreaterThan(0);

    // A broken config on SIGHUP is refused; the agent keeps running on the old one.
    await writeFile(tree.path('agent.yml'), 'collect_interval: whenever\n');
    running.child.kill('SIGHUP');
    const refused = await running.waitForLog((l) => String(l.msg).startsWith('configuration reload failed'));
    expect(String(refused.err)).toContain('not a valid duration "whenever"');
    expect((await fetch(url)).status).toBe(200);

    // A good one is applied.
    await writeFile(tree.path('agent.yml'), 'collect_interval: 15s\nexporters:\n  hwmon: false\n');
    running.child.kill('SIGHUP');
    await running.waitForLog((l) => l.msg === 'configuration reloaded');

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    await running.waitForLog((l) => l.msg === 'stopped');
  });

  it('buffers what it collects and flushes the buffer on SIGTERM', async () => {
    tree = await fakeTree({ 'agent.yml': 'buffer:\n  flush_interval: 1h\n' });
    running = start(['--web.listen-address=127.0.0.1:0', `--storage.path=${tree.path('data')}`, '--agent.id=flush-test', `--config.file=${tree.path('agent.yml')}`]);
    const listening = await running.waitForLog((l) => String(l.msg).startsWith('listening on '));
    const fams = parseExposition(await (await fetch(String(listening.url))).text(), { format: 'text' });
    const appended = value(fams, 'edgeprom_buffer_samples_total')!;
    expect(appended).toBeGreaterThan(100);
    expect(value(fams, 'edgeprom_buffer_flushes_total')).toBe(0); // one flush an hour: nothing written yet
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    await running.waitForLog((l) => l.msg === 'buffer flushed');
    const b = new LevelSampleBuffer({ path: tree.path('data', 'buffer'), clock: new ManualClock(Date.now()) });
    await b.open();
    const runs = await b.readFrom(undefined, 1e6);
    await b.close();
    expect(runs.reduce((n, r) => n + r.seqs.length, 0)).toBeGreaterThanOrEqual(appended);
    expect(runs.some((r) => r.labels.some((l) => l.name === 'node_load1'))).toBe(true);
  });

  it('with --mqtt.url: online presence while running, retained offline presence on SIGTERM', async () => {
    tree = await fakeTree({});
    const broker = await startBroker();
    try {
      running = start(['--web.listen-address=127.0.0.1:0', `--storage.path=${tree.path('data')}`, '--agent.id=mqtt-cli', `--mqtt.url=${broker.url}`]);
      await running.waitForLog((l) => l.msg === 'mqtt: connected');
      const watcher = await mqtt.connectAsync(broker.url, { clientId: 'cli-watch', clean: true });
      const seen: { state: string; bootSeq: number; retain: boolean }[] = [];
      watcher.on('message', (_t, payload, packet) => {
        const m = decodeMessage(payload);
        if (m.type === 'presence') seen.push({ state: m.state, bootSeq: m.bootSeq, retain: packet.retain });
      });
      await watcher.subscribeAsync('edgeprom/presence/mqtt-cli', { qos: 1 });
      await until(() => seen.length > 0, 'retained online');
      expect(seen[0]).toMatchObject({ state: 'online', bootSeq: 1, retain: true });
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      await until(() => seen.some((m) => m.state === 'offline'), 'offline presence');
      expect(seen.filter((m) => m.state === 'offline')).toEqual([{ state: 'offline', bootSeq: 1, retain: false }]); // live delivery of the goodbye
      await watcher.endAsync();
      const late = await mqtt.connectAsync(broker.url, { clientId: 'cli-late', clean: true });
      const retained = new Promise<string>((resolve) => late.on('message', (_t, p) => resolve((decodeMessage(p) as { state: string }).state)));
      await late.subscribeAsync('edgeprom/presence/mqtt-cli', { qos: 1 });
      expect(await retained).toBe('offline');
      await late.endAsync();
    } finally {
      await broker.close();
    }
  });

  it('exits 1 when the port is taken', async () => {
    tree = await fakeTree({});
    running = start(['--web.listen-address=127.0.0.1:0', `--storage.path=${tree.path('a')}`, '--agent.id=first']);
    const first = await running.waitForLog((l) => String(l.msg).startsWith('listening on '));
    const r = await finish([`--web.listen-address=${String(first.address)}`, `--storage.path=${tree.path('b')}`, '--agent.id=second']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EADDRINUSE');
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
  });
});
