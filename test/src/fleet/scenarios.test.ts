/**
 * Issue 6's end-to-end scenarios, on real processes on 127.0.0.1: the aggregator CLI with no
 * config file (embedded broker on a free port, MQTT-presence and mDNS discovery) and three
 * agent CLIs given only the broker's URL. Nothing names a target: the aggregator finds them.
 *
 * - agent A: default push mode `auto`, advertised over MQTT presence and mDNS (loopback);
 * - agent C: `auto`, MQTT presence only (`--no-mdns`);
 * - agent B: `--push.mode=push`, collecting every second: its samples must arrive by MQTT
 *   push only (it is never scraped);
 * - a bad device (a raw MQTT client) publishing a malformed and an oversized batch;
 * - a target serving an HTML page instead of metrics, announced through a retained MQTT
 *   presence message like an agent's.
 *
 * The tests run in order on one fleet; the last one stops the aggregator, lets the agents
 * buffer, and restarts it on the same data directory. Waits poll with a deadline; nothing
 * asserts on timing.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch, encodePresence, topics } from '@edgeprom/shared/wire';
import { Labels, parseExposition } from '@edgeprom/shared';
import {
  DISCOVERY_DEADLINE_MS,
  eventually,
  freePort,
  query,
  rawSamples,
  startAgent,
  startAggregator,
  stop,
  until,
  type Proc,
  type Series,
} from './harness.js';
import { RawMqttPublisher } from './mqtt-publisher.js';

const TOPICS = topics('edgeprom/');
/** The embedded broker's default mqtt.max_batch_bytes. */
const MAX_BATCH_BYTES = 256 * 1024;
/** How long the aggregator stays down in the outage scenario. */
const OUTAGE_MS = 5000;
const GARBAGE_BODY = '<html><body>not metrics</body></html>\n';

interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  health: string;
  lastError: string;
  lastScrape: string;
}

async function activeTargets(base: string): Promise<ActiveTarget[]> {
  const r = await fetch(`${base}/api/v1/targets?state=active`);
  const body = (await r.json()) as { status: string; data: { activeTargets: ActiveTarget[] } };
  if (body.status !== 'success') throw new Error(`/api/v1/targets: ${JSON.stringify(body)}`);
  return body.data.activeTargets;
}

/** The aggregator's own /metrics as name{labels} → value, parsed with our parser. */
async function selfMetrics(base: string): Promise<Map<string, number>> {
  const r = await fetch(`${base}/metrics`);
  if (r.status !== 200) throw new Error(`GET ${base}/metrics: HTTP ${r.status}`);
  const out = new Map<string, number>();
  for (const f of parseExposition(await r.text(), { format: 'text' })) {
    for (const s of f.samples) out.set(s.labels.key, s.value);
  }
  return out;
}

function labelKey(o: Record<string, string>): string {
  return Labels.from(o).key;
}

/** Batches no agent would send: a batch cut short (malformed CBOR) and one above the limit. */
function badBatches(agent: string): { malformed: Buffer; oversized: Buffer } {
  const series = (n: number, width: number) =>
    Array.from({ length: n }, (_, i) => ({
      labels: Labels.from({ __name__: 'bad_device_metric', idx: String(i), pad: `${i}`.padStart(width, String.fromCharCode(97 + (i % 26))) }),
      timestamps: Float64Array.of(Date.now()),
      values: Float64Array.of(i),
      seqs: Float64Array.of(i + 1),
    }));
  const small = Buffer.from(encodeBatch({ agent, boot: 'bad-boot', seqFrom: 1, seqTo: 10, series: series(10, 8) }));
  const big = Buffer.from(encodeBatch({ agent, boot: 'bad-boot', seqFrom: 1, seqTo: 2000, series: series(2000, 200) }, { maxBytes: 64 << 20 }));
  if (big.length <= MAX_BATCH_BYTES) throw new Error(`the oversized batch is only ${big.length} bytes`);
  return { malformed: small.subarray(0, small.length - 7), oversized: big };
}

