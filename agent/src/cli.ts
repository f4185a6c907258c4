#!/usr/bin/env -S node --lite-mode
/**
 * `edgeprom-agent`: parses flags, loads the config, composes the Agent and runs it until
 * SIGTERM/SIGINT. Exit codes: 0 clean stop (also --help, --version), 1 cannot start
 * (bad config file, port in use, storage not writable), 2 bad command line.
 *
 * The node flags of the `#!` line are part of the agent's memory budget: `--lite-mode` (no
 * optimizing compiler, lazily allocated feedback vectors) saves ~7 MB of RSS at a 15 s
 * interval, where nothing runs hot enough to be optimized (docs/benchmarks.md, "Agent beside
 * node_exporter"). The README's systemd unit repeats them (cli.test.ts checks), and
 * `bench:agent` runs the agent with them. `env -S` needs GNU coreutils ≥ 8.30 (any
 * Raspberry Pi OS since Buster); elsewhere run `node --lite-mode cli.js`.
 */
import { readFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RealClock } from '@edgeprom/shared';
import { Agent } from './agent.js';
import { HELP, UsageError, parseFlags, type Flags } from './flags.js';
import { createLogger, type Logger } from './logger.js';
import { loadAgentConfig, resolveSettings } from './settings.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long a clean shutdown may take before we give up and exit 1. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs the CLI; resolves with the exit code (for a running agent: when it has stopped). */
export async function run(argv: readonly string[], io: CliIo = process): Promise<number> {
  const fail = (code: number, msg: string) => {
    io.stderr.write(`edgeprom-agent: ${msg}\n`);
    return code;
  };
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(2, `${err.message}\nRun 'edgeprom-agent --help' for usage.`);
    throw err;
  }
  if (flags.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (flags.version) {
    io.stdout.write(`edgeprom-agent ${VERSION} (node ${process.version})\n`);
    return 0;
  }

  let settings;
  try {
    settings = await resolveSettings(flags, await loadAgentConfig(flags.configFile));
  } catch (err) {
    if (err instanceof UsageError) return fail(2, err.message);
    return fail(1, `cannot load configuration:\n${(err as Error).message}`);
  }

  const clock = new RealClock();
  const logger = createLogger(settings.logLevel);
  const agent = new Agent({ settings, version: VERSION, clock, logger });
  let address;
  try {
    address = await agent.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'cannot start');
    return fail(1, (err as Error).message);
  }
  const url = `${address.url}metrics`;
  logger.info(
    {
      url,
      address: `${address.host}:${address.port}`,
      agent: settings.agentId,
      version: VERSION,
      storage: settings.storagePath,
      interval_ms: settings.collectorIntervalMs,
    },
    `listening on ${url}`,
  );

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    let reloading: Promise<void> = Promise.resolve();
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const deadline = clock.setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        resolveExit(1);
      }, SHUTDOWN_DEADLINE_MS);
      try {
        await agent.stop();
        logger.info('stopped');
        resolveExit(0);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'error while stopping');
        resolveExit(1);
      } finally {
        clock.clearTimeout(deadline);
      }
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      reloading = reloading.then(() => reload(flags, agent, logger));
    });
  });
}

/** SIGHUP: re-reads the config file; a bad one is refused and the running config kept. */
async function reload(flags: Flags, agent: Agent, logger: Logger): Promise<void> {
  if (flags.configFile === undefined) {
    logger.info('SIGHUP: no --config.file to reload');
    return;
  }
  try {
    const next = await resolveSettings(flags, await loadAgentConfig(flags.configFile));
    agent.applySettings(next);
    logger.info({ file: flags.configFile }, 'configuration reloaded');
  } catch (err) {
    logger.error({ file: flags.configFile, err: (err as Error).message }, 'configuration reload failed; keeping the previous configuration');
  }
}

function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`edgeprom-agent: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
