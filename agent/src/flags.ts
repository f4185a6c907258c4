/**
 * Command-line flags of `edgeprom-agent`, Prometheus style (`--web.listen-address=:9100`).
 * Parsing is pure: argv in, flags out, or a UsageError whose message is shown as is.
 */
import { parseArgs } from 'node:util';
import { agentMqttUrlError, EdgepromError, parseDuration } from '@edgeprom/shared';
import { parseListenAddress } from './web/listen-address.js';

export class UsageError extends EdgepromError {
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

export const FLAG_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type FlagLogLevel = (typeof FLAG_LOG_LEVELS)[number];

/** Flags as given; a field is set only when its flag was on the command line. */
export interface Flags {
  help: boolean;
  version: boolean;
  configFile?: string;
  listenAddress?: string;
  storagePath?: string;
  agentId?: string;
  mqttUrl?: string;
  logLevel?: FlagLogLevel;
  collectorIntervalMs?: number;
  textfileDirectory?: string;
  procfs?: string;
  sysfs?: string;
  rootfs?: string;
  pushMode?: 'auto' | 'pull' | 'push';
  pushAfterMs?: number;
  /** --mdns.interface, repeatable: replaces mdns.advertise_interfaces. */
  mdnsInterfaces?: string[];
  /** --no-mdns */
  noMdns?: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  'config.file': { type: 'string' },
  'web.listen-address': { type: 'string' },
  'storage.path': { type: 'string' },
  'agent.id': { type: 'string' },
  'mqtt.url': { type: 'string' },
  'log.level': { type: 'string' },
  'collector.interval': { type: 'string' },
  'collector.textfile.directory': { type: 'string' },
  'path.procfs': { type: 'string' },
  'path.sysfs': { type: 'string' },
  'path.rootfs': { type: 'string' },
  'push.mode': { type: 'string' },
  'push.after': { type: 'string' },
  'mdns.interface': { type: 'string', multiple: true },
  'no-mdns': { type: 'boolean' },
} as const;

export const HELP = `usage: edgeprom-agent [flags]

The edgeprom agent: node_exporter-compatible metrics of this device on /metrics.
Runs with no flags and no config file; flags given here override the config file.

Flags:
  -h, --help                      Show this help and exit.
      --version                   Show the version and exit.
      --config.file=PATH          Agent config file (YAML). Reloaded on SIGHUP; a config
                                  that does not validate is refused and the old one kept.
      --web.listen-address=ADDR   Where to serve /metrics. [default: :9100]
                                  host:port; port 0 picks a free port (the log says which).
      --storage.path=DIR          Directory for the sample buffer and agent state.
                                  [default: data/agent] Created if missing. The buffer
                                  (LevelDB) is DIR/buffer; see the config's buffer: section.
      --agent.id=ID               Names this device in MQTT topics and labels.
                                  [default: /etc/machine-id, else the host name]
      --mqtt.url=URL              MQTT broker (mqtt:// or mqtts://; not ws://) for presence
                                  and push. [default: none: pull only] Credentials, client
                                  id and topic prefix: the config's mqtt: section.
      --push.mode=MODE            auto: push buffered samples when not scraped for
                                  --push.after, and backfill the gap after scrapes resume;
                                  pull: never push; push: always push. [default: auto]
      --push.after=DUR            Not scraped for this long: start pushing.
                                  [default: 3 x --collector.interval]
      --mdns.interface=ADDR       Advertise _edgeprom._tcp and _prometheus-http._tcp on the
                                  interface with this IPv4 address; repeatable; 0.0.0.0 for
                                  every interface. [default: 127.0.0.1, this machine only]
      --no-mdns                   Do not advertise over mDNS.
      --log.level=LEVEL           debug, info, warn or error. [default: info]
      --collector.interval=DUR    How often exporters run, e.g. 15s, 1m. [default: 15s]
                                  Scrapes serve the latest collection; they never wait for one.
      --collector.textfile.directory=DIR
                                  Serve metrics from *.prom files in DIR (node_exporter's
                                  textfile collector). [default: off]
      --path.procfs=DIR           procfs mount point. [default: /proc]
      --path.sysfs=DIR            sysfs mount point. [default: /sys]
      --path.rootfs=DIR           Host root filesystem (containers). [default: /]

Signals: SIGTERM/SIGINT stop cleanly (exit 0); SIGHUP reloads --config.file.
Endpoints: /metrics, /-/healthy, /-/ready, /.
`;

function nonEmpty(flag: string, v: string): string {
  if (v.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  return v;
}

export function parseFlags(argv: readonly string[]): Flags {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(describeParseArgsError(err));
  }
  const s = (k: keyof typeof OPTIONS) => (typeof values[k] === 'string' ? nonEmpty(k, values[k] as string) : undefined);
  const flags: Flags = { help: values.help === true, version: values.version === true };

  flags.configFile = s('config.file');
  flags.storagePath = s('storage.path');
  flags.textfileDirectory = s('collector.textfile.directory');
  flags.procfs = s('path.procfs');
  flags.sysfs = s('path.sysfs');
  flags.rootfs = s('path.rootfs');

  const listen = s('web.listen-address');
  if (listen !== undefined) {
    try {
      parseListenAddress(listen);
    } catch (err) {
      throw new UsageError(`--web.listen-address: ${(err as Error).message}`);
    }
    flags.listenAddress = listen;
  }

  const id = s('agent.id');
  if (id !== undefined) {
    const why = agentIdError(id);
    if (why) throw new UsageError(`--agent.id: ${why}`);
    flags.agentId = id;
  }

  const mqtt = s('mqtt.url');
  if (mqtt !== undefined) {
    const why = agentMqttUrlError(mqtt);
    if (why) throw new UsageError(`--mqtt.url: ${why}`);
    flags.mqttUrl = mqtt;
  }

  const mode = s('push.mode');
  if (mode !== undefined) {
    if (!['auto', 'pull', 'push'].includes(mode)) throw new UsageError(`--push.mode: ${JSON.stringify(mode)} is not one of auto, pull, push`);
    flags.pushMode = mode as Flags['pushMode'];
  }

  const after = s('push.after');
  if (after !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(after);
    } catch (err) {
      throw new UsageError(`--push.after: ${(err as Error).message}`);
    }
    if (ms <= 0) throw new UsageError('--push.after: must be greater than 0');
    flags.pushAfterMs = ms;
  }

