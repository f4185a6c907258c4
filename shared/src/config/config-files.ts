/**
 * The two config files edgeprom reads, loaded with their schemas. Each function throws (or
 * rejects with) a ConfigError and nothing else.
 */
import { agentConfigSchema } from './agent-schema.js';
import type { AgentConfig } from './agent-schema.js';
import { AGGREGATOR_UNSUPPORTED_FIELDS, aggregatorConfigSchema } from './aggregator-schema.js';
import type { AggregatorConfig } from './aggregator-schema.js';
import { loadConfigFile, parseConfig } from './load.js';
import type { LoadConfigOptions, ParseConfigOptions } from './load.js';

export function parseAggregatorConfig(text: string, sourceName = 'aggregator.yml', options: ParseConfigOptions = {}): AggregatorConfig {
  return parseConfig(text, aggregatorConfigSchema, sourceName, { unsupportedFields: AGGREGATOR_UNSUPPORTED_FIELDS, ...options });
}

export function loadAggregatorConfig(path: string, options: LoadConfigOptions = {}): Promise<AggregatorConfig> {
  return loadConfigFile(path, aggregatorConfigSchema, { unsupportedFields: AGGREGATOR_UNSUPPORTED_FIELDS, ...options });
}

export function parseAgentConfig(text: string, sourceName = 'agent.yml', options: ParseConfigOptions = {}): AgentConfig {
  return parseConfig(text, agentConfigSchema, sourceName, options);
}

export function loadAgentConfig(path: string, options: LoadConfigOptions = {}): Promise<AgentConfig> {
  return loadConfigFile(path, agentConfigSchema, options);
}
