#!/usr/bin/env node
/**
 * `edgeprom-aggregator`: the server by default, plus promtool-like subcommands.
 *
 *   edgeprom-aggregator [--config.file F] [--storage.tsdb.path D] [--web.listen-address A] ...
 *   edgeprom-aggregator check config FILE...
 *   edgeprom-aggregator tsdb import openmetrics FILE [--storage.tsdb.path D]
 *
 * Exit codes: 0 success, 1 failure (invalid config, rejected lines, startup error), 2 usage.
 */
import v8 from 'node:v8';
import { checkConfig } from './main/check-config.js';
import { heapGrowthFlag } from './main/heap.js';
import { parseServeFlags, SERVE_HELP, UsageError } from './main/flags.js';
import { createLogger } from './main/logger.js';
import { startAggregator } from './main/serve.js';
import { tsdbCommand } from './main/tsdb-import-command.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  isTty: process.stderr.isTTY === true,
};

const CHECK_HELP = `usage: edgeprom-aggregator check config FILE...\n\nSubcommands:\n  config FILE...   Validate configuration files.\n`;

async function serve(argv: string[]): Promise<number | undefined> {
  const flags = parseServeFlags(argv);
  if (flags.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  const heapFlag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (heapFlag !== undefined) v8.setFlagsFromString(heapFlag);
  const logger = createLogger(flags.logLevel);
  let agg;
  try {
    agg = await startAggregator(flags, { logger });
  } catch (e) {
    logger.error({ err: e }, 'startup failed');
    io.err(`edgeprom-aggregator: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  io.out(`edgeprom-aggregator listening on ${agg.url}\n`);
  const running = agg;
  let stopping = false;
  /** `why`: `{ signal }`, or `{ via }` for the web API. */
  const shutdown = (why: { signal: string } | { via: string }): void => {
    if (stopping) return;
    stopping = true;
    logger.info(why, 'shutting down');
    running.stop().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', (signal) => shutdown({ signal }));
  process.once('SIGINT', (signal) => shutdown({ signal }));
  // POST /-/quit (--web.enable-lifecycle): the same graceful stop, as Prometheus.
  void running.quitRequested.then(() => {
    logger.warn({}, 'received termination request via the web API, exiting gracefully');
    shutdown({ via: '/-/quit' });
  });
  process.on('SIGHUP', () => {
    // A refused config is logged (once) and recorded by reload() itself.
    running.reload().catch(() => undefined);
  });
  return undefined;
}

async function main(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'check') {
      const [what, ...files] = rest;
      if (what === 'config') return await checkConfig(files, io);
      if (what === '--help' || what === '-h') {
        io.out(CHECK_HELP);
        return 0;
      }
      throw new UsageError(`check: unknown subcommand ${JSON.stringify(what ?? '')} (supported: config)`);
    }
    if (cmd === 'tsdb') return await tsdbCommand(rest, io);
    if (cmd !== undefined && !cmd.startsWith('-')) throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    return await serve(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`edgeprom-aggregator: ${e.message}\n`);
      io.err(`Try --help (subcommands: check config --help, tsdb import openmetrics --help).\n`);
      return 2;
    }
    io.err(`edgeprom-aggregator: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
