/**
 * Node runtime figures prom-client exposes by default and that matter on a small box: event
 * loop delay (a loop blocked by a long query or a compaction shows here first) and the
 * active libuv resources. Heap and RSS come with the process exporter (@edgeprom/shared).
 *
 * The delay histogram is perf_hooks' (sampled by libuv every `resolutionMs`), reset after
 * each collection as prom-client does, so every scrape reports the interval since the last.
 * No stddev: perf_hooks computes it by walking every bucket, which costs more than the rest
 * of /metrics together.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { FamilySet, type MetricFamily } from '@edgeprom/shared';

export interface RuntimeCollector {
  collect(): Promise<MetricFamily[]>;
  /** Stops the event loop delay monitor. */
  stop(): void;
}

const NS = 1e9;

export function runtimeCollector(resolutionMs = 10): RuntimeCollector {
  let h: IntervalHistogram | undefined = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  return {
    async collect() {
      // The lag right now: how long a callback queued behind everything runnable waits.
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve) => setImmediate(resolve));
      const lag = Number(process.hrtime.bigint() - t0) / NS;
      const f = new FamilySet();
      f.gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', undefined, lag);
      if (h !== undefined && h.count > 0) {
        f.gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', undefined, h.min / NS);
        f.gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', undefined, h.max / NS);
        f.gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', undefined, h.mean / NS);
        f.gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', undefined, h.percentile(50) / NS);
        f.gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.', undefined, h.percentile(90) / NS);
        f.gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', undefined, h.percentile(99) / NS);
        h.reset();
      }
      const byType = new Map<string, number>();
      const resources = process.getActiveResourcesInfo();
      for (const t of resources) byType.set(t, (byType.get(t) ?? 0) + 1);
      for (const [type, n] of byType) {
        f.gauge('nodejs_active_resources', 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', { type }, n);
      }
      return f.list();
    },
    stop() {
      h?.disable();
      h = undefined;
    },
  };
}
