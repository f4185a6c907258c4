/**
 * The agent, composed: exporters → collector → sample buffer (LevelDB) and /metrics server,
 * with the settings that the CLI resolved from defaults, the config file and flags.
 * The buffer is fed by a `collector.onCollect` listener, so every sample is recorded before
 * a scrape can see it; that listener is the clock gate (clock/gate.ts), which holds samples
 * with monotonic time while the wall clock is untrusted and re-bases them once it is.
 * With an MQTT broker configured: presence (retained, last will) and the
 * pusher, which reads `buffer.readFrom()` and `scrapeStats` (push/pusher.ts). mDNS
 * advertisement runs with or without MQTT (loopback only unless configured otherwise).
 *
 *   start: buffer → clock gate → collector → /metrics → boot seq → mDNS, MQTT (presence, pusher)
 *   stop:  pusher → offline presence → MQTT disconnect → mDNS goodbye → /metrics, collector → buffer
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EdgepromError, RealClock, type Clock } from '@edgeprom/shared';
import { bufferExporter } from './buffer/exporter.js';
import type { SampleBuffer } from './buffer/interface.js';
import { LevelSampleBuffer } from './buffer/level-buffer.js';
import { MemorySampleBuffer } from './buffer/memory-buffer.js';
import { DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_BYTES } from './buffer/sample-buffer.js';
import { bootMonotonic } from './clock/boot-monotonic.js';
import { ClockGate } from './clock/gate.js';
import { readOsSync } from './clock/os-sync.js';
import { ClockTrust } from './clock/trust.js';
import { Collector } from './collector.js';
import type { Exporter } from './exporter/interface.js';
import { defaultExporters } from './exporter/defaults.js';
import type { OsRoots } from './exporter/roots.js';
import { silentLogger, type Logger } from './logger.js';
// MQTT (our client, the CBOR wire format) and mDNS (bonjour-service) are loaded only when
// configured (see #startPresence): an agent without them does not pay their memory.
import type { MqttConnection, MqttSettings } from './mqtt/connection.js';
import { nextBootSeq } from './presence/boot-seq.js';
import type { MdnsAdvertiser } from './presence/mdns.js';
import type { Presence } from './presence/presence.js';
import { pushExporter } from './push/metrics.js';
import type { Pusher, PushSettings } from './push/pusher.js';
import { ScrapeWindow } from './push/scrape-window.js';
import { ScrapeStats } from './web/scrape-stats.js';
import { WebServer, type BoundAddress } from './web/server.js';

/** Everything the agent runs with, resolved (see settings.ts). */
export interface AgentSettings {
  listenAddress: string;
  storagePath: string;
  agentId: string;
  /** The MQTT broker for presence and push; unset: pull only, no presence. */
  mqttUrl?: string;
  /** The rest of the config's `mqtt:` section. */
  mqtt?: Omit<MqttSettings, 'url' | 'topicPrefix'> & { topicPrefix?: string };
  /** Config `push:`; default auto mode, push_after 3 collect intervals. */
  push?: Omit<PushSettings, 'pushAfterMs'> & { pushAfterMs?: number };
  /** Config `mdns:`; absent: no advertisement (resolveSettings always fills it in). */
  mdns?: { enabled: boolean; interfaces: string[]; instanceName?: string };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  collectorIntervalMs: number;
  textfileDirectory?: string;
  /** Exporters switched on (true) or off (false) by name; unnamed ones are on. */
  exporters: Record<string, boolean>;
  /** The sample buffer's bounds and flush interval (config `buffer:`); defaults when absent. */
  buffer?: { maxBytes: number; maxAgeMs: number; flushIntervalMs: number };
  /** When the wall clock is trusted (config `clock:`, clock/trust.ts); defaults when absent. */
  clock?: { jumpToleranceMs?: number; stableForMs?: number; notBeforeMs?: number; osSyncFile?: string };
  roots: OsRoots;
}

export interface AgentOptions {
  settings: AgentSettings;
  version: string;
  clock?: Clock;
  logger?: Logger;
  /** Replaces the default exporter set (tests). */
  exporters?: (settings: AgentSettings) => Exporter[];
  /** Replaces the LevelDB buffer under `<storagePath>/buffer` (tests). Opened and closed by the agent. */
  buffer?: SampleBuffer;
  /** Where the kernel boot id is read (tests). Default /proc/sys/kernel/random/boot_id. */
  bootIdPath?: string;
  /** MQTT tuning (tests): ack timeout, reconnect backoff, pusher tick. */
  mqttTuning?: { ackTimeoutMs?: number; minBackoffMs?: number; maxBackoffMs?: number; tickMs?: number; localTrimIntervalMs?: number };
  /** Extra multicast-dns socket options (tests: `{port}` to stay off 5353). */
  mdnsSocket?: Record<string, unknown>;
}

