/**
 * The aggregator's config file: Prometheus's prometheus.yml (global, scrape_configs,
 * rule_files, alerting, remote_write, storage) with its defaults and checks, plus our `mqtt:`
 * section. Parsing resolves what Prometheus resolves at load: scrape configs inherit the global
 * interval, timeout and limits, and relabel configs get their defaults.
 */
import { z } from 'zod';
import {
  AT_KEY,
  bool,
  duration,
  filePattern,
  labelSet,
  list,
  nonEmptyStr,
  obj,
  posInt,
  quote,
  size,
  str,
  stringMap,
  targetError,
  uint,
  url,
} from './fields.js';
import { checkHttpClient, httpClientShape, resolveHttpClient } from './http-client-schema.js';
import { mqttSchema } from './mqtt-schema.js';
import { relabelConfigs } from './relabel-schema.js';
import { fileSdConfigSchema, scrapeConfigSchema, staticConfigSchema, UNSUPPORTED_SCRAPE_FIELDS } from './scrape-schema.js';
import type { RawScrapeConfig } from './scrape-schema.js';
import { parseDuration } from './duration.js';

export const GLOBAL_DEFAULTS = {
  scrape_interval: parseDuration('1m'),
  scrape_timeout: parseDuration('10s'),
  evaluation_interval: parseDuration('1m'),
} as const;

export const globalSchema = obj({
  /** 0 or unset: 1m. */
  scrape_interval: duration().optional(),
  /** 0 or unset: min(10s, scrape_interval). */
  scrape_timeout: duration().optional(),
  /** 0 or unset: 1m. */
  evaluation_interval: duration().optional(),
  rule_query_offset: duration().prefault('0'),
  external_labels: labelSet().default(() => ({})),
  query_log_file: str().optional(),
  body_size_limit: size().prefault('0'),
  sample_limit: uint().default(0),
  target_limit: uint().default(0),
  label_limit: uint().default(0),
  label_name_length_limit: uint().default(0),
  label_value_length_limit: uint().default(0),
  keep_dropped_targets: uint().default(0),
})
  .superRefine((g, ctx) => {
    const interval = g.scrape_interval || GLOBAL_DEFAULTS.scrape_interval;
    if ((g.scrape_timeout ?? 0) > interval) {
      ctx.addIssue({ code: 'custom', path: ['scrape_timeout'], message: 'global scrape timeout greater than scrape interval' });
    }
  })
  .transform((g) => {
    const scrape_interval = g.scrape_interval || GLOBAL_DEFAULTS.scrape_interval;
    return {
      ...g,
      scrape_interval,
      scrape_timeout: g.scrape_timeout || Math.min(GLOBAL_DEFAULTS.scrape_timeout, scrape_interval),
      evaluation_interval: g.evaluation_interval || GLOBAL_DEFAULTS.evaluation_interval,
    };
  });

export const alertmanagerConfigSchema = obj({
  ...httpClientShape,
  scheme: z.enum(['http', 'https']).default('http'),
  path_prefix: str().default('/'),
  timeout: duration().prefault('10s'),
  api_version: z.enum(['v2'], { error: 'expected Alertmanager api version to be one of [v2]' }).default('v2'),
  static_configs: list(staticConfigSchema),
  file_sd_configs: list(fileSdConfigSchema),
  relabel_configs: relabelConfigs(),
  alert_relabel_configs: relabelConfigs(),
})
  .superRefine((c, ctx) => {
    checkHttpClient(c, ctx);
    if (c.relabel_configs.length === 0) {
      c.static_configs.forEach((sc, i) =>
        sc.targets.forEach((t, j) => {
          const err = targetError(t);
          if (err) ctx.addIssue({ code: 'custom', path: ['static_configs', i, 'targets', j], message: err });
        }),
      );
    }
  })
  .transform((c) => resolveHttpClient(c, true));

export const alertingSchema = obj({
  alert_relabel_configs: relabelConfigs(),
  alertmanagers: list(alertmanagerConfigSchema),
});

/** Headers Prometheus sets itself; remote_write may not override them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

export const queueConfigSchema = obj({
  capacity: posInt().default(10000),
  max_shards: posInt().default(50),
  min_shards: posInt().default(1),
  max_samples_per_send: posInt().default(2000),
  batch_send_deadline: duration().prefault('5s'),
  min_backoff: duration().prefault('30ms'),
  max_backoff: duration().prefault('5s'),
  retry_on_http_429: bool().default(false),
  /** 0: no limit. */
  sample_age_limit: duration().prefault('0'),
}).superRefine((q, ctx) => {
  if (q.min_shards > q.max_shards) ctx.addIssue({ code: 'custom', path: ['min_shards'], message: 'min_shards must not exceed max_shards' });
  if (q.min_backoff > q.max_backoff) ctx.addIssue({ code: 'custom', path: ['min_backoff'], message: 'min_backoff must not exceed max_backoff' });
});

