/**
 * Discovery metrics with Prometheus's names, read from what the discovery manager sends its
 * subscribers (the full target sets, debounced), so discovery itself needs no hooks.
 * `name="scrape"` is Prometheus's name of the scrape discovery manager.
 */
import type { MetricFamily } from '@edgeprom/shared';
import type { TargetGroup } from '../scrape/types.js';
import { counterFamily, gaugeFamily } from './metric-types.js';

/** The DiscoveryManager's subscribe (target sets keyed by job). */
export interface TargetSetsSource {
  subscribe(fn: (sets: ReadonlyMap<string, readonly TargetGroup[]>) => void): () => void;
}

export function discoveryCollector(source: TargetSetsSource): { collect(): MetricFamily[]; stop(): void } {
  let counts: [string, number][] = [];
  let updates = 0;
  const stop = source.subscribe((sets) => {
    updates++;
    const next: [string, number][] = [];
    for (const [job, groups] of sets) {
      let n = 0;
      for (const g of groups) n += g.targets.length;
      next.push([job, n]);
    }
    counts = next;
  });
  return {
    collect: () => [
      gaugeFamily('prometheus_sd_discovered_targets', 'Current number of discovered targets.', ['config', 'name'], counts.map(([job, n]) => [[job, 'scrape'], n] as const)),
      counterFamily('prometheus_sd_updates_total', 'Total number of update events sent to the SD consumers.', ['name'], [[['scrape'], updates]]),
    ],
    stop,
  };
}