/** The metrics path presence and mDNS announce. */
export const METRICS_PATH = '/metrics';

/** Settings that take effect only on restart; a reload that changes them says so. */
const RESTART_ONLY: (keyof AgentSettings)[] = ['listenAddress', 'storagePath', 'agentId', 'mqttUrl', 'mqtt', 'mdns', 'roots', 'buffer', 'clock'];

export class Agent {
  readonly #opts: AgentOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #settings: AgentSettings;
  readonly scrapeStats: ScrapeStats;
  readonly collector: Collector;
  readonly server: WebServer;
  #buffer: SampleBuffer;
  #unsubscribe: (() => void) | undefined;
  #window: ScrapeWindow | undefined;
  #conn: MqttConnection | undefined;
  #presence: Presence | undefined;
  #pusher: Pusher | undefined;
  #mdns: MdnsAdvertiser | undefined;
  #bootSeq: number | undefined;
  /** Released held seqs the pusher owes (kept for a pusher that starts later). */
  #owedSeq: number | undefined;
  readonly #trust: ClockTrust;
  #gate: ClockGate | undefined;

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#settings = opts.settings;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#buffer = opts.buffer ?? new LevelSampleBuffer({ path: join(this.#settings.storagePath, 'buffer'), ...this.#bufferOptions() });
    this.scrapeStats = new ScrapeStats(this.#clock);
    const c = this.#settings.clock;
    this.#trust = new ClockTrust({ jumpToleranceMs: c?.jumpToleranceMs, stableForMs: c?.stableForMs, notBeforeMs: c?.notBeforeMs });
    this.collector = new Collector({
      exporters: this.#exportersFor(this.#settings),
      intervalMs: this.#settings.collectorIntervalMs,
      clock: this.#clock,
      logger: this.#logger,
      timestampsTrusted: () => this.#trust.trusted,
    });
    this.server = new WebServer({
      source: this.collector,
      listen: this.#settings.listenAddress,
      scrapeStats: this.scrapeStats,
      logger: this.#logger,
      agentId: this.#settings.agentId,
      version: opts.version,
    });
  }

  get settings(): AgentSettings {
    return this.#settings;
  }

  /** The MQTT connection, when a broker is configured and the agent started. */
  get mqtt(): MqttConnection | undefined {
    return this.#conn;
  }

  get presence(): Presence | undefined {
    return this.#presence;
  }

  get pusher(): Pusher | undefined {
    return this.#pusher;
  }

  get mdns(): MdnsAdvertiser | undefined {
    return this.#mdns;
  }

  /** This start's presence boot seq (presence/boot-seq.ts), once started. */
  get bootSeq(): number | undefined {
    return this.#bootSeq;
  }

