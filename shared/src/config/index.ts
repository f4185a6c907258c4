/**
 * Config files: loading (YAML → validated, defaulted config, or one ConfigError), the
 * aggregator and agent schemas, Prometheus durations and sizes, and secret redaction.
 */
export { DurationError, MAX_DURATION_MS, formatDuration, parseDuration } from './duration.js';
export { SizeError, formatSize, parseSize } from './size.js';
export { ConfigError, MAX_CONFIG_ISSUES, formatConfigIssue, formatConfigPath } from './config-error.js';
export type { ConfigIssue } from './config-error.js';
export { DEFAULT_MAX_CONFIG_BYTES, loadConfigFile, parseConfig } from './load.js';
export type { LoadConfigOptions, ParseConfigOptions } from './load.js';
export { loadAgentConfig, loadAggregatorConfig, parseAgentConfig, parseAggregatorConfig } from './config-files.js';
export { FREE_FORM_FIELDS, SECRET_FIELDS, SECRET_PLACEHOLDER, URL_FIELDS, redactSecrets } from './secrets.js';
export { regexError, targetError } from './fields.js';

export { RELABEL_ACTIONS, RELABEL_DEFAULTS, isValidRelabelTarget, relabelConfigSchema } from './relabel-schema.js';
export type { RelabelAction, RelabelConfig } from './relabel-schema.js';
export { authorizationSchema, basicAuthSchema, tlsConfigSchema } from './http-client-schema.js';
export type { Authorization, BasicAuth, TlsConfig } from './http-client-schema.js';
export {
  DEFAULT_MDNS_SERVICE_TYPES,
  fileSdConfigSchema,
  mdnsSdConfigSchema,
  mqttSdConfigSchema,
  scrapeConfigSchema,
  staticConfigSchema,
} from './scrape-schema.js';
export type { FileSdConfig, MdnsSdConfig, MqttSdConfig, RawScrapeConfig, StaticConfig } from './scrape-schema.js';
export { MQTT_URL_SCHEMES, embeddedBrokerSchema, mqttDeviceSchema, mqttSchema, topicFilterError } from './mqtt-schema.js';
export type { AggregatorMqttConfig, EmbeddedBrokerConfig, MqttDevice } from './mqtt-schema.js';
export {
  AGGREGATOR_UNSUPPORTED_FIELDS,
  GLOBAL_DEFAULTS,
  aggregatorConfigSchema,
  alertingSchema,
  alertmanagerConfigSchema,
  globalSchema,
  metadataConfigSchema,
  pushSchema,
  SCRYPT_HASH_RE,
  queueConfigSchema,
  remoteWriteSchema,
  storageSchema,
} from './aggregator-schema.js';
export type {
  AggregatorConfig,
  AlertingConfig,
  AlertmanagerConfig,
  GlobalConfig,
  QueueConfig,
  RemoteWriteConfig,
  ScrapeConfig,
  PushConfig,
  StorageConfig,
} from './aggregator-schema.js';
export {
  AGENT_DEFAULTS,
  agentBufferSchema,
  agentConfigSchema,
  agentMdnsSchema,
  agentMqttSchema,
  agentPushSchema,
} from './agent-schema.js';
export type { AgentBufferConfig, AgentConfig, AgentMdnsConfig, AgentMqttConfig, AgentPushConfig } from './agent-schema.js';
