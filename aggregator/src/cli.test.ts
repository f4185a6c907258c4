import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStrays, runCli, serveCli } from './cli-test-util.js';
import { SERVE_OPTIONS } from './main/flags.js';

/**
 * Every test here spawns node processes (the CLI, a server): under a loaded machine these
 * take far longer than the suite's 20 s default, so each gets this generous bound (not a
 * timing assertion).
 */
const SPAWN_TIMEOUT_MS = 120_000;

const dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-cli-'));
afterAll(() => {
  killStrays();
  rmSync(dir, { recursive: true, force: true });
});

describe('edgeprom-aggregator --help', () => {
  it.each([
    [[], 'usage: edgeprom-aggregator [flags]'],
    [['check', '--help'], 'usage: edgeprom-aggregator check config'],
    [['check', 'config', '--help'], 'usage: edgeprom-aggregator check config FILE'],
    [['tsdb', '--help'], 'usage: edgeprom-aggregator tsdb import openmetrics'],
    [['tsdb', 'import', '--help'], 'usage: edgeprom-aggregator tsdb import openmetrics FILE [flags]'],
    [['tsdb', 'import', 'openmetrics', '--help'], 'usage: edgeprom-aggregator tsdb import openmetrics FILE [flags]'],
  ])('%j prints its usage and exits 0', (args, usage) => {
    const r = runCli([...args, ...(args.length === 0 ? ['--help'] : [])]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(usage);
  }, SPAWN_TIMEOUT_MS);

  it('documents every flag it parses, each with its default', () => {
    const { stdout } = runCli(['-h']);
    for (const [flag, spec] of Object.entries(SERVE_OPTIONS)) {
      if (flag === 'help') continue;
      expect(stdout).toContain(`--${flag}`);
      const dflt: unknown = 'default' in spec ? spec.default : undefined;
      if (typeof dflt === 'string') expect([flag, stdout.includes(`(default ${dflt})`)]).toEqual([flag, true]);
    }
  }, SPAWN_TIMEOUT_MS);

  it.each([
    [['--no.such-flag']],
    [['--web.listen-address', 'nonsense']],
    [['--query.timeout', '5x']],
    [['--storage.tsdb.retention.size', '5 potatoes']],
    [['--log.level', 'loud']],
    [['frobnicate']],
    [['check', 'config']],
    [['tsdb', 'import', 'csv', 'x']],
  ])('%j is a usage error (exit 2)', (args) => {
    const r = runCli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/edgeprom-aggregator: .+\nTry --help/);
  }, SPAWN_TIMEOUT_MS);
});

