/**
 * The fleet end to end, as `npm start` runs it but on free ports of 127.0.0.1: the aggregator
 * with no config file (embedded MQTT broker, MQTT-presence and mDNS discovery, job
 * "edgeprom") and real agent processes given only the broker's URL. Nothing names a target:
 * the aggregator must find the agents by itself.
 *
 * - agent A (default push mode `auto`): discovered and scraped: `up` is 1, its node_*
 *   series are queryable with `instance` = its agent id, and `/api/v1/targets` lists it as
 *   an active target of pool `edgeprom` with health `up`;
 * - agent B (`--push.mode push`): its samples arrive over MQTT push (the ingest's watermark
 *   series names it, and its node_* series carry the same job/instance labels a scrape gives).
 *
 * Then SIGTERM to every process: each exits 0. Waits poll with a deadline; nothing asserts
 * on timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATOR_CLI, freePort, REPO_ROOT, stop, type Server } from '../promql-differential/processes.js';

const AGENT_CLI = path.join(REPO_ROOT, 'agent/dist/cli.js');
/** Discovery debounce (5 s) + up to one scrape interval (15 s) + slack for a loaded machine. */
const DISCOVERY_DEADLINE_MS = 60_000;

interface Proc extends Server {
  name: string;
}

/** Spawns a CLI and resolves once it printed `listening on <url>` (stdout or stderr). */
function startProcess(name: string, args: string[]): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const log = (): string => buf;
  return new Promise<Proc>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} printed no URL within 30s:\n${buf}`));
    }, 30_000);
    let found = false;
    const onData = (d: Buffer): void => {
      buf = (buf + d.toString('utf8')).slice(-20_000);
      const m = /listening on (http:\/\/[^\s"]+)/.exec(buf);
      if (m && !found) {
        found = true;
        clearTimeout(timer);
        resolve({ name, url: m[1]!.replace(/\/metrics$/, ''), child, log });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`${name} exited with ${code} before listening:\n${buf}`));
    });
  });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, q: string): Promise<Sample[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? r.status}`);
  return body.data!.result;
}

/** Polls `q` until `ok(result)` or the deadline; returns the last result. */
async function eventually(base: string, q: string, ok: (r: Sample[]) => boolean, procs: Proc[]): Promise<Sample[]> {
  const deadline = Date.now() + DISCOVERY_DEADLINE_MS;
  let last: Sample[] = [];
  for (;;) {
    for (const p of procs) {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.log()}`);
    }
    last = await query(base, q);
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`${q} still ${JSON.stringify(last)} after ${DISCOVERY_DEADLINE_MS / 1000}s\n` +
        procs.map((p) => `--- ${p.name}:\n${p.log().slice(-4000)}`).join('\n'));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('fleet: aggregator with embedded broker + agents, no static config', () => {
  let dir: string;
  let aggregator: Proc | undefined;
  let pulled: Proc | undefined;
  let pushed: Proc | undefined;
  // Unique per run: other tests' agents on this machine are discovered too (mDNS on loopback).
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const idA = `fleet-a-${suffix}`;
  const idB = `fleet-b-${suffix}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-fleet-'));
    const mqttPort = await freePort();
    aggregator = await startProcess('aggregator', [
      AGGREGATOR_CLI,
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
        ...extra,
      ]);
    [pulled, pushed] = await Promise.all([
      agent(idA, []),
      agent(idB, ['--push.mode=push', '--collector.interval=1s', '--no-mdns']),
    ]);
  }, 60_000);

  afterAll(async () => {
    // Whatever a failed test left running (stop() is a no-op for exited processes).
    await Promise.all([stop(pulled), stop(pushed)]);
    await stop(aggregator);
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers and scrapes an agent it was never told about', async () => {
    const procs = [aggregator!, pulled!];
    const up = await eventually(aggregator!.url, `up{job="edgeprom",instance="${idA}"}`, (r) => r.length > 0, procs);
    expect(up).toHaveLength(1);
    expect(up[0]!.value[1]).toBe('1');
    // Something only the agent produces, under the labels discovery gave it.
    const own = await query(aggregator!.url, `count({job="edgeprom",instance="${idA}",__name__=~"node_.+"})`);
    expect(Number(own[0]?.value[1] ?? 0)).toBeGreaterThan(0);
    // /api/v1/targets lists it as an active, healthy target of the built-in job.
    const targets = await fetch(`${aggregator!.url}/api/v1/targets?state=active`);
    expect(targets.status).toBe(200);
    const body = (await targets.json()) as {
      status: string;
      data: { activeTargets: { labels: Record<string, string>; scrapePool: string; health: string }[] };
    };
    expect(body.status).toBe('success');
    const mine = body.data.activeTargets.filter((t) => t.labels.instance === idA);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ health: 'up', scrapePool: 'edgeprom', labels: { instance: idA, job: 'edgeprom' } });
  }, DISCOVERY_DEADLINE_MS + 10_000);

  it('takes the samples an agent in push mode delivers over MQTT', async () => {
    const procs = [aggregator!, pushed!];
    const wm = await eventually(
      aggregator!.url,
      `edgeprom_ingest_watermark{agent="${idB}"}`,
      (r) => r.some((s) => Number(s.value[1]) > 0),
      procs,
    );
    expect(wm.length).toBeGreaterThan(0);
    // Pushed samples land under the same job/instance a scrape of that agent would give.
    const own = await eventually(
      aggregator!.url,
      `count({job="edgeprom",instance="${idB}",__name__=~"node_.+"})`,
      (r) => Number(r[0]?.value[1] ?? 0) > 0,
      procs,
    );
    expect(Number(own[0]!.value[1])).toBeGreaterThan(0);
  }, DISCOVERY_DEADLINE_MS + 10_000);

  it('every process exits 0 on SIGTERM', async () => {
    // Agents first: they publish their offline presence while the broker is up.
    const [a, b] = await Promise.all([stop(pulled), stop(pushed)]);
    const agg = await stop(aggregator);
    expect({ a, b, agg }).toEqual({ a: 0, b: 0, agg: 0 });
  }, 30_000);
});
