/**
 * Logging. Parts take a Logger (injected, never a global); the CLI makes the one real logger
 * (JSON lines on stdout). Libraries default to a silent one.
 *
 * The agent does not load pino: on a 512 MB device every MB of private memory counts, and
 * pino with its dependencies costs about 1.2 MB (docs/agent.md, Memory). This writer keeps
 * the line format the agent had with pino (`level` as a number, `time`, `name`, the fields,
 * then `msg`), so log tooling built for pino reads it unchanged, and `Logger` is the subset
 * of pino's interface the agent uses: a pino logger can be passed wherever a Logger is
 * expected (tests do, to capture lines).
 */
import { writeSync } from 'node:fs';

export type LevelWithSilent = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  /** The threshold; settable at run time (SIGHUP). */
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function isLogLevel(s: string): s is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** pino's numbers, so that `level >= 40` filters keep working. */
const LEVEL_VALUES: Record<LevelWithSilent, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** Errors as pino's serializer shows them; anything JSON cannot show as a string. */
function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Error) {
    const out: Record<string, unknown> = { type: v.name, message: v.message, stack: v.stack };
    const code = (v as NodeJS.ErrnoException).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

class JsonLogger implements Logger {
  #threshold: number;
  #level: LevelWithSilent;
  readonly #prefix: string;
  readonly #write: (line: string) => void;

  constructor(level: LevelWithSilent, base: Record<string, unknown>, write: (line: string) => void) {
    this.#level = level;
    this.#threshold = LEVEL_VALUES[level];
    // `{"level":` comes first, then these fixed fields.
    const fixed = JSON.stringify(base);
    this.#prefix = fixed.length > 2 ? `,${fixed.slice(1, -1)}` : '';
    this.#write = write;
  }

  get level(): string {
    return this.#level;
  }

  set level(l: string) {
    if (!isLogLevel(l)) throw new Error(`unknown log level ${JSON.stringify(l)} (one of ${LOG_LEVELS.join(', ')})`);
    this.#level = l;
    this.#threshold = LEVEL_VALUES[l];
  }

  #log(value: number, a: object | string, msg?: string): void {
    if (value < this.#threshold) return;
    let fields = '';
    let text = msg;
    if (typeof a === 'string') text = a;
    else {
      let json: string;
      try {
        json = JSON.stringify(a, replacer);
      } catch (err) {
        json = JSON.stringify({ log_error: `fields not serializable: ${(err as Error).message}` });
      }
      if (json.length > 2) fields = `,${json.slice(1, -1)}`;
    }
    const m = text !== undefined ? `,"msg":${JSON.stringify(text)}` : '';
    this.#write(`{"level":${value},"time":${Date.now()}${this.#prefix}${fields}${m}}\n`);
  }

  trace: LogFn = (a: object | string, msg?: string) => this.#log(10, a, msg);
  debug: LogFn = (a: object | string, msg?: string) => this.#log(20, a, msg);
  info: LogFn = (a: object | string, msg?: string) => this.#log(30, a, msg);
  warn: LogFn = (a: object | string, msg?: string) => this.#log(40, a, msg);
  error: LogFn = (a: object | string, msg?: string) => this.#log(50, a, msg);
  fatal: LogFn = (a: object | string, msg?: string) => this.#log(60, a, msg);
}

let silent: Logger | undefined;

/** A logger that writes nothing: the default for parts created without one. */
export function silentLogger(): Logger {
  return (silent ??= new JsonLogger('silent', {}, () => undefined));
}

/**
 * The agent's logger: JSON lines to `destination` (stdout by default). Writes to a file
 * descriptor are synchronous, so the last lines before an exit are never lost.
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 1): Logger {
  const write = typeof destination === 'number' ? (line: string) => writeFully(destination, line) : (line: string) => void destination.write(line);
  return new JsonLogger(level, { name: 'edgeprom-agent' }, write);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `line` to `fd`. A full non-blocking pipe (EAGAIN: journald or a shell
 * reading slowly) is retried for up to a second, as pino's synchronous destination does;
 * after that, or when stdout is gone (EPIPE), the line is dropped rather than crash the agent.
 */
function writeFully(fd: number, line: string): void {
  let buf = Buffer.from(line);
  for (let tries = 0; buf.length > 0 && tries < 1000; ) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      tries++;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
