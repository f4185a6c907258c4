/**
 * What a querier's labelNames and labelValues answer from the label sets of the series its
 * matchers selected: one implementation for every store that has no index to answer from.
 */
import type { Labels } from '@edgeprom/shared';

/** The label names used by some label sets: sorted, each once. */
export function labelNamesOf(sets: Iterable<Labels>): string[] {
  const names = new Set<string>();
  for (const ls of sets) {
    const kv = ls.pairs();
    for (let i = 0; i < kv.length; i += 2) names.add(kv[i]);
  }
  return [...names].sort();
}

/** The values label `name` takes in some label sets: sorted, each once; a set without it adds none. */
export function labelValuesOf(sets: Iterable<Labels>, name: string): string[] {
  const values = new Set<string>();
  for (const ls of sets) {
    const v = ls.get(name);
    if (v !== '') values.add(v);
  }
  return [...values].sort();
}
