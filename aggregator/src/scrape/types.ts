/**
 * What the scrape manager takes in: target groups from discovery and the scrape configs.
 * The discovery folder emits the same shape; this file holds the scrape side's own copy so
 * the two folders only share a data shape, not code.
 */
import type { ScrapeConfig } from '@edgeprom/shared/config';

/**
 * A group of targets from one discovery source: each target is a label set holding at least
 * `__address__`; the group labels apply to every target that does not set them itself.
 */
export interface TargetGroup {
  /** Identifies the group within its discoverer (a file path, a service name). */
  source: string;
  targets: Record<string, string>[];
  labels: Record<string, string>;
}

/** The fields of a resolved scrape config (global values inherited) that scraping reads. */
export type ScrapeJob = Pick<
  ScrapeConfig,
  | 'job_name'
  | 'honor_labels'
  | 'honor_timestamps'
  | 'track_timestamps_staleness'
  | 'params'
  | 'scrape_interval'
  | 'scrape_timeout'
  | 'metrics_path'
  | 'scheme'
  | 'enable_compression'
  | 'body_size_limit'
  | 'sample_limit'
  | 'label_limit'
  | 'label_name_length_limit'
  | 'label_value_length_limit'
  | 'target_limit'
  | 'keep_dropped_targets'
  | 'relabel_configs'
  | 'metric_relabel_configs'
  // HTTP client settings (http-settings.ts).
  | 'basic_auth'
  | 'authorization'
  | 'bearer_token'
  | 'bearer_token_file'
  | 'tls_config'
  | 'proxy_url'
  | 'follow_redirects'
  | 'enable_http2'
>;

/** Defaults for a ScrapeJob built by hand (tests, embedders): Prometheus's. */
export function scrapeJob(job: Partial<ScrapeJob> & { job_name: string }): ScrapeJob {
  const interval = job.scrape_interval ?? 60_000;
  return {
    honor_labels: false,
    honor_timestamps: true,
    track_timestamps_staleness: false,
    params: {},
    scrape_interval: interval,
    scrape_timeout: Math.min(10_000, interval),
    metrics_path: '/metrics',
    scheme: 'http',
    enable_compression: true,
    body_size_limit: 0,
    sample_limit: 0,
    label_limit: 0,
    label_name_length_limit: 0,
    label_value_length_limit: 0,
    target_limit: 0,
    keep_dropped_targets: 0,
    relabel_configs: [],
    metric_relabel_configs: [],
    authorization: undefined,
    tls_config: { insecure_skip_verify: false },
    follow_redirects: true,
    enable_http2: true,
    ...job,
  };
}

/** Target health after its last scrape, as Prometheus names it. */
export type TargetHealth = 'up' | 'down' | 'unknown';
