/**
 * Loading the aggregator config: a file through the shared loader, or the defaults when no
 * --config.file is given (the schema fills every field). Throws ConfigError only.
 */
import { loadAggregatorConfig, parseAggregatorConfig, type AggregatorConfig } from '@edgeprom/shared/config';

export function loadConfig(file: string | undefined): Promise<AggregatorConfig> {
  if (file === undefined) return Promise.resolve(parseAggregatorConfig('{}', '<defaults>'));
  return loadAggregatorConfig(file);
}
