/**
 * `edgeprom-aggregator check config FILE...`, like `promtool check config`: each file is
 * loaded with the same code the server uses; prints SUCCESS or FAILED with every problem.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadAggregatorConfig } from '@edgeprom/shared/config';
import { scrapeHttpSettings } from '../scrape/http-settings.js';
import { notActedOn } from './config.js';
import { UsageError } from './flags.js';

export const CHECK_CONFIG_HELP = `usage: edgeprom-aggregator check config FILE...

Checks aggregator configuration files as the server would load them (schema, defaults,
durations, regexes, unsupported fields, scrape jobs' tls_config CA/cert/key files). Prints
SUCCESS or the errors for each file, and a WARNING for each setting accepted but not acted
on yet (rule_files, alerting, remote_write, global.query_log_file, storage.tsdb).
Exit code 0 when every file is valid, 1 otherwise, 2 on a usage error.
`;

export interface Output {
  out(s: string): void;
  err(s: string): void;
}

/** Returns the exit code. */
export async function checkConfig(argv: readonly string[], io: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (parsed.values.help) {
    io.out(CHECK_CONFIG_HELP);
    return 0;
  }
  if (parsed.positionals.length === 0) throw new UsageError('check config: expected at least one FILE');
  let failed = false;
  for (const file of parsed.positionals) {
    io.out(`Checking ${file}\n`);
    try {
      const cfg = await loadAggregatorConfig(file);
      // The scrape jobs' CA, client cert and key files, read as the server reads them.
      const baseDir = path.dirname(path.resolve(file));
      for (const j of cfg.scrape_configs) scrapeHttpSettings(j, baseDir);
      io.out(` SUCCESS: ${file} is valid aggregator configuration (${cfg.scrape_configs.length} scrape configs)\n`);
      // Valid, but not acted on yet (the server logs the same at start).
      for (const n of notActedOn(cfg)) io.out(`  WARNING: ${n.section}: ${n.message}\n`);
    } catch (e) {
      failed = true;
      io.err(` FAILED:\n`);
      const msg = e instanceof ConfigError || e instanceof Error ? e.message : String(e);
      for (const line of msg.split('\n')) io.err(`  ${line}\n`);
    }
  }
  return failed ? 1 : 0;
}
