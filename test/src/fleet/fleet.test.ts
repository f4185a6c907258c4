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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCOVERY_DEADLINE_MS, eventually, freePort, query, startAgent, startAggregator, stop, type Proc } from './harness.js';

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
    aggregator = await startAggregator(path.join(dir, 'aggregator'), mqttPort);
    [pulled, pushed] = await Promise.all([
      startAgent(dir, idA, mqttPort),
      startAgent(dir, idB, mqttPort, ['--push.mode=push', '--collector.interval=1s', '--no-mdns']),
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
