/**
 * `scrape_configs[]` and the discovery kinds edgeprom implements: Prometheus's static and file
 * discovery, plus our mDNS and MQTT-presence discovery. Values that inherit from `global`
 * (interval, timeout, limits) stay optional here; aggregator-schema.ts resolves them.
 */
import { z } from 'zod';
import {
  bool,
  duration,
  labelSet,
  list,
  nonEmptyStr,
  obj,
  quote,
  size,
  str,
  targetError,
  topicPrefix,
  uint,
} from './fields.js';
import { checkHttpClient, httpClientShape } from './http-client-schema.js';
import { relabelConfigs } from './relabel-schema.js';

export const staticConfigSchema = obj({
  targets: list(str()),
  labels: labelSet().default(() => ({})),
});

/** Prometheus's file SD only reads .json, .yml and .yaml files. */
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

export const fileSdConfigSchema = obj({
  files: z.array(nonEmptyStr()).min(1, { error: 'at least one file is required' }),
  refresh_interval: duration().prefault('5m'),
}).superRefine((c, ctx) => {
  c.files.forEach((f, i) => {
    if (!FILE_SD_NAME.test(f)) {
      ctx.addIssue({ code: 'custom', path: ['files', i], message: `path name ${quote(f)} is not valid for file discovery (use .json, .yml or .yaml)` });
    }
  });
});

export const DEFAULT_MDNS_SERVICE_TYPES = ['_edgeprom._tcp', '_prometheus-http._tcp'] as const;
const SERVICE_TYPE = /^_[A-Za-z0-9][A-Za-z0-9-]{0,62}\._(tcp|udp)$/;

export const mdnsSdConfigSchema = obj({
  /** DNS-SD service types to browse for. */
  service_types: z
    .array(
      str().superRefine((s, ctx) => {
        if (!SERVICE_TYPE.test(s)) ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a DNS-SD service type like _edgeprom._tcp` });
      }),
    )
    .min(1, { error: 'at least one service type is required' })
    .default(() => [...DEFAULT_MDNS_SERVICE_TYPES]),
  /**
   * IPv4 address of the interface to query on. Unset: loopback only (`127.0.0.1`), so nothing
   * leaves the machine unless a deployment asks for it; `0.0.0.0`: every interface. `127.0.0.1` keeps
   * discovery on this machine (tests, or agents on the gateway itself).
   */
  interface: str().optional(),
  /** How often to query again, besides listening for announcements. */
  refresh_interval: duration().prefault('1m'),
});

export const mqttSdConfigSchema = obj({
  /** Presence messages are read from `<topic_prefix>presence/<agent>`. */
  topic_prefix: topicPrefix().default('edgeprom/'),
  /** Keep targets whose last presence says offline (they can still be scraped when back). */
  include_offline: bool().default(false),
});

/** Prometheus settings edgeprom does not implement: named so the error says so, rather than "unknown field". */
export const UNSUPPORTED_SCRAPE_FIELDS = [
  'oauth2',
  'sigv4',
  'scrape_protocols',
  'fallback_scrape_protocol',
  'scrape_native_histograms',
  'always_scrape_classic_histograms',
  'convert_classic_histograms_to_nhcb',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'http_headers',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'scrape_failure_log_file',
  'extra_scrape_metrics',
  'kubernetes_sd_configs',
  'consul_sd_configs',
  'dns_sd_configs',
  'ec2_sd_configs',
  'http_sd_configs',
  'docker_sd_configs',
  'dockerswarm_sd_configs',
  'azure_sd_configs',
  'gce_sd_configs',
  'openstack_sd_configs',
  'nomad_sd_configs',
] as const;

export const scrapeConfigSchema = obj({
  job_name: nonEmptyStr(),
  honor_labels: bool().default(false),
  honor_timestamps: bool().default(true),
  track_timestamps_staleness: bool().default(false),
  params: z.record(z.string(), z.array(str())).default(() => ({})),
  /** Inherits global.scrape_interval when unset or 0. */
  scrape_interval: duration().optional(),
  /** Inherits min(global.scrape_timeout, scrape_interval) when unset or 0; must not exceed the interval. */
  scrape_timeout: duration().optional(),
  metrics_path: str().default('/metrics'),
  scheme: z.enum(['http', 'https']).default('http'),
  enable_compression: bool().default(true),
  /** Limits: unset or 0 inherits global, whose 0 means no limit. */
  body_size_limit: size().optional(),
  sample_limit: uint().optional(),
  label_limit: uint().optional(),
  label_name_length_limit: uint().optional(),
  label_value_length_limit: uint().optional(),
  target_limit: uint().optional(),
  keep_dropped_targets: uint().optional(),
  ...httpClientShape,
  static_configs: list(staticConfigSchema),
  file_sd_configs: list(fileSdConfigSchema),
  mdns_sd_configs: list(mdnsSdConfigSchema),
  mqtt_sd_configs: list(mqttSdConfigSchema),
  relabel_configs: relabelConfigs(),
  metric_relabel_configs: relabelConfigs(),
}).superRefine((c, ctx) => {
  checkHttpClient(c, ctx);
  // Like Prometheus, only without relabeling: relabel rules may turn a URL into a target
  // (the blackbox exporter pattern).
  if (c.relabel_configs.length === 0) {
    c.static_configs.forEach((sc, i) => {
      sc.targets.forEach((t, j) => {
        const err = targetError(t);
        if (err) ctx.addIssue({ code: 'custom', path: ['static_configs', i, 'targets', j], message: err });
      });
    });
  }
});

export type StaticConfig = z.output<typeof staticConfigSchema>;
export type FileSdConfig = z.output<typeof fileSdConfigSchema>;
export type MdnsSdConfig = z.output<typeof mdnsSdConfigSchema>;
export type MqttSdConfig = z.output<typeof mqttSdConfigSchema>;
/** A scrape config as written, before global values are inherited. */
export type RawScrapeConfig = z.output<typeof scrapeConfigSchema>;