describe('fleet scenarios: discovery, push-only agent, bad devices, garbage target, outage', () => {
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const id = { a: `sc-a-${suffix}`, b: `sc-b-${suffix}`, c: `sc-c-${suffix}`, bad: `sc-bad-${suffix}`, garbage: `sc-garbage-${suffix}` };
  let dir: string;
  let mqttPort: number;
  let aggregator: Proc | undefined;
  let a: Proc | undefined;
  let b: Proc | undefined;
  let c: Proc | undefined;
  let garbage: http.Server | undefined;
  let announcer: RawMqttPublisher | undefined;
  /** Aggregator time (ms) when B's first pushed sample was seen. */
  let firstPushSeenAt = 0;
  const procs = (): Proc[] => [aggregator!, a!, b!, c!];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-scenarios-'));
    mqttPort = await freePort();
    garbage = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(GARBAGE_BODY);
    });
    await new Promise<void>((resolve) => garbage!.listen(0, '127.0.0.1', resolve));
    aggregator = await startAggregator(path.join(dir, 'aggregator'), mqttPort);
    [a, b, c] = await Promise.all([
      startAgent(dir, id.a, mqttPort),
      startAgent(dir, id.b, mqttPort, ['--push.mode=push', '--collector.interval=1s', '--no-mdns']),
      startAgent(dir, id.c, mqttPort, ['--no-mdns']),
    ]);
    // The garbage target announces itself as an agent would (retained presence), so discovery
    // runs meanwhile and the scenario below waits less.
    announcer = await RawMqttPublisher.connect(mqttPort, id.garbage);
    const port = (garbage.address() as AddressInfo).port;
    const presence = encodePresence({ agent: id.garbage, boot: 'g', bootSeq: 1, state: 'online', version: 'test', metricsPath: '/metrics', addresses: ['127.0.0.1'], port, ts: Date.now() });
    await announcer.publish(TOPICS.presence(id.garbage), presence, true);
  }, 60_000);

  afterAll(async () => {
    await announcer?.close();
    await Promise.all([stop(a), stop(b), stop(c)]);
    await stop(aggregator);
    await new Promise((resolve) => garbage?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('(a) finds three agents by itself and serves each under its own instance; the push-mode one by push', async () => {
    for (const who of [id.a, id.c]) {
      const up = await eventually(aggregator!.url, `up{job="edgeprom",instance="${who}"}`, (r) => r[0]?.value[1] === '1', procs());
      expect(up).toHaveLength(1);
    }
    await eventually(aggregator!.url, `edgeprom_ingest_watermark{agent="${id.b}"}`, (r) => r.some((s) => Number(s.value[1]) > 0), procs());
    firstPushSeenAt = Date.now();
    const per = await eventually(
      aggregator!.url,
      `count by (instance) ({job="edgeprom",instance=~"${id.a}|${id.b}|${id.c}",__name__=~"node_.+"})`,
      (r) => r.length === 3,
      procs(),
    );
    expect(per.map((s) => s.metric.instance).sort()).toEqual([id.a, id.b, id.c].sort());
    for (const s of per) expect(Number(s.value[1])).toBeGreaterThan(10);
  }, DISCOVERY_DEADLINE_MS * 3);

  it('(c) rejects a malformed and an oversized batch, counts them for that device, and keeps ingesting the others', async () => {
    const { malformed, oversized } = badBatches(id.bad);
    const before = Number((await query(aggregator!.url, `edgeprom_ingest_watermark{agent="${id.b}"}`))[0]?.value[1] ?? 0);
    const bad = await RawMqttPublisher.connect(mqttPort, id.bad);
    try {
      await bad.publish(TOPICS.push(id.bad), malformed);
      await bad.publish(TOPICS.push(id.bad), oversized);
    } finally {
      await bad.close();
    }
    const counted = await until(
      'edgeprom_ingest_batches_total for the bad device on the aggregator /metrics',
      () => selfMetrics(aggregator!.url),
      (m) =>
        (m.get(labelKey({ __name__: 'edgeprom_ingest_batches_total', agent: id.bad, result: 'malformed' })) ?? 0) >= 1 &&
        (m.get(labelKey({ __name__: 'edgeprom_ingest_batches_total', agent: id.bad, result: 'too_large' })) ?? 0) >= 1,
      procs(),
    );
    expect(counted.get(labelKey({ __name__: 'edgeprom_ingest_batches_total', agent: id.bad, result: 'malformed' }))).toBe(1);
    expect(counted.get(labelKey({ __name__: 'edgeprom_ingest_batches_total', agent: id.bad, result: 'too_large' }))).toBe(1);
    expect(counted.get(labelKey({ __name__: 'edgeprom_ingest_batches_total', agent: id.bad, result: 'ok' })) ?? 0).toBe(0);
    // Nothing of the bad device was stored; the push-mode agent's batches are still acked.
    expect(await query(aggregator!.url, `bad_device_metric`)).toEqual([]);
    await eventually(aggregator!.url, `edgeprom_ingest_watermark{agent="${id.b}"}`, (r) => Number(r[0]?.value[1] ?? 0) > before, procs());
    expect((await query(aggregator!.url, `up{instance=~"${id.a}|${id.c}"} == 1`)).length).toBe(2);
  }, DISCOVERY_DEADLINE_MS * 2);

  it('(d) marks a target serving garbage down with the parse error; the others stay up', async () => {
    let expected = '';
    try {
      parseExposition(GARBAGE_BODY, { format: 'text' });
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).not.toBe('');
    const down = await until(
      `the garbage target in /api/v1/targets`,
      () => activeTargets(aggregator!.url),
      (ts) => ts.some((t) => t.labels.instance === id.garbage && t.health === 'down'),
      procs(),
    );
    const t = down.find((x) => x.labels.instance === id.garbage)!;
    expect(t).toMatchObject({ scrapePool: 'edgeprom', health: 'down', labels: { job: 'edgeprom', instance: id.garbage } });
    expect(t.lastError).toBe(expected);
    const up = await query(aggregator!.url, `up{instance="${id.garbage}"}`);
    expect(up.map((s) => s.value[1])).toEqual(['0']);
    // The agents' scrapes after the garbage target's failure still succeed.
    const failedAt = Date.parse(t.lastScrape);
    const healthy = await until(
      'A and C scraped after the garbage target failed',
      () => activeTargets(aggregator!.url),
      (ts) => [id.a, id.c].every((i) => ts.some((x) => x.labels.instance === i && x.health === 'up' && Date.parse(x.lastScrape) > failedAt)),
      procs(),
    );
    for (const i of [id.a, id.c]) expect(healthy.find((x) => x.labels.instance === i)?.lastError).toBe('');
  }, DISCOVERY_DEADLINE_MS * 2);

  it('(b) keeps what agents buffered while it was down: original timestamps, no gap, no duplicate', async () => {
    const before = await stop(aggregator);
    expect(before).toBe(0);
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the agents collect and buffer meanwhile
    aggregator = await startAggregator(path.join(dir, 'aggregator'), mqttPort, 'aggregator (restarted)');
    const backAt = Date.now();
    const from = stoppedAt - 10_000;

    // B's collection gauge carries its own collection time: value * 1000 = timestamp.
    const gauge = `edgeprom_collector_last_collection_timestamp_seconds{instance="${id.b}"}`;
    // Every read below covers exactly (from, at]: both queries must see the same samples, so
    // the window is in ms from a fixed start, evaluated at a fixed time.
    const range = (selector: string, at: number): Promise<Series[]> => rawSamples(aggregator!.url, `${selector}[${at - from}ms]`, at / 1000);
    // Wait until B's pushes after the restart arrived (the backlog goes first).
    await until('B pushing again after the restart', () => range(gauge, Date.now()), (r) => r.length > 0 && r[0]!.values.some(([t]) => t * 1000 > backAt + 2000), [aggregator!, b!]);
    const at = Date.now();
    const series = await range(gauge, at);
    expect(series).toHaveLength(1); // one series: nothing stored under other labels
    const points = series[0]!.values.map(([t, v]) => ({ t: Math.round(t * 1000), collectedAt: Math.round(Number(v) * 1000) }));
    const problems: string[] = [];
    const iso = (t: number): string => new Date(t).toISOString();
    // Original timestamps, no duplicate: every sample is one of B's collections, stored once,
    // at the time it was collected.
    for (const p of points) {
      if (p.collectedAt !== p.t) problems.push(`sample at ${iso(p.t)} holds the collection of ${iso(p.collectedAt)} (stored again, or re-stamped)`);
    }
    const collections = points.filter((p) => p.collectedAt === p.t);
    // The outage is covered: collections from before the stop (replayed WAL), during it (buffered), after.
    if (!collections.some((p) => p.t < stoppedAt)) problems.push(`no collection before the stop at ${iso(stoppedAt)}`);
    const during = collections.filter((p) => p.t > stoppedAt + 1000 && p.t < backAt).length;
    if (during < 2) problems.push(`${during} collections stored from the outage ${iso(stoppedAt)} .. ${iso(backAt)}`);

    // No gap: B's buffer counts the samples it appended before each collection
    // (edgeprom_buffer_samples_total, collected at the start of the cycle). Between two
    // consecutive stored collections it must grow by exactly the samples of the first one,
    // which are all stored at that timestamp, if no collection in between is missing.
    const all = await range(`{job="edgeprom",instance="${id.b}"}`, at);
    const perTs = new Map<number, number>();
    for (const s of all) for (const [t] of s.values) perTs.set(Math.round(t * 1000), (perTs.get(Math.round(t * 1000)) ?? 0) + 1);
    const appended = all.find((s) => s.metric.__name__ === 'edgeprom_buffer_samples_total');
    expect(appended).toBeDefined();
    const appendedAt = new Map(appended!.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]));
    for (let i = 1; i < collections.length; i++) {
      const [p, q] = [collections[i - 1]!.t, collections[i]!.t];
      const grew = appendedAt.get(q)! - appendedAt.get(p)!;
      if (grew !== perTs.get(p)) problems.push(`gap ${iso(p)} → ${iso(q)}: B's buffer grew by ${grew}, ${perTs.get(p)} samples stored at ${iso(p)}`);
    }
    expect(problems).toEqual([]);
  }, DISCOVERY_DEADLINE_MS * 2);

  it('(a) never scrapes the push-mode agent: its samples arrive by MQTT push only', async () => {
    // Runs last, so that this wait is mostly over. B announced itself (presence) before it
    // first pushed; once C, announced the same way, has been scraped twice after the discovery
    // debounce that followed, B would have been scraped too.
    const since = firstPushSeenAt + 5000;
    await until(
      'two scrapes of C after B was discoverable',
      () => rawSamples(aggregator!.url, `up{instance="${id.c}"}[2m]`, Date.now() / 1000),
      (r) => (r[0]?.values.filter(([t]) => t * 1000 > since).length ?? 0) >= 2,
      procs(),
    );
    // Discovery of the current (restarted) aggregator has taken in C, so B's presence too.
    const targets = await until('C among the active targets', () => activeTargets(aggregator!.url), (ts) => ts.some((t) => t.labels.instance === id.c), procs());
    expect(targets.filter((t) => t.labels.instance === id.b)).toEqual([]);
    // B's own count of scrapes it served, as B pushed it.
    const served = await query(aggregator!.url, `max_over_time(edgeprom_agent_scrapes_total{instance="${id.b}"}[5m])`);
    expect(served.map((s) => s.value[1])).toEqual(['0']);
  }, DISCOVERY_DEADLINE_MS * 2);
});
