/**
 * TSDB statistics computed by walking a Queryable: the fallback for stores that keep no
 * statistics of their own (the in-memory store). It reads every series and sample, so the
 * Head should provide its own TsdbStatsSource from its index.
 */
import type { Queryable } from '../storage/interface.js';
import type { TsdbStat, TsdbStatsSource, TsdbStatus } from './sources.js';

function top(counts: Map<string, number>, limit: number): TsdbStat[] {
  return [...counts]
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, limit);
}

function bump(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

export function queryableTsdbStats(queryable: Queryable): TsdbStatsSource {
  return {
    stats(limit: number): TsdbStatus {
      const q = queryable.querier(-Infinity, Infinity);
      try {
        const byMetric = new Map<string, number>();
        const byPair = new Map<string, number>();
        const values = new Map<string, Set<string>>();
        let numSeries = 0;
        let minTime = Infinity;
        let maxTime = -Infinity;
        let it;
        for (const s of q.select([])) {
          numSeries++;
          const l = s.labels;
          for (let i = 0; i < l.size; i++) {
            const name = l.nameAt(i);
            const value = l.valueAt(i);
            if (name === '__name__') bump(byMetric, value);
            bump(byPair, `${name}=${value}`);
            let set = values.get(name);
            if (!set) values.set(name, (set = new Set()));
            set.add(value);
          }
          it = s.iterator(it);
          if (it.next()) {
            minTime = Math.min(minTime, it.atT());
            let last = it.atT();
            while (it.next()) last = it.atT();
            maxTime = Math.max(maxTime, last);
          }
        }
        const valueCounts = new Map<string, number>();
        const bytes = new Map<string, number>();
        for (const [name, set] of values) {
          valueCounts.set(name, set.size);
          let b = 0;
          for (const v of set) b += Buffer.byteLength(v);
          bytes.set(name, b);
        }
        return {
          headStats: {
            numSeries,
            numLabelPairs: byPair.size,
            chunkCount: 0,
            minTime: numSeries === 0 ? 0 : minTime,
            maxTime: numSeries === 0 ? 0 : maxTime,
          },
          seriesCountByMetricName: top(byMetric, limit),
          labelValueCountByLabelName: top(valueCounts, limit),
          memoryInBytesByLabelName: top(bytes, limit),
          seriesCountByLabelValuePair: top(byPair, limit),
        };
      } finally {
        q.close();
      }
    },
  };
}
