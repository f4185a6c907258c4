/**
 * Loading the aggregator config: a file through the shared loader, or, when no
 * --config.file is given, the zero-config defaults below (validated by the same schema, so
 * /api/v1/status/config shows what runs). Throws ConfigError only.
 */
import { loadAggregatorConfig, parseAggregatorConfig, type AggregatorConfig } from '@edgeprom/shared/config';

/**
 * Without a config file: one job `edgeprom` that scrapes every agent found by MQTT presence
 * (on the embedded broker) or mDNS (on loopback, `_edgeprom._tcp` only: the
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
`;

export function loadConfig(file: string | undefined): Promise<AggregatorConfig> {
  if (file === undefined) return Promise.resolve(parseAggregatorConfig(DEFAULT_CONFIG_YAML, '<defaults>'));
  return loadAggregatorConfig(file);
}
