/**
 * Relabeling end to end, against Prometheus itself: Debian's prometheus and our aggregator
 * (the CLI, with a config file) read the same scrape config, with every relabel action in
 * `relabel_configs` (targets) and `metric_relabel_configs` (samples), and scrape the same
 * local targets. The label sets of every stored series (through /api/v1/query) and of the
 * active targets (through /api/v1/targets) must be the same on both.
 *
 * `aggregator/src/relabel/relabel.test.ts` checks each action against the cases of
 * Prometheus's relabel_test.go; this checks the whole path: config loading, target
 * relabeling, the honor_labels clash rule, metric relabeling, and what gets stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, until, type Proc } from './harness.js';
import { PrometheusPeer } from './prometheus-peer.js';

/** What each target serves: the same body, so the differences come from the target labels. */
const BODY = `# TYPE http_requests_total counter
http_requests_total{method="GET",code="200",path="/Api/Users",Host="GET"} 10
http_requests_total{method="POST",code="500",path="/api/Orders",Host="b"} 3
http_requests_total{method="PUT",code="404",path="/x",Host="c"} 1
# TYPE temp_celsius gauge
temp_celsius{sensor="cpu0",zone="A",zone_copy="A"} 40.5
temp_celsius{sensor="cpu1",zone="B",zone_copy="C"} 41.5
temp_celsius{sensor="gpu",zone="a",zone_copy="a"} 50
# TYPE debug_info gauge
debug_info{build="x"} 1
# TYPE go_gc_seconds gauge
go_gc_seconds 0.01
# TYPE tagged gauge
tagged{src_alpha="1",src_beta="two",keep_a="k",junk_1="j"} 5
tagged{src_alpha="3",keep_a="other"} 6
# TYPE clash gauge
clash{job="inner",instance="inner-i",exported_job="taken"} 7
`;

