/**
 * The discovery manager (Prometheus's discovery.Manager): runs the discoverers each job's
 * scrape config asks for, merges the groups they emit, keyed by (job, provider, source), and
 * hands the merged target sets to its subscribers (the scrape manager) at most once per
 * `updateInterval`.
 *
 *   const dm = new DiscoveryManager({ clock, logger, mqttClient });
 *   dm.subscribe((sets) => void scrape.updateTargets(sets)); // Map<job, TargetGroup[]>
 *   dm.applyConfig(config.scrape_configs);
 *   dm.start();
 *   ...
 *   dm.applyConfig(reloaded.scrape_configs);     // restarts only what changed
 *   await dm.stop();
 *
 * A provider is one discoverer for one discovery config. Providers are keyed by their
 * config, so identical configs in two jobs share one discoverer (one mDNS socket, one
 * subscription), and applyConfig keeps every provider whose config did not change, with its
 * groups, while it stops the ones no longer configured and starts the new ones.
 */
import { RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import type { RawScrapeConfig } from '@edgeprom/shared/config';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from './discovery-error.js';
import { FileDiscoverer } from './file-sd.js';
import { errorMessage } from './groups.js';
import { silentLogger, type Discoverer, type DiscoveryLogger, type TargetGroup } from './interface.js';
import { MdnsDiscoverer } from './mdns-sd.js';
import { MqttPresenceDiscoverer, type PresenceClient } from './mqtt-sd.js';
import { StaticDiscoverer } from './static-sd.js';

/** What the manager reads of a scrape config; the resolved ScrapeConfig satisfies it. */
export type DiscoveryJobConfig = Pick<RawScrapeConfig, 'job_name' | 'static_configs' | 'file_sd_configs' | 'mdns_sd_configs' | 'mqtt_sd_configs'>;

/** Every configured job (also those without targets), in config order, with its groups. */
export type TargetSets = Map<string, TargetGroup[]>;

export type ProviderKind = 'static' | 'file' | 'mdns' | 'mqtt';

/** Builds the discoverer for one provider; throwing marks the provider failed (logged). */
export type DiscovererFactory = (kind: ProviderKind, config: unknown) => Discoverer;

export interface DiscoveryManagerOptions {
  clock?: Clock;
  logger?: DiscoveryLogger;
  /** Least time between two sends to subscribers, ms; Prometheus's `updatert`, 5s. */
  updateInterval?: number;
  /** The aggregator's MQTT connection, for mqtt_sd_configs. Without it they log ERR_DISCOVERY_NO_MQTT_CLIENT. */
  mqttClient?: PresenceClient;
  /** Relative file_sd paths are resolved against it: the config file's directory. */
  baseDir?: string;
  /** Watch file_sd directories (default true). */
  fileWatch?: boolean;
  /** Extra multicast-dns options for every mDNS discoverer (tests: a port off 5353). */
  mdnsSocket?: Record<string, unknown>;
  /** Replaces the built-in discoverers (tests, or a kind we do not ship). */
  factory?: DiscovererFactory;
  /** Stops the manager when aborted. */
  signal?: AbortSignal;
}

export const DEFAULT_UPDATE_INTERVAL_MS = 5_000;

interface Provider {
  key: string;
  kind: ProviderKind;
  config: unknown;
  /** Groups by source; a source whose last group had no targets is deleted. */
  groups: Map<string, TargetGroup>;
  abort: AbortController;
  done: Promise<void>;
  started: boolean;
}

export class DiscoveryManager {
  readonly #clock: Clock;
  readonly #logger: DiscoveryLogger;
  readonly #interval: number;
  readonly #opts: DiscoveryManagerOptions;
  readonly #providers = new Map<string, Provider>();
  /** Job name → its providers' keys, in config order. */
  #jobs = new Map<string, string[]>();
  readonly #subscribers = new Set<(sets: TargetSets) => void>();
  #started = false;
  #stopped = false;
  #dirty = false;
  #timer: TimerHandle | undefined;
  #lastSend = -Infinity;
  #lastSent: TargetSets | undefined;

  constructor(opts: DiscoveryManagerOptions = {}) {
    this.#opts = opts;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger;
    this.#interval = opts.updateInterval ?? DEFAULT_UPDATE_INTERVAL_MS;
    opts.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /**
   * Calls `fn` with the full target sets after every debounced change (and at once with the
   * last sets sent, if any). The sets and groups are fresh arrays per send but the group
   * objects are shared: do not mutate them. Returns the unsubscribe function.
   */
  subscribe(fn: (sets: TargetSets) => void): () => void {
    this.#subscribers.add(fn);
    if (this.#lastSent) fn(this.#lastSent);
    return () => this.#subscribers.delete(fn);
  }

  /** Starts the providers of the current config (applyConfig before or after start). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const p of this.#providers.values()) this.#run(p);
    this.#markDirty();
  }

  /**
   * Takes a new set of scrape configs. Providers whose config is unchanged keep running with
   * their groups; the others stop, new ones start. Subscribers hear of the new job set with
   * the next send.
   */
  applyConfig(configs: readonly DiscoveryJobConfig[]): void {
    if (this.#stopped) return;
    const wanted = new Map<string, { kind: ProviderKind; config: unknown }>();
    const jobs = new Map<string, string[]>();
    for (const job of configs) {
      const keys: string[] = [];
      const add = (kind: ProviderKind, config: unknown, extra = '') => {
        const key = `${kind}:${extra}${JSON.stringify(config)}`;
        wanted.set(key, { kind, config });
        if (!keys.includes(key)) keys.push(key);
      };
      if (job.static_configs.length > 0) add('static', job.static_configs);
      for (const c of job.file_sd_configs) add('file', c, `${this.#opts.baseDir ?? ''}:`);
      for (const c of job.mdns_sd_configs) add('mdns', c);
      for (const c of job.mqtt_sd_configs) add('mqtt', c);
      jobs.set(job.job_name, keys);
    }
    for (const [key, p] of this.#providers) {
      if (wanted.has(key)) continue;
      p.abort.abort();
      this.#providers.delete(key);
      this.#logger.debug({ provider: key }, 'discovery: provider stopped');
    }
    for (const [key, { kind, config }] of wanted) {
      if (this.#providers.has(key)) continue;
      const p: Provider = { key, kind, config, groups: new Map(), abort: new AbortController(), done: Promise.resolve(), started: false };
      this.#providers.set(key, p);
      if (this.#started) this.#run(p);
    }
    this.#jobs = jobs;
    this.#markDirty();
  }

  /** The merged target sets now, ahead of the debounce (for the API and tests). */
  targets(): TargetSets {
    const sets: TargetSets = new Map();
    for (const [job, keys] of this.#jobs) {
      const groups: TargetGroup[] = [];
      for (const key of keys) {
        const p = this.#providers.get(key);
        if (p) for (const g of p.groups.values()) groups.push(g);
      }
      sets.set(job, groups);
    }
    return sets;
  }

  /** Stops every discoverer and waits for them to release their sockets and watchers. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const done = [...this.#providers.values()].map((p) => {
      p.abort.abort();
      return p.done;
    });
    this.#providers.clear();
    await Promise.all(done);
  }

  #create(kind: ProviderKind, config: unknown): Discoverer {
    const o = this.#opts;
    if (o.factory) return o.factory(kind, config);
    const common = { clock: this.#clock, logger: this.#logger };
    switch (kind) {
      case 'static':
        return new StaticDiscoverer(config as RawScrapeConfig['static_configs']);
      case 'file':
        return new FileDiscoverer(config as RawScrapeConfig['file_sd_configs'][number], { ...common, baseDir: o.baseDir, watch: o.fileWatch });
      case 'mdns':
        return new MdnsDiscoverer(config as RawScrapeConfig['mdns_sd_configs'][number], { ...common, socket: o.mdnsSocket });
      case 'mqtt':
        if (!o.mqttClient) {
          throw new DiscoveryError(DISCOVERY_ERROR_CODES.NO_MQTT_CLIENT, 'mqtt_sd_configs need an MQTT connection, and the aggregator has none');
        }
        return new MqttPresenceDiscoverer(config as RawScrapeConfig['mqtt_sd_configs'][number], o.mqttClient, { logger: this.#logger });
    }
  }

  #run(p: Provider): void {
    if (p.started) return;
    p.started = true;
    let d: Discoverer;
    try {
      d = this.#create(p.kind, p.config);
    } catch (e) {
      this.#logger.error({ err: e, code: (e as { code?: string }).code, provider: p.key }, `discovery: cannot start ${p.kind} discovery: ${errorMessage(e)}`);
      return;
    }
    const signal = p.abort.signal;
    const emit = (groups: TargetGroup[]) => {
      if (signal.aborted || this.#providers.get(p.key) !== p) return;
      for (const g of groups) {
        if (g.targets.length === 0) p.groups.delete(g.source);
        else p.groups.set(g.source, g);
      }
      this.#markDirty();
    };
    let running: Promise<void>;
    try {
      running = d.run(signal, emit);
    } catch (e) {
      running = Promise.reject(e);
    }
    p.done = running.catch((e: unknown) => {
      // Its groups stay: a discoverer that died knew them last.
      this.#logger.error({ err: e, provider: p.key }, `discovery: ${p.kind} discovery stopped: ${errorMessage(e)}`);
    });
  }

  #markDirty(): void {
    this.#dirty = true;
    if (!this.#started || this.#stopped || this.#timer) return;
    const delay = Math.max(0, this.#lastSend + this.#interval - this.#clock.monotonic());
    this.#timer = this.#clock.setTimeout(() => this.#send(), delay);
  }

  #send(): void {
    this.#timer = undefined;
    if (!this.#dirty || this.#stopped) return;
    this.#dirty = false;
    this.#lastSend = this.#clock.monotonic();
    const sets = this.targets();
    this.#lastSent = sets;
    this.#logger.debug(
      { targets: Object.fromEntries([...sets].map(([job, groups]) => [job, groups.reduce((n, g) => n + g.targets.length, 0)])) },
      'discovery: target sets sent',
    );
    for (const fn of this.#subscribers) {
      try {
        fn(sets);
      } catch (e) {
        this.#logger.error({ err: e }, `discovery: a subscriber threw: ${errorMessage(e)}`);
      }
    }
  }
}
