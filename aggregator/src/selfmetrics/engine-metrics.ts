/**
 * Query engine metrics with Prometheus's names, measured around the engine the HTTP API
 * calls (the engine itself stays free of instrumentation):
 *
 *   const engine = instrumentEngine(createEngine({...}), { maxConcurrent: 20 });
 *   createApiServer({ engine, ... });   selfMetrics.register('engine', () => engine.collectMetrics());
 *
 * `slice="inner_eval"` is the engine call (parse and evaluation: our engine has no separate
 * prepare step); `slice="queue_time"` is not reported, since the API's QueryGate queues
 * before the engine is called.
 */
import { RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import type { EngineResult, QueryEngine } from '../api/engine.js';
import { counterFamily, gaugeFamily, SummaryVec } from './metric-types.js';

export interface InstrumentedEngine extends QueryEngine {
  collectMetrics(): MetricFamily[];
}

export interface InstrumentOptions {
  clock?: Clock;
  /** `--query.max-concurrency`, shown as prometheus_engine_queries_concurrent_max. */
  maxConcurrent?: number;
}

export function instrumentEngine(engine: QueryEngine, opts: InstrumentOptions = {}): InstrumentedEngine {
  const clock = opts.clock ?? new RealClock();
  const duration = new SummaryVec('prometheus_engine_query_duration_seconds', 'Query timings', ['slice'], [0.5, 0.9, 0.99]);
  duration.init(['inner_eval']);
  let running = 0;
  let samples = 0;
  let failures = 0;

  async function timed(run: () => Promise<EngineResult>): Promise<EngineResult> {
    const start = clock.monotonic();
    running++;
    try {
      const r = await run();
      samples += r.stats?.totalQueryableSamples ?? 0;
      return r;
    } catch (e) {
      failures++;
      throw e;
    } finally {
      running--;
      duration.observe(['inner_eval'], (clock.monotonic() - start) / 1000);
    }
  }

  return {
    instantQuery: (q, query, t, o) => timed(() => engine.instantQuery(q, query, t, o)),
    rangeQuery: (q, query, s, e, step, o) => timed(() => engine.rangeQuery(q, query, s, e, step, o)),
    collectMetrics: () => [
      gaugeFamily('prometheus_engine_queries', 'The current number of queries being executed or waiting.', [], [[[], running]]),
      gaugeFamily('prometheus_engine_queries_concurrent_max', 'The max number of concurrent queries.', [], [[[], opts.maxConcurrent ?? -1]]),
      duration.family(),
      counterFamily('prometheus_engine_query_samples_total', 'The total number of samples loaded by all queries.', [], [[[], samples]]),
      counterFamily('edgeprom_engine_query_failures_total', 'Queries that ended in an error (bad query, timeout, canceled, too many samples).', [], [[[], failures]]),
    ],
  };
}