export const metadataConfigSchema = obj({
  send: bool().default(true),
  send_interval: duration().prefault('1m'),
  max_samples_per_send: posInt().default(2000),
});

export const remoteWriteSchema = obj({
  url: url(['http', 'https']),
  name: str().optional(),
  remote_timeout: duration().prefault('30s'),
  headers: stringMap().default(() => ({})),
  write_relabel_configs: relabelConfigs(),
  send_exemplars: bool().default(false),
  send_native_histograms: bool().default(false),
  ...httpClientShape,
  queue_config: queueConfigSchema.prefault({}),
  metadata_config: metadataConfigSchema.prefault({}),
})
  .superRefine((c, ctx) => {
    for (const h of Object.keys(c.headers)) {
      const lower = h.toLowerCase();
      if (lower === 'authorization') {
        ctx.addIssue({ code: 'custom', path: ['headers', h], params: AT_KEY, message: 'authorization header must be changed via the basic_auth or authorization parameter' });
      } else if (RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({ code: 'custom', path: ['headers', h], params: AT_KEY, message: `${h} is a reserved header. It must not be changed` });
      }
    }
    checkHttpClient(c, ctx);
  })
  // Prometheus's remote-write client defaults to HTTP/1.1.
  .transform((c) => resolveHttpClient(c, false));

export const storageSchema = obj({
  tsdb: obj({
    /** How far back an out-of-order sample is accepted: buffered device history arrives late. */
    out_of_order_time_window: duration().prefault('7d'),
    retention: obj({
      /** How long samples are kept. */
      time: duration().prefault('15d'),
      /** Largest total size of blocks; 0: no limit. */
      size: size().prefault('0'),
    }).prefault({}),
  }).prefault({}),
});

/** `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt base64>$<hash base64>`: what push.basic_auth_users holds. */
export const SCRYPT_HASH_RE = /^\$scrypt\$ln=([0-9]{1,2}),r=([0-9]{1,3}),p=([0-9]{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

const passwordHash = () =>
  str().superRefine((h, ctx) => {
    if (/^\$2[abxy]?\$/.test(h)) {
      ctx.addIssue({ code: 'custom', message: 'bcrypt hashes are not supported (no bcrypt implementation is bundled); use an scrypt hash, see docs/push-api.md' });
    } else if (!SCRYPT_HASH_RE.test(h)) {
      ctx.addIssue({ code: 'custom', message: 'expected an scrypt hash "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" (see docs/push-api.md)' });
    } else {
      const ln = Number(SCRYPT_HASH_RE.exec(h)![1]);
      if (ln < 10 || ln > 20) ctx.addIssue({ code: 'custom', message: `scrypt cost ln=${ln} is outside 10..20` });
    }
  });

/**
 * `push:` the Pushgateway-compatible push API on the HTTP listener (docs/push-api.md). Off by
 * default; enabled, it needs basic auth users, a bearer token file, or `insecure: true`.
 */
export const pushSchema = obj({
  enabled: bool().default(false),
  /** Username → scrypt hash of the password (like Prometheus's web config, which uses bcrypt). */
  basic_auth_users: z.preprocess((v) => (v === null ? {} : v), z.record(z.string(), passwordHash())).default(() => ({})),
  /** A file with the accepted bearer tokens, one per line (`#` comments and blank lines ignored). Re-read on reload. */
  bearer_token_file: nonEmptyStr().optional(),
  /** Accept pushes without credentials. */
  insecure: bool().default(false),
  /** TTL of a group pushed without an X-Edgeprom-TTL header; 0: never expires. */
  default_ttl: duration().prefault('0'),
  /** Upper bound of any group's TTL (0 in the header or default means this); 0: no bound. */
  max_ttl: duration().prefault('0'),
  /** Largest request body. */
  body_size_limit: size().prefault('4MiB'),
  max_groups: posInt().default(10000),
  max_series_per_group: posInt().default(10000),
  /** How often every group is appended again with the current time. */
  interval: duration().prefault('15s'),
  /** How often changed groups are written to <storage.tsdb.path>/push/groups.json; 0: after every change. */
  persistence_interval: duration().prefault('5m'),
}).superRefine((p, ctx) => {
  if (p.enabled && !p.insecure && Object.keys(p.basic_auth_users).length === 0 && p.bearer_token_file === undefined) {
    ctx.addIssue({ code: 'custom', path: ['enabled'], message: 'the push API is enabled without authentication: set basic_auth_users or bearer_token_file, or insecure: true' });
  }
  if (p.interval === 0) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'must be greater than 0' });
  if (p.body_size_limit === 0) ctx.addIssue({ code: 'custom', path: ['body_size_limit'], message: 'must be greater than 0' });
  if (p.max_ttl > 0 && p.default_ttl > p.max_ttl) {
    ctx.addIssue({ code: 'custom', path: ['default_ttl'], message: 'must not exceed max_ttl' });
  }
  for (const u of Object.keys(p.basic_auth_users)) {
    if (u === '' || u.includes(':')) ctx.addIssue({ code: 'custom', path: ['basic_auth_users', u], params: AT_KEY, message: 'a username must be non-empty and contain no ":"' });
  }
});

