/**
 * Metric metadata end to end, against Prometheus itself: Debian's prometheus and our
 * aggregator scrape the same two local targets (text format and OpenMetrics) with the same
 * config; /api/v1/metadata and /api/v1/targets/metadata (with `metric`, `match_target`) must
 * give the same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until, type Proc } from './harness.js';
import { PrometheusPeer } from './prometheus-peer.js';

const TEXT = `# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{code="200"} 3
# TYPE temp_celsius gauge
temp_celsius 21.5
# HELP only_help Help without a type, with a \\\\ backslash and \\n newline.
only_help 1
# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="1"} 1
rpc_seconds_bucket{le="+Inf"} 2
rpc_seconds_sum 1.5
rpc_seconds_count 2
# TYPE odd untyped
odd 2
no_metadata 1
`;

const OM = `# TYPE http_requests counter
# HELP http_requests Requests served, other wording.
http_requests_total{code="200"} 5
# TYPE disk_bytes gauge
# UNIT disk_bytes bytes
# HELP disk_bytes Disk used.
disk_bytes 10
# TYPE temp_celsius gauge
# HELP temp_celsius Temperature.
temp_celsius 20
# EOF
`;

async function get(p: Proc, q: string): Promise<unknown> {
  const r = await fetch(`${p.url}${q}`);
  const body = (await r.json()) as { status: string; data: unknown };
  expect(body.status, `${p.name} ${q}`).toBe('success');
  return body.data;
}

/** targets/metadata entries, canonical and sorted (target order is unspecified). */
async function targetMeta(p: Proc, q: string): Promise<string[]> {
  return ((await get(p, `/api/v1/targets/metadata${q}`)) as unknown[]).map((e) => JSON.stringify(e)).sort();
}

/** metadata, each metric's list sorted (the order across targets is unspecified). */
async function meta(p: Proc, q = ''): Promise<Record<string, string[]>> {
  const d = (await get(p, `/api/v1/metadata${q}`)) as Record<string, unknown[]>;
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.map((e) => JSON.stringify(e)).sort()]));
}

describe('metadata: our aggregator and Prometheus, same targets', () => {
  let peer: PrometheusPeer | undefined;
  let ours: Proc | undefined;
  let prom: Proc | undefined;
  let addrs: string[] = [];

  beforeAll(async () => {
    peer = new PrometheusPeer('metadata');
    addrs = [
      await peer.target(TEXT, 'text/plain; version=0.0.4'),
      await peer.target(OM, 'application/openmetrics-text; version=1.0.0; charset=utf-8'),
    ];
    ({ ours, prom } = await peer.start(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: meta
    static_configs:
      - targets: ['${addrs[0]}']
        labels: { kind: text }
      - targets: ['${addrs[1]}']
        labels: { kind: om }
`));
  }, 60_000);

  afterAll(() => peer?.close());

  it('answers /api/v1/metadata and /api/v1/targets/metadata as Prometheus does', async () => {
    for (const p of [ours!, prom!]) {
      await until(`${p.name}: both targets' metadata`, () => meta(p), (m) => m.disk_bytes !== undefined && m.rpc_seconds !== undefined, [ours!, prom!]);
    }
    const [o, t] = await Promise.all([meta(ours!), meta(prom!)]);
    expect(o).toEqual(t);
    // Not a comparison of two empty answers: both targets' families, merged per name.
    expect(t.temp_celsius).toHaveLength(2);
    expect(t.disk_bytes).toEqual([JSON.stringify({ type: 'gauge', help: 'Disk used.', unit: 'bytes' })]);
    // Not limit_per_metric: Debian's Prometheus (2.42) predates it (prometheus#12391, 2.45).
    for (const q of ['?metric=temp_celsius', '?metric=nope', '?limit=1&metric=temp_celsius']) {
      expect(await meta(ours!, q), q).toEqual(await meta(prom!, q));
    }
    for (const q of ['', '?metric=temp_celsius', `?match_target=${encodeURIComponent('{kind="om"}')}`, `?match_target=${encodeURIComponent('{kind="om"}')}&metric=disk_bytes`]) {
      expect(await targetMeta(ours!, q), q).toEqual(await targetMeta(prom!, q));
    }
    expect((await targetMeta(prom!, '')).length).toBeGreaterThan(5);
  }, 60_000);
});