  const ifaces = values['mdns.interface'] as unknown as string[] | undefined;
  if (ifaces !== undefined) {
    for (const a of ifaces) {
      if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(a) || a.split('.').some((o) => Number(o) > 255)) {
        throw new UsageError(`--mdns.interface: ${JSON.stringify(a)} is not an IPv4 interface address`);
      }
    }
    flags.mdnsInterfaces = ifaces;
  }
  if (values['no-mdns'] === true) flags.noMdns = true;

  const level = s('log.level');
  if (level !== undefined) {
    if (!(FLAG_LOG_LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`--log.level: ${JSON.stringify(level)} is not one of ${FLAG_LOG_LEVELS.join(', ')}`);
    }
    flags.logLevel = level as FlagLogLevel;
  }

  const interval = s('collector.interval');
  if (interval !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(interval);
    } catch (err) {
      throw new UsageError(`--collector.interval: ${(err as Error).message}`);
    }
    if (ms <= 0) throw new UsageError('--collector.interval: must be greater than 0');
    flags.collectorIntervalMs = ms;
  }
  return flags;
}

/** Same rule as the config file's agent_id: it becomes an MQTT topic level and a label value. */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function agentIdError(id: string): string | undefined {
  return AGENT_ID.test(id)
    ? undefined
    : `${JSON.stringify(id)} is not a valid agent id (up to 128 letters, digits, and _ . : -, starting with a letter or digit)`;
}


function describeParseArgsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e.message ?? String(err);
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const m = /'([^']+)'/.exec(msg);
      return `unknown flag ${m ? m[1] : ''}`.trim();
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const m = /'([^']+)'/.exec(msg);
      return `unexpected argument ${m ? JSON.stringify(m[1]) : ''} (flags take the form --name=value)`.trim();
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return msg.replace(/^Option '([^']+)'.*argument missing.*$/s, 'flag $1 needs a value').replace(/ <value>/, '');
    default:
      return msg;
  }
}
