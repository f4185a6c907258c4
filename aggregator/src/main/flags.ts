/**
 * Command-line flags of `edgeprom-aggregator`, named as Prometheus names them so that
 * muscle memory and existing unit files carry over. Parsed with node:util parseArgs;
 * durations with Prometheus's syntax (`15s`, `1h30m`, `100y`).
 */
import { parseArgs } from 'node:util';
import { parseDuration, parseSize } from '@edgeprom/shared';

/** A usage problem: printed with the subcommand's help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServeFlags {
  configFile: string | undefined;
  tsdbPath: string;
  listen: { host: string | undefined; port: number };
  listenAddress: string;
  /** `--mqtt.listen-address`: overrides `mqtt.embedded.listen` (default :1883). */
  mqttListen: string | undefined;
  /** `--storage.tsdb.retention.time` (ms); undefined: the TSDB's default (15d unless a size is set). */
  retentionMs: number | undefined;
  /** `--storage.tsdb.retention.size` (bytes); undefined: no size limit. */
  retentionBytes: number | undefined;
  queryTimeoutMs: number;
  maxConcurrency: number;
  maxSamples: number;
  lookbackDeltaMs: number;
  enableAdminApi: boolean;
  /** `--web.enable-lifecycle`: POST/PUT /-/reload and /-/quit (otherwise 403, as Prometheus). */
  enableLifecycle: boolean;
  logLevel: LogLevel;
  /** As typed, for /api/v1/status/flags (Prometheus's flag map). */
  raw: Record<string, string>;
}

type Spec = { type: 'string' | 'boolean'; default?: string | boolean; short?: string };

export const SERVE_OPTIONS = {
  'config.file': { type: 'string' },
  'storage.tsdb.path': { type: 'string', default: 'data/aggregator' },
  'storage.tsdb.retention.time': { type: 'string' },
  'storage.tsdb.retention.size': { type: 'string' },
  'web.listen-address': { type: 'string', default: ':9090' },
  'web.enable-admin-api': { type: 'boolean', default: false },
  'web.enable-lifecycle': { type: 'boolean', default: false },
  'mqtt.listen-address': { type: 'string' },
  'query.timeout': { type: 'string', default: '2m' },
  'query.max-concurrency': { type: 'string', default: '20' },
  'query.max-samples': { type: 'string', default: '50000000' },
  'query.lookback-delta': { type: 'string', default: '5m' },
  'log.level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Record<string, Spec>;

export const SERVE_HELP = `usage: edgeprom-aggregator [flags]
       edgeprom-aggregator check config FILE...
       edgeprom-aggregator tsdb import openmetrics FILE [--storage.tsdb.path DIR]

The edgeprom aggregator: stores samples in its own TSDB and answers PromQL through the
Prometheus v1 HTTP API.

Flags:
  --config.file=FILE                 Configuration file (Prometheus format plus mqtt:).
                                     Without one the built-in defaults apply.
  --storage.tsdb.path=DIR            Base path for storage (default data/aggregator).
  --storage.tsdb.retention.time=DUR  How long to keep samples (default 15d, or no time limit
                                     when only a size is given); whole blocks are deleted.
  --storage.tsdb.retention.size=SIZE Most bytes of blocks + WAL + head chunks to keep, e.g.
                                     512MB (units B, KB, MB, GB, TB, PB, EB; base 2).
                                     Oldest blocks first.
  --web.listen-address=ADDR          host:port to listen on (default :9090).
  --web.enable-admin-api             Enable admin endpoints (default off).
  --web.enable-lifecycle             Enable shutdown and reload via HTTP: POST or PUT
                                     /-/quit and /-/reload (default off: 403 "Lifecycle API
                                     is not enabled.").
  --mqtt.listen-address=ADDR         host:port of the embedded MQTT broker (default: the
                                     config's mqtt.embedded.listen, :1883). Given, a failure
                                     to listen is fatal; the default address taken only
                                     disables MQTT (logged).
  --query.timeout=DUR                Maximum time a query may take (default 2m).
  --query.max-concurrency=N          Queries evaluated at once (default 20).
  --query.max-samples=N              Samples one query may hold in memory (default 50000000).
  --query.lookback-delta=DUR         How far back an instant selector looks (default 5m).
  --log.level=LEVEL                  debug, info, warn or error (default info). JSON on stderr.
  -h, --help                         Show this help.

Without --config.file it runs the embedded MQTT broker (allow_anonymous: loopback),
takes agents' pushes, and discovers agents by MQTT presence and mDNS (loopback) in
job "edgeprom", scraping each every 15s with instance = the agent id; job "self" scrapes
its own /metrics.

Signals: SIGTERM/SIGINT (or POST /-/quit with --web.enable-lifecycle) stop discovery,
scraping, MQTT ingest (in-flight batches are committed and acked), the broker, the HTTP
server, then close the TSDB (flushing the WAL) and exit 0. SIGHUP (or POST /-/reload
with --web.enable-lifecycle) re-reads and validates --config.file and applies scrape
configs, discovery, relabeling, the push: section and the embedded broker's devices and
allow_anonymous; a bad file keeps the old config and logs the error (/-/reload answers
500 with it).
The push API (push: in the config, off by default) answers PUT/POST/DELETE
/metrics/job/... on the same listener; /api/v1/fleet lists every known device (the
aggregator's own /metrics target is not one).
Not built yet: rules and alerting, remote write, the query log. Their config sections are
accepted and a warning is logged for each one set (see docs/aggregator.md).
`;

function duration(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function size(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSize(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `:9090`, `127.0.0.1:0`, `[::1]:9090`, `localhost:9090` → host (undefined = all) and port. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--web.listen-address: expected host:port, got ${JSON.stringify(addr)}`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

function mqttListen(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    parseListenAddress(v);
  } catch {
    throw new UsageError(`--mqtt.listen-address: expected host:port, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Turns `--name value` as well as `--name=value`; parseArgs handles both. */
export function parseServeFlags(argv: readonly string[]): ServeFlags & { help: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: SERVE_OPTIONS, allowPositionals: false, strict: true }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const s = (k: keyof typeof SERVE_OPTIONS): string => values[k] as string;
  const level = s('log.level');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log.level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const retention = values['storage.tsdb.retention.time'] as string | undefined;
  const raw: Record<string, string> = {};
  for (const k of Object.keys(SERVE_OPTIONS)) {
    if (k === 'help') continue;
    const v = values[k];
    raw[k] = v === undefined ? '' : String(v);
  }
  return {
    help: values.help === true,
    configFile: values['config.file'] as string | undefined,
    tsdbPath: s('storage.tsdb.path'),
    listenAddress: s('web.listen-address'),
    listen: parseListenAddress(s('web.listen-address')),
    mqttListen: mqttListen(values['mqtt.listen-address'] as string | undefined),
    retentionMs: retention === undefined ? undefined : duration('storage.tsdb.retention.time', retention),
    retentionBytes: size('storage.tsdb.retention.size', values['storage.tsdb.retention.size'] as string | undefined),
    queryTimeoutMs: duration('query.timeout', s('query.timeout')),
    maxConcurrency: positiveInt('query.max-concurrency', s('query.max-concurrency')),
    maxSamples: positiveInt('query.max-samples', s('query.max-samples')),
    lookbackDeltaMs: duration('query.lookback-delta', s('query.lookback-delta')),
    enableAdminApi: values['web.enable-admin-api'] === true,
    enableLifecycle: values['web.enable-lifecycle'] === true,
    logLevel: level as LogLevel,
    raw,
  };
}
