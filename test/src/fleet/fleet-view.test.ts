/**
 * /api/v1/fleet with real processes on 127.0.0.1: the aggregator (config file: mDNS discovery
 * only, embedded broker taking anonymous clients from loopback) and two real agents:
 *
 * - agent P (default mode `auto`, mDNS on loopback): discovered and scraped → mode `pull`,
 *   health `up`, clock offset from its scraped `node_time_seconds`;
 * - agent Q (`--push.mode push`, no mDNS): not discoverable (no mqtt_sd_configs), so its
 *   samples only arrive by MQTT → mode `push`, health `up`, clock offset from its live
 *   presence, backlog from the `edgeprom_push_backlog_samples` it pushes.
 *
 * Both agents run on this machine's clock, so the offsets are small; the test checks the
 * method and that they stay within a generous bound, not their exact values. Waits poll with
 * a deadline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_CLI,
  AGGREGATOR_CLI,
  DISCOVERY_DEADLINE_MS as DEADLINE_MS,
  freePort,
  startProcess,
  stop,
  type Proc,
} from './harness.js';

interface Device {
  id: string;
  health: string;
  mode: string;
  discovery: string[];
  labels: Record<string, string>;
  lastScrape: string | null;
  lastPush: string | null;
  backlogSamples: number | null;
  clockOffsetSeconds: number | null;
  clockOffsetMethod: string | null;
}

describe('fleet view: real agents, one scraped, one pushing', () => {
  let dir: string;
  let aggregator: Proc | undefined;
  let pulled: Proc | undefined;
  let pushed: Proc | undefined;
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const idP = `view-p-${suffix}`;
  const idQ = `view-q-${suffix}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-fleet-view-'));
    const mqttPort = await freePort();
    const config = path.join(dir, 'aggregator.yml');
    writeFileSync(
      config,
      `global:
  scrape_interval: 2s
scrape_configs:
  - job_name: edgeprom
    mdns_sd_configs:
      - service_types: [_edgeprom._tcp]
    relabel_configs:
      - source_labels: [__meta_mdns_txt_agent]
        regex: (.+)
        target_label: instance
      - source_labels: [__meta_mdns_txt_path]
        regex: (/.*)
        target_label: __metrics_path__
mqtt:
  embedded:
    allow_anonymous: loopback
`,
    );
    aggregator = await startProcess('aggregator', [
      AGGREGATOR_CLI,
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'aggregator')}`,
      '--web.listen-address=127.0.0.1:0',
      `--mqtt.listen-address=127.0.0.1:${mqttPort}`,
    ]);
    const agent = (id: string, extra: string[]): Promise<Proc> =>
      startProcess(id, [
        AGENT_CLI,
        `--storage.path=${path.join(dir, id)}`,
        '--web.listen-address=127.0.0.1:0',
        `--mqtt.url=mqtt://127.0.0.1:${mqttPort}`,
        `--agent.id=${id}`,
        '--collector.interval=1s',
        ...extra,
      ]);
    [pulled, pushed] = await Promise.all([agent(idP, []), agent(idQ, ['--push.mode=push', '--no-mdns'])]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stop(pulled), stop(pushed)]);
    await stop(aggregator);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists both with mode, health, last scrape or push, backlog and clock offset', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    let devices: Device[] = [];
    for (;;) {
      for (const p of [aggregator!, pulled!, pushed!]) {
        if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
      }
      const r = await fetch(`${aggregator!.url}/api/v1/fleet`);
      const body = (await r.json()) as { status: string; data: { devices: Device[] } };
      expect(body.status).toBe('success');
      devices = body.data.devices;
      const p = devices.find((d) => d.id === idP);
      const q = devices.find((d) => d.id === idQ);
      if (p?.clockOffsetMethod === 'scrape' && q?.health === 'up' && q.backlogSamples !== null && q.clockOffsetMethod !== null) break;
      if (Date.now() > deadline) {
        throw new Error(`fleet not complete after ${DEADLINE_MS / 1000}s: ${JSON.stringify(devices)}\n` +
          [aggregator!, pulled!, pushed!].map((x) => `--- ${x.name}:\n${x.log().slice(-3000)}`).join('\n'));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const p = devices.find((d) => d.id === idP)!;
    expect(p).toMatchObject({ health: 'up', mode: 'pull', labels: { job: 'edgeprom', instance: idP } });
    expect(p.discovery).toContain('mdns');
    expect(p.lastScrape).not.toBeNull();
    expect(Math.abs(p.clockOffsetSeconds!)).toBeLessThan(5);

    const q = devices.find((d) => d.id === idQ)!;
    expect(q).toMatchObject({ health: 'up', mode: 'push', discovery: ['mqtt', 'push'], labels: { job: 'edgeprom', instance: idQ }, lastScrape: null });
    expect(q.lastPush).not.toBeNull();
    expect(q.clockOffsetMethod).toBe('presence');
    expect(Math.abs(q.clockOffsetSeconds!)).toBeLessThan(5);
    expect(q.backlogSamples).toBeGreaterThanOrEqual(0);

    const push = await fetch(`${aggregator!.url}/api/v1/fleet?mode=push`);
    const only = (await push.json()) as { data: { devices: Device[] } };
    expect(only.data.devices.map((d) => d.id)).toContain(idQ);
    expect(only.data.devices.map((d) => d.id)).not.toContain(idP);
  }, DEADLINE_MS + 10_000);
});