  #pushSettings(s: AgentSettings): PushSettings {
    return {
      mode: s.push?.mode ?? 'auto',
      pushAfterMs: s.push?.pushAfterMs ?? 3 * s.collectorIntervalMs,
      maxBatchBytes: s.push?.maxBatchBytes,
      rateLimitBytesPerSec: s.push?.rateLimitBytesPerSec,
    };
  }

  /** The clock gate (clock/gate.ts), once started. */
  get clockGate(): ClockGate | undefined {
    return this.#gate;
  }

  /** The sample buffer (the pusher reads it). */
  get buffer(): SampleBuffer {
    return this.#buffer;
  }

  #bufferOptions() {
    const b = this.#settings.buffer;
    return {
      clock: this.#clock,
      logger: this.#logger,
      bootIdPath: this.#opts.bootIdPath,
      maxBytes: b?.maxBytes ?? DEFAULT_MAX_BYTES,
      maxAgeMs: b?.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      flushIntervalMs: b?.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    };
  }

  /** Prepares the storage directory, opens the buffer, starts collecting into it, then listens. */
  async start(): Promise<BoundAddress> {
    await ensureWritableDir(this.#settings.storagePath);
    await this.#openBuffer();
    const st = this.#buffer.stats();
    const cur = st.boots.find((b) => b.boot === st.boot);
    const window = new ScrapeWindow(st.boot, (cur?.lastSeq ?? 0) + st.pendingSamples, st.held.samples > 0);
    this.#window = window;
    const s = this.#settings;
    const osSyncFile = s.clock?.osSyncFile;
    this.#gate = new ClockGate({
      buffer: this.#buffer,
      trust: this.#trust,
      boot: await bootMonotonic(this.#clock, s.roots.procfs, st.boot),
      osSync: () => readOsSync(s.roots.rootfs, osSyncFile),
      logger: this.#logger,
      // The window notes the seqs of each cycle the buffer appended, and which held cycles
      // scrapes served. Released held samples take seqs in no cycle a scrape served: when
      // some held cycle went unscraped, the pusher owes them (else a local trim drops them).
      onAppend: (families, t) => window.onCycle(families, t),
      onHold: (t) => window.onHeld(t),
      onRelease: (n) => {
        if (window.release(n)) this.#owe(window.highWater);
      },
    });
    const gate = this.#gate;
    await gate.start();
    this.#unsubscribe = this.collector.onCollect((families, timestampMs, monotonicMs) => gate.record(families, timestampMs, monotonicMs));
    this.collector.start();
    let address: BoundAddress;
    try {
      address = await this.server.start();
    } catch (err) {
      await this.collector.stop();
      await this.#closeBuffer();
      throw err;
    }
    await this.#startPresence(address);
    return address;
  }

  async #startPresence(address: BoundAddress): Promise<void> {
    const s = this.#settings;
    if (!s.mqttUrl && !s.mdns?.enabled) return;
    const st = this.#buffer.stats();
    const bootSeq = await nextBootSeq(s.storagePath, this.#logger, st.bootOrdinal);
    this.#bootSeq = bootSeq;
    // In push mode nobody should scrape this agent: it advertises no address (no mDNS record,
    // presence without addresses/port), so discovery keeps it out of the target set and the
    // aggregator learns of it from presence and pushes alone.
    const pushOnly = s.push?.mode === 'push';
    if (s.mdns?.enabled && !pushOnly) {
      const { MdnsAdvertiser } = await import('./presence/mdns.js');
      this.#mdns = new MdnsAdvertiser({
        info: { name: s.mdns.instanceName ?? s.agentId, agent: s.agentId, version: this.#opts.version, metricsPath: METRICS_PATH, port: address.port, boot: st.boot, bootSeq },
        interfaces: s.mdns.interfaces,
        logger: this.#logger,
        socket: this.#opts.mdnsSocket,
      });
      try {
        this.#mdns.start();
      } catch (err) {
        this.#logger.error({ err: (err as Error).message }, 'mdns: cannot advertise');
      }
    }
    if (!s.mqttUrl) return;
    const [{ topics: wireTopics }, { MqttConnection }, { Presence }, { Pusher }, { scrapeAddresses }, { pushMetadata }] = await Promise.all([
      import('@edgeprom/shared/wire'),
      import('./mqtt/connection.js'),
      import('./presence/presence.js'),
      import('./push/pusher.js'),
      import('./presence/addresses.js'),
      import('./push/family-metadata.js'),
    ]);
    const topics = wireTopics(s.mqtt?.topicPrefix ?? 'edgeprom/');
    const t = this.#opts.mqttTuning ?? {};
    this.#presence = new Presence({
      info: {
        agent: s.agentId, boot: st.boot, bootSeq, version: this.#opts.version, metricsPath: METRICS_PATH,
        ...(pushOnly ? {} : { addresses: scrapeAddresses(address.host), port: address.port }),
      },
      topics,
      clock: this.#clock,
      logger: this.#logger,
    });
    this.#conn = new MqttConnection({
      settings: { ...s.mqtt, url: s.mqttUrl, topicPrefix: topics.prefix },
      agentId: s.agentId,
      will: this.#presence.will(),
      clock: this.#clock,
      logger: this.#logger,
      minBackoffMs: t.minBackoffMs,
      maxBackoffMs: t.maxBackoffMs,
    });
    this.#presence.attach(this.#conn);
    this.#pusher = new Pusher({
      agentId: s.agentId,
      buffer: this.#buffer,
      conn: this.#conn,
      topics,
      scrapeStats: this.scrapeStats,
      window: this.#window!,
      lastCollectionMs: () => this.collector.lastCollectionMs,
      settings: this.#pushSettings(s),
      clock: this.#clock,
      logger: this.#logger,
      ackTimeoutMs: t.ackTimeoutMs,
      tickMs: t.tickMs,
      localTrimIntervalMs: t.localTrimIntervalMs,
      // Family TYPE/HELP/UNIT go along with batches (wire `meta`), each once per connection.
      metadata: pushMetadata(this.collector),
    });
    if (this.#owedSeq !== undefined) this.#pusher.owe(this.#owedSeq);
    this.#pusher.start();
    try {
      await this.#conn.start();
    } catch (err) {
      // A password file that cannot be read: serve pull only rather than not start.
      this.#logger.error({ err: (err as Error).message }, 'mqtt: cannot connect; presence and push are off');
    }
  }

  #owe(seqTo: number): void {
    this.#owedSeq = Math.max(this.#owedSeq ?? 0, seqTo);
    this.#pusher?.owe(seqTo);
  }

  async #stopPresence(): Promise<void> {
    await this.#pusher?.stop();
    await this.#presence?.goodbye();
    await this.#conn?.stop();
    await this.#mdns?.stop();
    this.#pusher = undefined;
    this.#presence = undefined;
    this.#conn = undefined;
    this.#mdns = undefined;
  }

  /**
   * LevelDB recovers from damage itself (level-store.ts). If even a fresh database cannot be
   * created, the agent keeps collecting and serving with a memory buffer rather than exit
   * into a restart loop; history is then lost on restart, which the log says.
   */
  async #openBuffer(): Promise<void> {
    try {
      await this.#buffer.open();
    } catch (err) {
      if (this.#opts.buffer) throw err;
      this.#logger.error({ err: (err as Error).message, path: join(this.#settings.storagePath, 'buffer') }, 'cannot open the buffer database; buffering in memory only, history is lost on restart');
      this.#buffer = new MemorySampleBuffer(this.#bufferOptions());
      await this.#buffer.open();
    }
  }

  async #closeBuffer(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const pending = this.#buffer.stats().pendingSamples;
    try {
      await this.#buffer.close();
      if (pending > 0) this.#logger.info({ samples: pending }, 'buffer flushed');
    } catch (err) {
      this.#logger.error({ err: (err as Error).message, samples: pending }, 'buffer flush on stop failed; these samples are lost');
    }
  }

  /**
   * SIGTERM: stops pushing, publishes offline presence (retained) and disconnects, says
   * goodbye on mDNS, stops serving and collecting, then flushes and closes the buffer.
   */
  async stop(): Promise<void> {
    await this.#stopPresence().catch((err: unknown) => this.#logger.error({ err: (err as Error).message }, 'error while leaving MQTT/mDNS'));
    await Promise.all([this.server.stop(), this.collector.stop()]);
    await this.#closeBuffer();
  }

  /** Applies reloaded settings: interval, exporters, textfile directory, log level. */
  applySettings(next: AgentSettings): void {
    for (const key of RESTART_ONLY) {
      if (JSON.stringify(next[key]) !== JSON.stringify(this.#settings[key])) {
        this.#logger.warn({ setting: key }, `${key} changed in the configuration; it takes effect on restart`);
      }
    }
    const applied: AgentSettings = { ...next };
    for (const key of RESTART_ONLY) (applied as unknown as Record<string, unknown>)[key] = this.#settings[key];
    this.collector.applyConfig({ intervalMs: applied.collectorIntervalMs, exporters: this.#exportersFor(applied) });
    this.#pusher?.applySettings(this.#pushSettings(applied));
    this.#logger.level = applied.logLevel;
    this.#settings = applied;
  }

  #exportersFor(s: AgentSettings): Exporter[] {
    const all = this.#opts.exporters
      ? this.#opts.exporters(s)
      : defaultExporters({
          clock: this.#clock,
          logger: this.#logger,
          roots: s.roots,
          textfileDirectory: s.textfileDirectory,
          agentId: s.agentId,
          version: this.#opts.version,
        });
    all.push(this.scrapeStats.exporter());
    all.push(bufferExporter({ metrics: () => this.#buffer.metrics() }));
    all.push({ name: 'clock', live: true, collect: async () => this.#gate?.families() ?? [] });
    if (s.mqttUrl) all.push(pushExporter(() => this.#pusher, () => this.#conn));
    const known = new Set(all.map((e) => e.name));
    for (const name of Object.keys(s.exporters)) {
      if (!known.has(name)) this.#logger.warn({ exporter: name }, `exporters: no exporter named "${name}" (known: ${[...known].join(', ')})`);
    }
    return all.filter((e) => s.exporters[e.name] !== false);
  }
}

/** Creates the directory if needed and checks we can write there, with a clear error. */
export async function ensureWritableDir(path: string): Promise<void> {
  const abs = resolve(path);
  try {
    await mkdir(abs, { recursive: true });
    await access(abs, constants.W_OK);
  } catch (err) {
    throw new EdgepromError('ERR_STORAGE_PATH', `storage path ${abs} is not a writable directory: ${(err as Error).message}`, { cause: err });
  }
}
