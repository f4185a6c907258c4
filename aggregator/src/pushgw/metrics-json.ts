/**
 * Pushgateway's `GET /api/v1/metrics`: every group with its grouping labels, whether its
 * last push succeeded, and each family (time_stamp, TYPE in Go's spelling, help, metrics).
 * Sample values are strings formatted as Go's %v of a float64. Histograms and summaries
 * are regrouped into buckets/quantiles per label set, as Pushgateway shows them.
 */
import type { Labels } from '@edgeprom/shared';
import {
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type Group,
  type StoredFamily,
} from './group.js';

const GO_TYPE: Record<string, string> = {
  counter: 'COUNTER',
  gauge: 'GAUGE',
  histogram: 'HISTOGRAM',
  summary: 'SUMMARY',
  unknown: 'UNTYPED',
};

/** Go's strconv.FormatFloat(v, 'g', -1, 64), which %v uses for float64. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expStr] = v.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** Labels as Pushgateway shows a metric: with `instance` (empty when absent), no `__name__`. */
function metricLabels(l: Labels): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [n, v] of l) if (n !== '__name__') o[n] = v;
  if (!('instance' in o)) o.instance = '';
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function familyJson(f: StoredFamily): unknown {
  const base = { time_stamp: rfc3339(f.pushedAtMs), type: GO_TYPE[f.type] ?? 'UNTYPED', help: f.help ?? '' };
  if (f.type !== 'histogram' && f.type !== 'summary') {
    return { ...base, metrics: f.samples.map((s) => ({ labels: metricLabels(s.labels), value: goFloat(s.value) })) };
  }
  const byLabels = new Map<string, { labels: Record<string, string>; parts: Record<string, string>; count: string; sum: string }>();
  const inner = f.type === 'histogram' ? 'le' : 'quantile';
  for (const s of f.samples) {
    const labels = s.labels.without(inner, '__name__');
    let m = byLabels.get(labels.key);
    if (!m) {
      m = { labels: metricLabels(labels), parts: {}, count: '0', sum: '0' };
      byLabels.set(labels.key, m);
    }
    const name = s.labels.name;
    if (name === `${f.name}_count`) m.count = goFloat(s.value);
    else if (name === `${f.name}_sum`) m.sum = goFloat(s.value);
    else m.parts[s.labels.get(inner)] = goFloat(s.value);
  }
  const key = f.type === 'histogram' ? 'buckets' : 'quantiles';
  return { ...base, metrics: [...byLabels.values()].map((m) => ({ labels: m.labels, [key]: m.parts, count: m.count, sum: m.sum })) };
}

function timeFamily(g: Group, name: string, help: string, ms: number, at: number): unknown {
  const labels: Record<string, string> = {};
  for (const [n, v] of g.grouping) labels[n] = v;
  if (!('instance' in labels)) labels.instance = '';
  return {
    time_stamp: rfc3339(at),
    type: 'GAUGE',
    help,
    metrics: [{ labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))), value: goFloat(ms / 1000) }],
  };
}

export function metricsJson(groups: Iterable<Group>): unknown {
  const data: unknown[] = [];
  for (const g of groups) {
    const entry: Record<string, unknown> = {
      labels: Object.fromEntries(g.grouping),
      last_push_successful: g.pushTimeMs >= g.failureTimeMs,
    };
    for (const f of g.families.values()) entry[f.name] = familyJson(f);
    const at = Math.max(g.pushTimeMs, g.failureTimeMs);
    entry[PUSH_TIME_METRIC] = timeFamily(g, PUSH_TIME_METRIC, PUSH_TIME_HELP, g.pushTimeMs, at);
    entry[PUSH_FAILURE_TIME_METRIC] = timeFamily(g, PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, g.failureTimeMs, at);
    data.push(entry);
  }
  return { status: 'success', data };
}
