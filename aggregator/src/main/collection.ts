/**
 * How samples reach the TSDB, composed: the MQTT connection (embedded broker or external),
 * the push ingest on it, the discovery manager, and the scrape manager it feeds.
 *
 *   const c = await startCollection({ config, tsdb, logger, storageDir, ... });
 *   await c.applyConfig(reloaded);   // SIGHUP
 *   await c.stop();                  // discovery, scrape, ingest, MQTT (in that order)
 *
 * The HTTP API and the TSDB are the caller's (serve.ts): they stop after this.
 */
import type { Labels } from '@edgeprom/shared';
import type { AggregatorConfig } from '@edgeprom/shared/config';
import { DiscoveryManager, type TargetSets } from '../discovery/index.js';
import { createIngest, defaultTargetLabels, type Ingest } from '../ingest/index.js';
import { createMqttConnection, MqttError, type MqttConnection } from '../mqtt/index.js';
import { PresenceTracker } from './fleet.js';
import { ScrapeManager, type ScrapeJob, type TargetGroup } from '../scrape/index.js';
import { scrapeHttpSettings } from '../scrape/http-settings.js';
import type { Tsdb } from '../tsdb/tsdb.js';
import type { Logger } from './logger.js';

export interface CollectionOptions {
  config: AggregatorConfig;
  tsdb: Tsdb;
  logger: Logger;
  /** The TSDB directory; the embedded broker persists under `<storageDir>/mqtt`. */
  storageDir: string;
  /** Directory relative file_sd paths resolve against (the config file's). */
  baseDir?: string;
  /** `--mqtt.listen-address`, when given: overrides `mqtt.embedded.listen`, and a failure to listen is fatal. */
  mqttListen?: string;
  /** Discovery's debounce, ms (default 5 s, Prometheus's). */
  discoveryUpdateInterval?: number;
}

export interface Collection {
  /** undefined when the embedded broker could not listen on its default address. */
  readonly mqtt: MqttConnection | undefined;
  readonly ingest: Ingest | undefined;
  readonly discovery: DiscoveryManager;
  readonly scrape: ScrapeManager;
  /** The broker's URL (embedded), for the log and the startup line. */
  readonly mqttUrl: string | undefined;
  /** Latest presence of each agent (fleet view); undefined without MQTT. */
  readonly presence: PresenceTracker | undefined;
  /** The target labels each agent's pushes get, learnt from discovery (fleet view). */
  readonly pushLabels: ReadonlyMap<string, Labels>;
  /**
   * Applies a reloaded config: the embedded broker's devices and `allow_anonymous` first
   * (reading password files; a failure throws before anything changed), then scrape configs
   * and discovery (unchanged jobs and discoverers keep running). Other `mqtt:` changes need
   * a restart: they are logged and ignored.
   */
  applyConfig(config: AggregatorConfig): Promise<void>;
  /** Discovery, scrape, ingest (waits for in-flight commits and acks), MQTT. Idempotent. */
  stop(): Promise<void>;
}

export async function startCollection(opts: CollectionOptions): Promise<Collection> {
  const { config, tsdb, logger } = opts;
  const mqttLog = logger.child({ component: 'mqtt' });
  let mqtt: MqttConnection | undefined = createMqttConnection(config.mqtt, {
    storageDir: opts.storageDir,
    logger: mqttLog,
    ...(opts.mqttListen !== undefined ? { listen: opts.mqttListen } : {}),
  });
  try {
    await mqtt.start();
  } catch (e) {
    // Only the implicit default address may fail softly (another aggregator, or a mosquitto,
    // holds :1883): the server still stores, scrapes what mDNS finds and answers queries.
    const soft = e instanceof MqttError && e.code === 'ERR_MQTT_LISTEN' && opts.mqttListen === undefined;
    if (!soft) throw e;
    mqttLog.error(
      { err: e.message, code: e.code },
      'embedded MQTT broker disabled: it cannot listen; push ingest and MQTT presence discovery are off (set --mqtt.listen-address to make this fatal)',
    );
    mqtt = undefined;
  }
  const mqttUrl = mqtt?.broker?.url;

  let ingest: Ingest | undefined;
  let presence: PresenceTracker | undefined;
  // The push ingest's target labels: those of the scrape target discovered for the agent
  // (so pushed and scraped samples share their series whatever the relabeling), the
  // ingest's default for an agent never discovered.
  const agentLabels = new Map<string, Labels>();
  const scrape = ScrapeManager.create({
    appendable: tsdb,
    ...(opts.baseDir !== undefined ? { baseDir: opts.baseDir } : {}),
    onError: (msg, err) => logger.warn({ component: 'scrape', err: err instanceof Error ? err.message : String(err) }, msg),
    // As Prometheus: a failed scrape is a debug line (the target's health shows it).
    onScrape: (r) => {
      if (r.error !== undefined) logger.debug({ component: 'scrape', target: r.target.url, err: r.error.message }, 'scrape failed');
    },
  });
  const discovery = new DiscoveryManager({
    logger: logger.child({ component: 'discovery' }),
    ...(mqtt ? { mqttClient: mqtt.client } : {}),
    ...(opts.baseDir !== undefined ? { baseDir: opts.baseDir } : {}),
    ...(opts.discoveryUpdateInterval !== undefined ? { updateInterval: opts.discoveryUpdateInterval } : {}),
  });
  try {
    if (mqtt) {
      ingest = createIngest({
        client: mqtt.client,
        store: tsdb,
        topics: mqtt.topics,
        maxBatchBytes: config.mqtt.max_batch_bytes,
        targetLabels: (agent) => agentLabels.get(agent) ?? defaultTargetLabels(agent),
        logger: logger.child({ component: 'ingest' }),
      });
      await ingest.start();
      // A device that leaves (offline presence) takes its pushed family metadata with it.
      const pushIngest = ingest;
      presence = new PresenceTracker(mqtt.client, mqtt.topics, undefined, (agent) => pushIngest.deviceLeft(agent));
      presence.start();
    }
    await scrape.applyConfig(config.scrape_configs satisfies readonly ScrapeJob[]);
    scrape.start();
    discovery.subscribe((sets) => {
      scrape.updateTargets(dedupeAgents(sets)).then(() => learnAgentLabels(scrape, agentLabels)).catch((err: unknown) => {
        logger.error({ component: 'scrape', err: err instanceof Error ? err.message : String(err) }, 'target update failed');
      });
    });
    discovery.applyConfig(config.scrape_configs);
    discovery.start();
  } catch (e) {
    await discovery.stop().catch(() => undefined);
    await scrape.stop().catch(() => undefined);
    await presence?.stop().catch(() => undefined);
    await ingest?.stop().catch(() => undefined);
    await mqtt?.stop().catch(() => undefined);
    throw e;
  }
  logger.info(
    { mqtt: mqttUrl ?? (mqtt ? 'external' : 'off'), jobs: config.scrape_configs.map((j) => j.job_name) },
    'collection started',
  );

  let stopping: Promise<void> | undefined;
  let current = config;
  return {
    mqtt,
    ingest,
    discovery,
    scrape,
    mqttUrl,
    presence,
    pushLabels: agentLabels,
    async applyConfig(next) {
      // Scrape jobs' CA, cert and key files first: one that cannot be used refuses the reload before anything changes.
      for (const j of next.scrape_configs) scrapeHttpSettings(j, opts.baseDir);
      mqtt?.applyAccess(next.mqtt);
      const restartOnly = mqttRestartChanges(current.mqtt, next.mqtt);
      if (restartOnly.length > 0) {
        logger.warn({ component: 'mqtt', fields: restartOnly }, 'these mqtt settings changed but only apply after a restart');
      }
      await scrape.applyConfig(next.scrape_configs);
      discovery.applyConfig(next.scrape_configs);
      current = next;
    },
    stop() {
      stopping ??= (async () => {
        const step = async (what: string, f: () => Promise<void>): Promise<void> => {
          try {
            await f();
          } catch (err) {
            logger.error({ err: err instanceof Error ? err.message : String(err) }, `stopping ${what} failed`);
          }
        };
        await step('discovery', () => discovery.stop());
        await step('scrape', () => scrape.stop());
        if (presence) await step('presence', () => presence.stop());
        if (ingest) await step('ingest', () => ingest.stop());
        if (mqtt) await step('mqtt', () => mqtt.stop());
      })();
      return stopping;
    },
  };
}