function config(addrs: string[]): string {
  const [p1, p2, p3] = addrs;
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: relabel
    static_configs:
      - targets: ['${p1}', '${p2}']
        labels: { env: Prod, team: core, region: eu-1 }
      - targets: ['${p3}']
        labels: { env: dev, team: edge }
    relabel_configs:
      - { source_labels: [team], regex: edge, action: drop }
      - { source_labels: [env], target_label: env, action: lowercase }
      - { source_labels: [team], target_label: TEAM, action: uppercase }
      - { source_labels: [__address__], modulus: 1000, target_label: addr_shard, action: hashmod }
      - { source_labels: [__address__], regex: '(.*):(\\d+)', target_label: port, replacement: '$2' }
      - { source_labels: [__address__], regex: '.*:(\\d+)', target_label: instance, replacement: 'node-\${1}x' }
      - { regex: '(env|region)', replacement: 'orig_$1', action: labelmap }
      - { regex: 'team', action: labeldrop }
      - { source_labels: [env], regex: 'prod', target_label: stage, replacement: 'live' }
      - { source_labels: [env, orig_env], separator: '', regex: '(.*)', target_label: combined }
      - { source_labels: [region], target_label: orig_region, action: keepequal }
    metric_relabel_configs:
      - { source_labels: [__name__], regex: 'debug_.*', action: drop }
      - { source_labels: [method, code], separator: '_', regex: '(GET|POST)_(\\d)\\d\\d', target_label: class, replacement: '\${1}-\${2}xx' }
      - { source_labels: [path], target_label: path_lower, action: lowercase }
      - { source_labels: [zone], target_label: ZONE_UP, action: uppercase }
      - { source_labels: [sensor], modulus: 4, target_label: sensor_shard, action: hashmod }
      - { regex: 'src_(.+)', replacement: 'mapped_$1', action: labelmap }
      - { regex: 'src_.+|junk_.*', action: labeldrop }
      - { source_labels: [zone], target_label: zone_copy, action: keepequal }
      - { source_labels: [Host], regex: '', target_label: Host, replacement: none }
      - { source_labels: [Host], target_label: method, action: dropequal }
      - { source_labels: [keep_a], regex: k, target_label: keep_a, replacement: '' }
      - { source_labels: [code], regex: '(.*)', target_label: '\${1}bad', replacement: 'x' }
      - { source_labels: [__name__], regex: 'go_(.*)', target_label: __name__, replacement: 'renamed_go_$1' }
      - { source_labels: [__name__, exported_job], regex: 'clash;(.*)', target_label: seen_exported, replacement: '$1' }
      - { regex: 'orig_region', action: labeldrop }
      - { regex: '__name__|job|instance|class|path.*|ZONE_UP|zone|zone_copy|sensor.*|mapped_.*|keep_a|Host|method|code|exported_.*|seen_exported|env|orig_env|region|addr_shard|port|TEAM|stage|combined', action: labelkeep }
`;
}

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
}

async function targets(p: Proc): Promise<{ active: ActiveTarget[]; dropped: number }> {
  const r = await fetch(`${p.url}/api/v1/targets`);
  const body = (await r.json()) as { data: { activeTargets: ActiveTarget[]; droppedTargets: unknown[] } };
  return { active: body.data.activeTargets, dropped: body.data.droppedTargets.length };
}

/** Every series' label set, canonical and sorted. */
async function seriesSets(p: Proc): Promise<string[]> {
  const r = await query(p.url, '{__name__=~".+"}');
  return r.map((s) => JSON.stringify(Object.fromEntries(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))).sort();
}

describe('relabeling: our aggregator and Prometheus, same config and targets', () => {
  let peer: PrometheusPeer | undefined;
  let ours: Proc | undefined;
  let prom: Proc | undefined;

  beforeAll(async () => {
    peer = new PrometheusPeer('relabel');
    const addrs: string[] = [];
    for (let i = 0; i < 3; i++) addrs.push(await peer.target(BODY, 'text/plain; version=0.0.4'));
    ({ ours, prom } = await peer.start(config(addrs)));
  }, 60_000);

  afterAll(() => peer?.close());

  it('relabels targets as Prometheus does', async () => {
    // Both have scraped every kept target.
    for (const p of [ours!, prom!]) {
      await until(`${p.name}: two targets up`, () => query(p.url, 'up == 1'), (r) => r.length === 2, [ours!, prom!]);
    }
    const [o, t] = await Promise.all([targets(ours!), targets(prom!)]);
    const labels = (x: { active: ActiveTarget[] }) => x.active.map((a) => JSON.stringify(a.labels)).sort();
    expect(labels(o)).toEqual(labels(t));
    expect(o.dropped).toBe(t.dropped);
    expect(t.dropped).toBe(1);
    // The rules above did something (a differential of two no-ops proves nothing).
    expect(t.active[0]!.labels).toMatchObject({ env: 'prod', orig_env: 'prod', orig_region: 'eu-1', TEAM: 'CORE', stage: 'live', combined: 'prodprod' });
    expect(t.active[0]!.labels.instance).toMatch(/^node-\d+x$/);
    expect(t.active[0]!.labels).not.toHaveProperty('team');
  }, 60_000);

  it('stores the same series after metric relabeling as Prometheus does', async () => {
    // Report series appear with the first scrape, the rest with it: wait until the sets agree
    // or the deadline passes, then compare what each has.
    let last: [string[], string[]] = [[], []];
    await until(
      'the same series on both',
      async () => (last = await Promise.all([seriesSets(ours!), seriesSets(prom!)])),
      ([a, b]) => a.length > 0 && JSON.stringify(a) === JSON.stringify(b),
      [ours!, prom!],
      20_000,
    ).catch(() => undefined);
    const [a, b] = last;
    expect({ onlyOurs: a.filter((x) => !b.includes(x)), onlyPrometheus: b.filter((x) => !a.includes(x)) }).toEqual({ onlyOurs: [], onlyPrometheus: [] });
    // Spot checks that the actions took effect on Prometheus's side.
    const names = b.map((s) => JSON.parse(s) as Record<string, string>);
    const byName = (n: string) => names.filter((l) => l.__name__ === n);
    // 2 targets: http_requests_total 3 - 1 (dropequal), temp_celsius 3 - 1 (keepequal), tagged 2, clash 1, renamed 1.
    expect([byName('http_requests_total').length, byName('temp_celsius').length, byName('tagged').length, byName('clash').length]).toEqual([4, 4, 4, 2]);
    expect(names.some((l) => l.__name__ === 'debug_info')).toBe(false);
    expect(names.some((l) => l.__name__ === 'renamed_go_gc_seconds')).toBe(true);
    expect(names.some((l) => l.class === 'POST-5xx')).toBe(true);
    expect(names.some((l) => l.mapped_beta === 'two')).toBe(true);
    expect(names.some((l) => l.sensor_shard !== undefined)).toBe(true);
    // honor_labels: false renames the exposed job, again while the name is taken.
    expect(byName('clash')[0]).toMatchObject({ job: 'relabel', exported_job: 'taken', exported_exported_job: 'inner', exported_instance: 'inner-i', seen_exported: 'taken' });
  }, 60_000);
});
