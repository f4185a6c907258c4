/**
 * The data model of pushed groups, and turning a parsed push into it. A group holds the
 * families last pushed to its grouping key, each sample already carrying its final series
 * labels (body labels, then the grouping labels on top, as Pushgateway's sanitizeLabels).
 * `push_time_seconds` and `push_failure_time_seconds` are not stored as families: they are
 * derived from the group's timestamps when series are listed.
 */
import { Labels, type MetricFamily, type MetricType } from '@edgeprom/shared';
import type { GroupingLabels } from './grouping-key.js';
import { timestampsPresent } from './errors.js';

export const PUSH_TIME_METRIC = 'push_time_seconds';
export const PUSH_FAILURE_TIME_METRIC = 'push_failure_time_seconds';
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';

export interface StoredSample {
  /** Full series labels, `__name__` and grouping labels included. */
  readonly labels: Labels;
  readonly value: number;
}

export interface StoredFamily {
  readonly name: string;
  /** In text-format terms: counter, gauge, histogram, summary or unknown (untyped). */
  readonly type: MetricType;
  readonly help: string | undefined;
  /** When this family was last pushed (ms). */
  readonly pushedAtMs: number;
  readonly samples: readonly StoredSample[];
}

export interface Group {
  readonly key: string;
  /** Grouping labels, `job` included; empty values kept (they are part of the key). */
  readonly grouping: GroupingLabels;
  /** The grouping labels as series labels (empty values dropped). */
  readonly labels: Labels;
  families: Map<string, StoredFamily>;
  /** Last successful PUT/POST (ms), 0 if none. */
  pushTimeMs: number;
  /** Last failed PUT/POST (ms), 0 if none. */
  failureTimeMs: number;
  /** Time to live after the last successful push (ms); 0 = forever. */
  ttlMs: number;
  /** Series currently appended for this group, by key: to write stale markers for vanished ones. */
  live: Map<string, Labels>;
}

export function groupingLabelsToSeries(grouping: GroupingLabels): Labels {
  return Labels.from([...grouping]);
}

export function newGroup(key: string, grouping: GroupingLabels, ttlMs: number): Group {
  return {
    key,
    grouping,
    labels: groupingLabelsToSeries(grouping),
    families: new Map(),
    pushTimeMs: 0,
    failureTimeMs: 0,
    ttlMs,
    live: new Map(),
  };
}

/** Series labels of a pushed sample: its own labels, overwritten by the grouping labels. */
export function sanitize(labels: Labels, grouping: GroupingLabels): Labels {
  const m = new Map<string, string>();
  for (const [n, v] of labels) m.set(n, v);
  for (const [n, v] of grouping) m.set(n, v); // an empty grouping value removes the label
  return Labels.from(m);
}

/**
 * Converts parsed families (text format) into stored families for one group. Refuses any
 * timestamp (checked over the whole push first, as Pushgateway does). Families named like
 * the push-time metrics are dropped: Pushgateway overrides them.
 */
export function toStoredFamilies(parsed: readonly MetricFamily[], grouping: GroupingLabels, now: number): Map<string, StoredFamily> {
  for (const f of parsed) for (const s of f.samples) if (s.timestampMs !== undefined) throw timestampsPresent();
  const out = new Map<string, StoredFamily>();
  for (const f of parsed) {
    if (f.name === PUSH_TIME_METRIC || f.name === PUSH_FAILURE_TIME_METRIC) continue;
    const samples = f.samples.map((s) => ({ labels: sanitize(s.labels, grouping), value: s.value }));
    const prev = out.get(f.name);
    out.set(f.name, {
      name: f.name,
      type: f.type,
      help: f.help ?? prev?.help,
      pushedAtMs: now,
      samples: prev ? [...prev.samples, ...samples] : samples,
    });
  }
  return out;
}

/** Number of series a group appends, push-time metrics excluded. */
export function seriesCount(families: ReadonlyMap<string, StoredFamily>): number {
  let n = 0;
  for (const f of families.values()) n += f.samples.length;
  return n;
}

/** Every series the group appends, with its value: the families, then the two push-time gauges. */
export function* groupSeries(g: Group): Generator<StoredSample> {
  for (const f of g.families.values()) yield* f.samples;
  yield { labels: g.labels.with('__name__', PUSH_TIME_METRIC), value: g.pushTimeMs / 1000 };
  yield { labels: g.labels.with('__name__', PUSH_FAILURE_TIME_METRIC), value: g.failureTimeMs / 1000 };
}