describe('edgeprom-aggregator check config', () => {
  it('prints SUCCESS for a valid file and exits 0', () => {
    const file = path.join(dir, 'good.yml');
    writeFileSync(file, 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["localhost:9100"]\n');
    const r = runCli(['check', 'config', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${file}`);
  }, SPAWN_TIMEOUT_MS);

  it('prints every error with file:line:column and exits 1', () => {
    const good = path.join(dir, 'good2.yml');
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(good, 'global: {}\n');
    writeFileSync(bad, 'global:\n  scrape_interval: 15x\n  evaluation_interval: 1q\n');
    const r = runCli(['check', 'config', good, bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`SUCCESS: ${good}`);
    expect(r.stderr).toContain('FAILED');
    expect(r.stderr).toContain(`${bad}:2:20: global.scrape_interval: not a valid duration "15x"`);
    expect(r.stderr).toContain('global.evaluation_interval');
  }, SPAWN_TIMEOUT_MS);

  it('warns about settings it accepts but does not act on yet (rules)', () => {
    const file = path.join(dir, 'rules.yml');
    writeFileSync(file, 'rule_files: [rules/*.yml]\n');
    const r = runCli(['check', 'config', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${file}`);
    expect(r.stdout).toContain('WARNING: rule_files: rule evaluation is not built');
  }, SPAWN_TIMEOUT_MS);

  it('reports a missing file as a failure', () => {
    const r = runCli(['check', 'config', path.join(dir, 'missing.yml')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing.yml');
  }, SPAWN_TIMEOUT_MS);
});

describe('edgeprom-aggregator (server)', () => {
  it('serves imported data, answers the API, and exits 0 on SIGTERM', async () => {
    const om = path.join(dir, 'serve.om');
    const data = path.join(dir, 'serve-data');
    writeFileSync(om, '# TYPE up gauge\nup{job="x"} 1 1700000000.5\nup{job="x"} 0 1700000015.5\n# EOF\n');
    expect(runCli(['tsdb', 'import', 'openmetrics', om, '--storage.tsdb.path', data]).status).toBe(0);
    const s = await serveCli([`--storage.tsdb.path=${data}`, '--web.listen-address=127.0.0.1:0', '--log.level=warn']);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${s.url}/-/ready`)).status).toBe(200);
      const res = await fetch(`${s.url}/api/v1/query?query=up&time=1700000020`);
      const body = (await res.json()) as { data: { result: { metric: object; value: [number, string] }[] } };
      expect(body.data.result).toEqual([{ metric: { __name__: 'up', job: 'x' }, value: [1700000020, '0'] }]);
      const flags = (await (await fetch(`${s.url}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
      expect(flags.data['storage.tsdb.path']).toBe(data);
      // The store is locked while the server runs.
      const locked = runCli(['tsdb', 'import', 'openmetrics', om, '--storage.tsdb.path', data]);
      expect(locked.status).toBe(1);
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
    // Closed cleanly: the lock is released, and importing the same samples again is a no-op.
    const again = runCli(['tsdb', 'import', 'openmetrics', om, '--storage.tsdb.path', data]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('rejected:   0');
  }, SPAWN_TIMEOUT_MS);

  it('keeps the old config when a SIGHUP reload finds a broken file', async () => {
    const cfg = path.join(dir, 'reload.yml');
    writeFileSync(cfg, 'global:\n  scrape_interval: 15s\n');
    const s = await serveCli([`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'reload-data')}`, '--web.listen-address=127.0.0.1:0']);
    const shown = async (): Promise<string> =>
      ((await (await fetch(`${s.url}/api/v1/status/config`)).json()) as { data: { yaml: string } }).data.yaml;
    try {
      expect(await shown()).toContain('scrape_interval: 15s');
      writeFileSync(cfg, 'global:\n  scrape_interval: 15x\n');
      s.child.kill('SIGHUP');
      await waitFor(() => s.stderr().includes('reload failed'));
      expect(await shown()).toContain('scrape_interval: 15s');
      writeFileSync(cfg, 'global:\n  scrape_interval: 30s\n');
      s.child.kill('SIGHUP');
      await waitFor(() => s.stderr().includes('configuration reloaded'));
      expect(await shown()).toContain('scrape_interval: 30s');
      // The refused reload was logged once, with the file, line and column.
      const failures = s.stderr().split('\n').filter((l) => l.includes('reload failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain('reload.yml:2:20');
    } finally {
      s.child.kill('SIGINT');
    }
    expect(await s.exited).toBe(0);
  }, SPAWN_TIMEOUT_MS);

  it('stops gracefully on POST /-/quit with --web.enable-lifecycle, as on SIGTERM', async () => {
    const cfg = path.join(dir, 'quit.yml');
    writeFileSync(cfg, '');
    const data = path.join(dir, 'quit-data');
    const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${data}`, '--web.listen-address=127.0.0.1:0', '--mqtt.listen-address=127.0.0.1:0'];
    const off = await serveCli(args);
    try {
      // Without the flag: refused, and the server keeps running.
      const refused = await fetch(`${off.url}/-/quit`, { method: 'POST' });
      expect([refused.status, await refused.text()]).toEqual([403, 'Lifecycle API is not enabled.']);
      expect((await fetch(`${off.url}/-/ready`)).status).toBe(200);
    } finally {
      off.child.kill('SIGTERM');
    }
    expect(await off.exited).toBe(0);

    const s = await serveCli([...args, '--web.enable-lifecycle']);
    const res = await fetch(`${s.url}/-/quit`, { method: 'POST' });
    expect([res.status, await res.text()]).toEqual([200, 'Requesting termination... Goodbye!']);
    expect(await s.exited).toBe(0);
    const lines = s.stderr().split('\n');
    expect(lines.filter((l) => l.includes('received termination request via the web API'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    // Closed cleanly: the TSDB lock is released.
    const om = path.join(dir, 'quit.om');
    writeFileSync(om, '# TYPE a gauge\na 1 1700000000\n# EOF\n');
    expect(runCli(['tsdb', 'import', 'openmetrics', om, '--storage.tsdb.path', data]).status).toBe(0);
  }, SPAWN_TIMEOUT_MS);

  it('exits 1 with a clear message when the address is taken', async () => {
    const s = await serveCli([`--storage.tsdb.path=${path.join(dir, 'port-a')}`, '--web.listen-address=127.0.0.1:0']);
    try {
      const port = new URL(s.url).port;
      const r = runCli([`--storage.tsdb.path=${path.join(dir, 'port-b')}`, `--web.listen-address=127.0.0.1:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
  }, SPAWN_TIMEOUT_MS);
});

/** Polls a condition (no timing assertion: the test timeout bounds it). */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}
