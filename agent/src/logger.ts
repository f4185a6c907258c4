/**
 * Logging. Parts take a pino Logger (injected, never a global); the CLI makes the one real
 * logger (JSON lines on stdout). Libraries default to a silent one.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function isLogLevel(s: string): s is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

let silent: Logger | undefined;

/** A logger that writes nothing: the default for parts created without one. */
export function silentLogger(): Logger {
  return (silent ??= pino({ level: 'silent' }));
}

/** The agent's logger: JSON lines to `destination` (stdout by default), synchronous writes. */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 1): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino({ level, base: { name: 'edgeprom-agent' } }, dest);
}
