import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRelabel } from '../relabel/index.js';
import { targetsFromGroup, type TargetGroup } from '../scrape/index.js';
import type { Labels } from '@edgeprom/shared';
import { dedupeAgents, learnAgentLabels } from './collection.js';
import { loadConfig } from './config.js';
import { parseServeFlags } from './flags.js';
import { startAggregator } from './serve.js';

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

const mqttGroup = (id: string, addr: string): TargetGroup => ({
  source: `edgeprom/presence/${id}`,
  targets: [{ __address__: addr, __meta_mqtt_agent_id: id, __meta_mqtt_metrics_path: '/metrics' }],
  labels: {},
});
const mdnsGroup = (id: string, addr: string): TargetGroup => ({
  source: `${id}._edgeprom._tcp.local`,
  targets: [{ __address__: addr }],
  labels: { __meta_mdns_txt_agent: id, __meta_mdns_txt_path: '/metrics' },
});

describe('the built-in configuration (no --config.file)', () => {
  it('has one job "edgeprom" with MQTT presence and mDNS discovery, every 15s', async () => {
    const c = await loadConfig(undefined);
    expect(c.scrape_configs.map((j) => j.job_name)).toEqual(['edgeprom']);
    const job = c.scrape_configs[0]!;
    expect(job.scrape_interval).toBe(15_000);
    expect(job.mqtt_sd_configs).toHaveLength(1);
    expect(job.mdns_sd_configs).toHaveLength(1);
    expect(job.static_configs).toEqual([]);
  });

  it.each([
    ['MQTT presence', mqttGroup('pi-kitchen', '192.168.1.7:9100')],
    ['mDNS', mdnsGroup('pi-kitchen', '127.0.0.1:9100')],
  ])('names a target found by %s by its agent id, as the push ingest does', async (_how, group) => {
    const job = (await loadConfig(undefined)).scrape_configs[0]!;
    const r = targetsFromGroup(group, job, compileRelabel(job.relabel_configs));
    expect(r.failures).toEqual([]);
    expect(r.active).toHaveLength(1);
    const labels = r.active[0]!.labels;
    expect(labels.get('job')).toBe('edgeprom');
    expect(labels.get('instance')).toBe('pi-kitchen');
    expect(r.active[0]!.url).toBe(`http://${group.targets[0]!.__address__}/metrics`);
  });
});

describe('dedupeAgents', () => {
  it('drops the mDNS target of an agent that MQTT presence also found, in the same job', () => {
    const sets = new Map([
      ['edgeprom', [mqttGroup('a', '192.168.1.7:9100'), mdnsGroup('a', '127.0.0.1:9100'), mdnsGroup('b', '127.0.0.1:9101')]],
      ['other', [mdnsGroup('a', '127.0.0.1:9100')]],
    ]);
    const out = dedupeAgents(sets);
    expect(out.get('edgeprom')!.map((g) => g.source)).toEqual(['edgeprom/presence/a', 'b._edgeprom._tcp.local']);
    expect(out.get('other')).toBe(sets.get('other'));
  });

  it('passes targets without agent ids, and jobs without MQTT targets, unchanged', () => {
    const plain: TargetGroup = { source: '0', targets: [{ __address__: 'x:1' }], labels: {} };
    const sets = new Map([['j', [plain, mdnsGroup('a', '127.0.0.1:9100')]], ['empty', []]]);
    const out = dedupeAgents(sets);
    expect(out.get('j')).toBe(sets.get('j'));
    expect(out.get('empty')).toEqual([]);
  });
});

describe('learnAgentLabels (the push ingest\'s target labels)', () => {
  it('takes the public labels of the target discovered for each agent, first job first, and keeps them when it leaves', async () => {
    const job = (await loadConfig(undefined)).scrape_configs[0]!;
    const program = compileRelabel(job.relabel_configs);
    const other = { ...job, job_name: 'other', relabel_configs: [] };
    const active = new Map([
      ['edgeprom', targetsFromGroup(mqttGroup('a', '10.0.0.1:9100'), job, program).active],
      ['other', targetsFromGroup(mdnsGroup('a', '127.0.0.1:9100'), other, compileRelabel([])).active],
    ]);
    const into = new Map<string, Labels>();
    learnAgentLabels({ targetsActive: () => active }, into);
    expect(into.get('a')!.toObject()).toEqual({ instance: 'a', job: 'edgeprom' });
    active.set('edgeprom', []);
    learnAgentLabels({ targetsActive: () => active }, into);
    // Only job "other" has it now: its labels (instance = the address, no relabeling).
    expect(into.get('a')!.toObject()).toEqual({ instance: '127.0.0.1:9100', job: 'other' });
    active.set('other', []);
    learnAgentLabels({ targetsActive: () => active }, into);
    expect(into.get('a')!.toObject()).toEqual({ instance: '127.0.0.1:9100', job: 'other' });
  });
});

describe('startAggregator and the embedded broker', () => {
  let dir: string;
  let busy: net.Server;
  let busyPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-main-'));
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the broker on --mqtt.listen-address with ingest and discovery, and stops cleanly', async () => {
    const flags = parseServeFlags([
      `--storage.tsdb.path=${path.join(dir, 'a')}`,
      '--web.listen-address=127.0.0.1:0',
      '--mqtt.listen-address=127.0.0.1:0',
    ]);
    const agg = await startAggregator(flags, { logger: silent });
    try {
      expect(agg.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(agg.collection.ingest).toBeDefined();
      expect(agg.collection.mqtt?.broker?.port).toBeGreaterThan(0);
    } finally {
      await agg.stop();
    }
    await agg.stop(); // idempotent
  });

  it('fails to start when the given --mqtt.listen-address is taken', async () => {
    const flags = parseServeFlags([
      `--storage.tsdb.path=${path.join(dir, 'b')}`,
      '--web.listen-address=127.0.0.1:0',
      `--mqtt.listen-address=127.0.0.1:${busyPort}`,
    ]);
    await expect(startAggregator(flags, { logger: silent })).rejects.toMatchObject({ code: 'ERR_MQTT_LISTEN' });
    // The TSDB lock was released: the same directory opens again.
    const ok = parseServeFlags([`--storage.tsdb.path=${path.join(dir, 'b')}`, '--web.listen-address=127.0.0.1:0', '--mqtt.listen-address=127.0.0.1:0']);
    await (await startAggregator(ok, { logger: silent })).stop();
  });

  it('runs without MQTT when the configured (not flagged) broker address is taken', async () => {
    const cfg = path.join(dir, 'busy.yml');
    writeFileSync(cfg, `mqtt:\n  embedded:\n    listen: 127.0.0.1:${busyPort}\n`);
    const flags = parseServeFlags([`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'c')}`, '--web.listen-address=127.0.0.1:0']);
    const agg = await startAggregator(flags, { logger: silent });
    try {
      expect(agg.mqttUrl).toBeUndefined();
      expect(agg.collection.ingest).toBeUndefined();
      expect((await fetch(`${agg.url}/-/ready`)).status).toBe(200);
    } finally {
      await agg.stop();
    }
  });
});
