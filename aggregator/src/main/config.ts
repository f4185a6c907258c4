/**
 * Loading the aggregator config: a file through the shared loader, or, when no
 * --config.file is given, the zero-config defaults below (validated by the same schema, so
 * /api/v1/status/config shows what runs). Throws ConfigError only.
 */
import { loadAggregatorConfig, parseAggregatorConfig, type AggregatorConfig } from '@edgeprom/shared/config';

/**
 * Without a config file: the embedded broker taking anonymous clients from loopback only,
 * and one job `edgeprom` that scrapes every agent found by MQTT presence (on the embedded
 * broker) or mDNS (on loopback, `_edgeprom._tcp` only: the
 * `_prometheus-http._tcp` record of an agent carries no agent id), every 15 s. `instance` is
 * the agent id, as the push ingest's default target labels `{job="edgeprom",
 * instance="<agent id>"}`, so pushed and scraped samples of one agent share their series.
 */
export const DEFAULT_CONFIG_YAML = `# built-in defaults (no --config.file)
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: edgeprom
    mqtt_sd_configs:
      - topic_prefix: edgeprom/
    mdns_sd_configs:
      - service_types: [_edgeprom._tcp]
    relabel_configs:
      - source_labels: [__meta_mqtt_agent_id, __meta_mdns_txt_agent]
        separator: ''
        regex: (.+)
        target_label: instance
      - source_labels: [__meta_mqtt_metrics_path, __meta_mdns_txt_path]
        separator: ''
        regex: (/.*)
        target_label: __metrics_path__
mqtt:
  embedded:
    # Local agents connect without credentials; nothing on the LAN can.
    allow_anonymous: loopback
`;

/**
 * `selfAddress` (host:port of the aggregator's own listener) adds, to the defaults only, a
 * job `self` scraping the aggregator's /metrics, as Prometheus's example config scrapes
 * itself; a config file decides for itself.
 */
export function loadConfig(file: string | undefined, selfAddress?: string): Promise<AggregatorConfig> {
  if (file === undefined) {
    const yaml = selfAddress === undefined ? DEFAULT_CONFIG_YAML : DEFAULT_CONFIG_YAML.replace('scrape_configs:\n', `scrape_configs:\n${selfJobYaml(selfAddress)}`);
    return Promise.resolve(parseAggregatorConfig(yaml, '<defaults>'));
  }
  return loadAggregatorConfig(file);
}

/** The `self` job of the defaults: the aggregator's own /metrics, every 15 s. */
export function selfJobYaml(address: string): string {
  return `  - job_name: self\n    static_configs:\n      - targets: [${JSON.stringify(address)}]\n`;
}

/** Where the aggregator reaches its own listener: loopback when it listens on every interface. */
export function selfAddress(bound: { host: string; port: number }): string {
  if (bound.host === '0.0.0.0' || bound.host === '') return `127.0.0.1:${bound.port}`;
  if (bound.host === '::') return `localhost:${bound.port}`;
  return bound.host.includes(':') ? `[${bound.host}]:${bound.port}` : `${bound.host}:${bound.port}`;
}

/** A config setting that validates but that nothing acts on yet. */
export interface NotActedOn {
  /** Where in the file: `rule_files`, `alerting`, `remote_write`, `global.query_log_file`, `storage.tsdb`. */
  section: string;
  /** What happens instead, for the log line. */
  message: string;
}

/**
 * The settings of `c` that the schema accepts (so a Prometheus config loads unchanged) but
 * that nothing in the aggregator acts on yet. Logged at warn level at start and on every
 * reload (serve.ts), so that a rule file or an Alertmanager is never silently ignored.
 */
export function notActedOn(c: AggregatorConfig): NotActedOn[] {
  const out: NotActedOn[] = [];
  if (c.rule_files.length > 0) {
    out.push({ section: 'rule_files', message: `rule evaluation is not built: the ${c.rule_files.length} rule_files pattern(s) are not read, no recording or alerting rule is evaluated` });
  }
  const am = c.alerting.alertmanagers.length;
  if (am > 0 || c.alerting.alert_relabel_configs.length > 0) {
    out.push({ section: 'alerting', message: `alerting is not built: no alerts are produced or sent (${am} alertmanager config(s) ignored)` });
  }
  if (c.remote_write.length > 0) {
    out.push({ section: 'remote_write', message: `remote write is not built: nothing is sent to the ${c.remote_write.length} remote_write endpoint(s)` });
  }
  if (c.global.query_log_file !== undefined) {
    out.push({ section: 'global.query_log_file', message: 'the query log is not built: no query log is written' });
  }
  const tsdb = c.storage.tsdb;
  if (tsdb.out_of_order_time_window !== STORAGE_DEFAULTS.oooMs || tsdb.retention.time !== STORAGE_DEFAULTS.retentionMs || tsdb.retention.size !== 0) {
    out.push({
      section: 'storage.tsdb',
      message: 'storage.tsdb in the config file is not applied: retention comes from --storage.tsdb.retention.time/.size, the out-of-order window is the TSDB default (7d)',
    });
  }
  return out;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The schema's defaults of `storage.tsdb` (what the TSDB does anyway). */
const STORAGE_DEFAULTS = { oooMs: 7 * DAY_MS, retentionMs: 15 * DAY_MS };
