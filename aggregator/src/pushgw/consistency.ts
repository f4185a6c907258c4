/**
 * The consistency check Pushgateway runs on every push: the pushed metrics of all groups
 * together must form one valid exposition, as client_golang's Gather checks it. Metrics of
 * the same name have the same type in every group; no two samples share a series; a
 * histogram or summary `foo` owns the names `foo_sum`, `foo_count` (and `foo_bucket`).
 *
 * One difference: a label with an empty value is the same as no label in our TSDB, so
 * `a{x=""}` and `a` are duplicates here, while Pushgateway (which keeps empty label pairs)
 * would expose both.
 */
import type { MetricType } from '@edgeprom/shared';
import { inconsistent } from './errors.js';
import { PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC, type StoredFamily } from './group.js';

const GO_TYPE: Record<MetricType, string> = {
  counter: 'COUNTER',
  gauge: 'GAUGE',
  histogram: 'HISTOGRAM',
  gaugehistogram: 'GAUGE_HISTOGRAM',
  summary: 'SUMMARY',
  info: 'GAUGE',
  stateset: 'GAUGE',
  unknown: 'UNTYPED',
};

function suffixesOf(type: MetricType): readonly string[] {
  if (type === 'histogram' || type === 'gaugehistogram') return ['_count', '_sum', '_bucket'];
  if (type === 'summary') return ['_count', '_sum'];
  return [];
}

/**
 * Checks families of all groups, in order (the group being pushed at its place, as
 * Pushgateway's test store holds it). Throws PushError ERR_PUSH_INCONSISTENT.
 */
export function checkConsistency(groups: Iterable<ReadonlyMap<string, StoredFamily>>): void {
  const types = new Map<string, MetricType>([
    [PUSH_TIME_METRIC, 'gauge'],
    [PUSH_FAILURE_TIME_METRIC, 'gauge'],
  ]);
  const seen = new Set<string>();
  for (const families of groups) {
    for (const f of families.values()) {
      // A family without samples (a lone TYPE line) exposes nothing, so it clashes with nothing.
      if (f.samples.length === 0) continue;
      const known = types.get(f.name);
      if (known === undefined) {
        checkSuffixCollisions(f, types);
        types.set(f.name, f.type);
      } else if (known !== f.type) {
        throw inconsistent(`collected metric ${JSON.stringify(f.name)} ${f.samples[0]!.labels.toString()} is not a ${GO_TYPE[known]}`);
      }
      for (const s of f.samples) {
        // A histogram or summary has several samples per label set; their names tell them apart.
        const key = s.labels.key;
        if (seen.has(key)) {
          throw inconsistent(
            `collected metric ${JSON.stringify(f.name)} ${s.labels.toString()} was collected before with the same name and label values`,
          );
        }
        seen.add(key);
      }
    }
  }
}

function checkSuffixCollisions(f: StoredFamily, types: ReadonlyMap<string, MetricType>): void {
  for (const suffix of ['_count', '_sum', '_bucket']) {
    if (!f.name.endsWith(suffix)) continue;
    const base = f.name.slice(0, -suffix.length);
    const t = types.get(base);
    if (t !== undefined && suffixesOf(t).includes(suffix)) {
      throw inconsistent(`collected metric named ${JSON.stringify(f.name)} collides with previously collected ${t} named ${JSON.stringify(base)}`);
    }
  }
  for (const suffix of suffixesOf(f.type)) {
    if (types.has(f.name + suffix)) {
      throw inconsistent(
        `collected ${f.type} named ${JSON.stringify(f.name)} collides with previously collected metric named ${JSON.stringify(f.name + suffix)}`,
      );
    }
  }
}
