/**
 * The scrape manager's self metrics, with Prometheus's names (scrape/metrics.go) so its
 * dashboards and alerts work on the aggregator. One instance per manager, shared by its
 * pools and loops; they update plain numbers, and `families()` names them when /metrics is
 * scraped. Per-job series are bounded by the number of configured jobs; the interval
 * summary by the distinct scrape intervals.
 */
import { formatDuration, type MetricFamily } from '@edgeprom/shared';
import type { SampleErrorCode } from '../storage/errors.js';
import { CounterVec, counterFamily, gaugeFamily, SummaryVec } from '../selfmetrics/metric-types.js';

/** What one scrape reports to the metrics (ScrapeLoop). */
export interface ScrapeOutcome {
  /** Error code of a failed scrape (ScrapeError), if any. */
  code: string | undefined;
  /** Samples the store refused, by code; samples beyond maxAheadTime count as too far in the future. */
  refused: Partial<Record<SampleErrorCode, number>>;
}

export class ScrapeMetrics {
  readonly intervalLength = new SummaryVec(
    'prometheus_target_interval_length_seconds',
    'Actual intervals between scrapes.',
    ['interval'],
    [0.01, 0.05, 0.5, 0.9, 0.99],
  );
  readonly syncLength = new SummaryVec(
    'prometheus_target_sync_length_seconds',
    'Actual interval to sync the scrape pool.',
    ['scrape_job'],
    [0.01, 0.05, 0.5, 0.9, 0.99],
  );
  readonly poolSyncs = new CounterVec(
    'prometheus_target_scrape_pool_sync_total',
    'Total number of syncs that were executed on a scrape pool.',
    ['scrape_job'],
  );
  readonly syncFailed = new CounterVec(
    'prometheus_target_sync_failed_total',
    'Total number of target sync failures.',
    ['scrape_job'],
  );
  pools = 0;
  poolsFailed = 0;
  reloads = 0;
  reloadsFailed = 0;
  exceededTargetLimit = 0;
  exceededLabelLimits = 0;
  exceededSampleLimit = 0;
  exceededBodySizeLimit = 0;
  outOfOrder = 0;
  duplicateTimestamp = 0;
  outOfBounds = 0;
  readonly #intervalLabels = new Map<number, string>();

  /** Seconds between the starts of two consecutive scrapes of one target. */
  observeInterval(intervalMs: number, seconds: number): void {
    let label = this.#intervalLabels.get(intervalMs);
    if (label === undefined) {
      label = formatDuration(intervalMs);
      this.#intervalLabels.set(intervalMs, label);
    }
    this.intervalLength.observe([label], seconds);
  }

  scrapeDone(o: ScrapeOutcome): void {
    if (o.code === 'ERR_SAMPLE_LIMIT') this.exceededSampleLimit++;
    else if (o.code === 'ERR_BODY_SIZE_LIMIT') this.exceededBodySizeLimit++;
    else if (o.code === 'ERR_LABEL_LIMIT') this.exceededLabelLimits++;
    const r = o.refused;
    this.outOfOrder += r.ERR_OUT_OF_ORDER_SAMPLE ?? 0;
    this.duplicateTimestamp += r.ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP ?? 0;
    this.outOfBounds += (r.ERR_TOO_OLD_SAMPLE ?? 0) + (r.ERR_TOO_FAR_IN_FUTURE ?? 0);
  }

  /** The families; `targets` gives the current targets per job (prometheus_target_scrape_pool_targets). */
  families(targets: Iterable<readonly [string, number]>): MetricFamily[] {
    const one = (name: string, help: string, v: number) => counterFamily(name, help, [], [[[], v]]);
    return [
      this.intervalLength.family(),
      this.syncLength.family(),
      this.poolSyncs.family(),
      this.syncFailed.family(),
      gaugeFamily('prometheus_target_scrape_pool_targets', 'Current number of targets in this scrape pool.', ['scrape_job'], [...targets].map(([j, n]) => [[j], n] as const)),
      one('prometheus_target_scrape_pools_total', 'Total number of scrape pool creation attempts.', this.pools),
      one('prometheus_target_scrape_pools_failed_total', 'Total number of scrape pool creations that failed.', this.poolsFailed),
      one('prometheus_target_scrape_pool_reloads_total', 'Total number of scrape pool reloads.', this.reloads),
      one('prometheus_target_scrape_pool_reloads_failed_total', 'Total number of failed scrape pool reloads.', this.reloadsFailed),
      one('prometheus_target_scrape_pool_exceeded_target_limit_total', 'Total number of times scrape pools hit the target limit, during sync or config reload.', this.exceededTargetLimit),
      one('prometheus_target_scrape_pool_exceeded_label_limits_total', 'Total number of times scrape pools hit the label limits, during sync or config reload.', this.exceededLabelLimits),
      one('prometheus_target_scrapes_exceeded_sample_limit_total', 'Total number of scrapes that hit the sample limit and were rejected.', this.exceededSampleLimit),
      one('prometheus_target_scrapes_exceeded_body_size_limit_total', 'Total number of scrapes that hit the body size limit', this.exceededBodySizeLimit),
      one('prometheus_target_scrapes_sample_out_of_order_total', 'Total number of samples rejected due to not being out of the expected order.', this.outOfOrder),
      one('prometheus_target_scrapes_sample_duplicate_timestamp_total', 'Total number of samples rejected due to duplicate timestamps but different values.', this.duplicateTimestamp),
      one('prometheus_target_scrapes_sample_out_of_bounds_total', 'Total number of samples rejected due to timestamp falling outside of the time bounds.', this.outOfBounds),
    ];
  }
}
