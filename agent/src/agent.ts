/**
 * The agent, composed: exporters → collector → sample buffer (LevelDB) and /metrics server,
 * with the settings that the CLI resolved from defaults, the config file and flags.
 * The buffer is a `collector.onCollect` listener, so every sample is recorded before a
 * scrape can see it. Presence and the pusher slot in here later, the pusher reading
 * `buffer.readFrom()` and `scrapeStats.sinceLastScrapeMs()`.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EdgepromError, RealClock, type Clock } from '@edgeprom/shared';
import { bufferExporter } from './buffer/exporter.js';
import type { SampleBuffer } from './buffer/interface.js';
import { LevelSampleBuffer } from './buffer/level-buffer.js';
import { MemorySampleBuffer } from './buffer/memory-buffer.js';
import { DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_BYTES } from './buffer/sample-buffer.js';
import { Collector } from './collector.js';
import type { Exporter } from './exporter/interface.js';
import { defaultExporters } from './exporter/defaults.js';
import type { OsRoots } from './exporter/roots.js';
import { silentLogger, type Logger } from './logger.js';
import { ScrapeStats } from './web/scrape-stats.js';
import { WebServer, type BoundAddress } from './web/server.js';

/** Everything the agent runs with, resolved (see settings.ts). */
export interface AgentSettings {
  listenAddress: string;
  storagePath: string;
  agentId: string;
  /** Validated and shown, not used yet (presence and push come later). */
  mqttUrl?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  collectorIntervalMs: number;
  textfileDirectory?: string;
  /** Exporters switched on (true) or off (false) by name; unnamed ones are on. */
  exporters: Record<string, boolean>;
  /** The sample buffer's bounds and flush interval (config `buffer:`); defaults when absent. */
  buffer?: { maxBytes: number; maxAgeMs: number; flushIntervalMs: number };
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
}

/** Settings that take effect only on restart; a reload that changes them says so. */
const RESTART_ONLY: (keyof AgentSettings)[] = ['listenAddress', 'storagePath', 'agentId', 'mqttUrl', 'roots', 'buffer'];

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

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#settings = opts.settings;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#buffer = opts.buffer ?? new LevelSampleBuffer({ path: join(this.#settings.storagePath, 'buffer'), ...this.#bufferOptions() });
    this.scrapeStats = new ScrapeStats(this.#clock);
    this.collector = new Collector({
      exporters: this.#exportersFor(this.#settings),
      intervalMs: this.#settings.collectorIntervalMs,
      clock: this.#clock,
      logger: this.#logger,
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
    this.#unsubscribe = this.collector.onCollect((families, timestampMs) => this.#buffer.append(families, timestampMs));
    this.collector.start();
    try {
      return await this.server.start();
    } catch (err) {
      await this.collector.stop();
      await this.#closeBuffer();
      throw err;
    }
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

  /** Stops serving and collecting, then flushes and closes the buffer (SIGTERM). */
  async stop(): Promise<void> {
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