/**
 * Records the public labels of every active target that names an agent (MQTT presence or
 * mDNS). The first job in config order wins for an agent scraped by several; an agent that
 * left keeps its last labels, so its later pushes (e.g. a backfill) stay in its series.
 */
export function learnAgentLabels(scrape: Pick<ScrapeManager, 'targetsActive'>, into: Map<string, Labels>): void {
  const seen = new Set<string>();
  for (const targets of scrape.targetsActive().values()) {
    for (const t of targets) {
      const id = t.discoveredLabels.get(MQTT_AGENT) || t.discoveredLabels.get(MDNS_AGENT);
      if (id === '' || seen.has(id)) continue;
      seen.add(id);
      const prev = into.get(id);
      if (prev === undefined || !prev.equals(t.publicLabels)) into.set(id, t.publicLabels);
    }
  }
}

/** `mqtt:` fields a reload cannot apply (everything but the embedded broker's access rules). */
export function mqttRestartChanges(a: AggregatorConfig['mqtt'], b: AggregatorConfig['mqtt']): string[] {
  const strip = (m: AggregatorConfig['mqtt']) => {
    const { embedded, ...rest } = m;
    if (embedded === undefined) return rest;
    const { devices: _d, allow_anonymous: _a, ...e } = embedded;
    return { ...rest, embedded: e };
  };
  const x = strip(a) as Record<string, unknown>;
  const y = strip(b) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) out.push(`mqtt.${k}`);
  }
  return out.sort();
}

const MQTT_AGENT = '__meta_mqtt_agent_id';
const MDNS_AGENT = '__meta_mdns_txt_agent';

/**
 * An agent found both by MQTT presence and by mDNS would be two targets of one job when the
 * two name different addresses (presence lists the LAN address first, mDNS answers on
 * loopback), and after relabeling `instance` to the agent id both write the same series.
 * Within a job, an mDNS target whose agent id also has an MQTT presence target is dropped:
 * the presence also tells when the agent goes offline. Other targets pass unchanged.
 */
export function dedupeAgents(sets: ReadonlyMap<string, TargetGroup[]>): TargetSets {
  const out: TargetSets = new Map();
  for (const [job, groups] of sets) {
    const viaMqtt = new Set<string>();
    for (const g of groups) {
      for (const t of g.targets) {
        const id = t[MQTT_AGENT] ?? g.labels[MQTT_AGENT];
        if (id) viaMqtt.add(id);
      }
    }
    if (viaMqtt.size === 0) {
      out.set(job, groups);
      continue;
    }
    const kept: TargetGroup[] = [];
    for (const g of groups) {
      const targets = g.targets.filter((t) => {
        if ((t[MQTT_AGENT] ?? g.labels[MQTT_AGENT]) !== undefined) return true;
        const id = t[MDNS_AGENT] ?? g.labels[MDNS_AGENT];
        return id === undefined || !viaMqtt.has(id);
      });
      if (targets.length === g.targets.length) kept.push(g);
      else if (targets.length > 0) kept.push({ ...g, targets });
    }
    out.set(job, kept);
  }
  return out;
}
