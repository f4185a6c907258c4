/**
 * The process logger: pino JSON lines on stderr (stdout is kept for what the user asked
 * for, such as the URL or a subcommand's output). Parts receive children of it.
 */
import { pino } from 'pino';
import type { LogLevel } from './flags.js';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(level: LogLevel, destination: NodeJS.WritableStream | number = 2): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino({ level, base: { app: 'edgeprom-aggregator' } }, dest);
}