const aggregatorShape = {
  global: globalSchema.prefault({}),
  scrape_configs: list(scrapeConfigSchema),
  rule_files: list(filePattern('rule file path')),
  alerting: alertingSchema.prefault({}),
  remote_write: list(remoteWriteSchema),
  storage: storageSchema.prefault({}),
  mqtt: mqttSchema.prefault({}),
  push: pushSchema.prefault({}),
};

type Global = z.output<typeof globalSchema>;

/** A scrape config with the global values it inherits filled in. */
function resolveScrape(c: RawScrapeConfig, g: Global) {
  const scrape_interval = c.scrape_interval || g.scrape_interval;
  return {
    ...resolveHttpClient(c, true),
    scrape_interval,
    scrape_timeout: c.scrape_timeout || Math.min(g.scrape_timeout, scrape_interval),
    body_size_limit: c.body_size_limit || g.body_size_limit,
    sample_limit: c.sample_limit || g.sample_limit,
    label_limit: c.label_limit || g.label_limit,
    label_name_length_limit: c.label_name_length_limit || g.label_name_length_limit,
    label_value_length_limit: c.label_value_length_limit || g.label_value_length_limit,
    target_limit: c.target_limit || g.target_limit,
    keep_dropped_targets: c.keep_dropped_targets || g.keep_dropped_targets,
  };
}

export const aggregatorConfigSchema = obj(aggregatorShape)
  .superRefine((cfg, ctx) => {
    const jobs = new Map<string, number>();
    cfg.scrape_configs.forEach((sc, i) => {
      const interval = sc.scrape_interval || cfg.global.scrape_interval;
      if ((sc.scrape_timeout ?? 0) > interval) {
        ctx.addIssue({
          code: 'custom',
          path: ['scrape_configs', i, 'scrape_timeout'],
          message: `scrape timeout greater than scrape interval for scrape config with job name ${quote(sc.job_name)}`,
        });
      }
      const first = jobs.get(sc.job_name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['scrape_configs', i, 'job_name'],
          message: `found multiple scrape configs with job name ${quote(sc.job_name)} (first at scrape_configs[${first}])`,
        });
      } else jobs.set(sc.job_name, i);
    });
    const names = new Map<string, number>();
    cfg.remote_write.forEach((rw, i) => {
      if (rw.name === undefined || rw.name === '') return;
      const first = names.get(rw.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['remote_write', i, 'name'], message: `found multiple remote write configs with name ${quote(rw.name)} (first at remote_write[${first}])` });
      } else names.set(rw.name, i);
    });
  })
  .transform((cfg) => ({
    ...cfg,
    scrape_configs: cfg.scrape_configs.map((sc) => resolveScrape(sc, cfg.global)),
  }));

/** The aggregator config as parsed: defaults applied, globals inherited, durations in ms, sizes in bytes. */
export type AggregatorConfig = z.output<typeof aggregatorConfigSchema>;
export type GlobalConfig = AggregatorConfig['global'];
export type ScrapeConfig = AggregatorConfig['scrape_configs'][number];
export type AlertingConfig = AggregatorConfig['alerting'];
export type AlertmanagerConfig = AlertingConfig['alertmanagers'][number];
export type RemoteWriteConfig = AggregatorConfig['remote_write'][number];
export type QueueConfig = RemoteWriteConfig['queue_config'];
export type StorageConfig = AggregatorConfig['storage'];
export type PushConfig = AggregatorConfig['push'];

/** Prometheus top-level and scrape settings we do not implement, for clearer errors. */
export const AGGREGATOR_UNSUPPORTED_FIELDS: readonly string[] = [
  ...UNSUPPORTED_SCRAPE_FIELDS,
  'remote_read',
  'scrape_config_files',
  'tracing',
  'otlp',
  'runtime',
  'azuread',
  'google_iam',
];

