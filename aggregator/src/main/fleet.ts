/**
 * The fleet view (`/api/v1/fleet`): one entry per device the aggregator knows, whichever way
 * it learnt of it: a scrape target (static, file, mDNS or MQTT presence discovery), an MQTT
 * presence message, or a push batch. See docs/http-api.md#fleet for the fields.
 *
 * A device is keyed by its agent id when one is known (`__meta_mqtt_agent_id`,
 * `__meta_mdns_txt_agent`, the push topic, the presence topic), otherwise by the `instance`
 * label of its target. Sources:
 *
 *  - the scrape manager's active targets: health, last error, last scrape and its duration;
 *  - the ingest's DeviceState: last push, its result and error, boot, acked seq, `dropped`;
 *  - PresenceTracker (below): online/offline and the device's clock in live presence messages;
 *  - the TSDB: the newest `edgeprom_push_backlog_samples` of the device (the agent's own
 *    gauge, scraped or pushed: wire v1 batches carry no backlog field) and the scraped
 *    `node_time_seconds` (clock offset).
 *
 * Clock offset (device minus aggregator, seconds; positive when the device is ahead):
 *  - `scrape`: the `node_time_seconds` sample of the last scrape. Its timestamp is the scrape's
 *    start on the aggregator's clock, its value the device's clock read while answering, so
 *    offset = value - (start + duration / 2); the error is at most half the scrape duration.
 *    Only a sample whose timestamp is exactly the target's last scrape counts (a pushed
 *    `node_time_seconds` carries the device's own timestamp and says nothing).
 *  - `presence`: a presence message delivered live (not a retained copy) carries `ts`, the
 *    device's clock when sent; offset = ts - arrival. Biased low by the MQTT delivery delay.
 *  The scrape method wins when both exist.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { MqttClient } from 'mqtt';
import { Labels, RealClock, type Clock } from '@edgeprom/shared';
import { decodeMessage, type Topics } from '@edgeprom/shared/wire';
import { METRICS_PATH, type FleetParams } from '../api/index.js';
import { defaultTargetLabels, type DeviceState, type Ingest } from '../ingest/index.js';
import type { ScrapeManager, Target } from '../scrape/index.js';
import { goTime } from '../scrape/targets-api.js';
import type { Queryable } from '../storage/interface.js';
import { Matcher } from '../storage/matcher.js';
import { isStaleNaN } from '../storage/value.js';

export const BACKLOG_METRIC = 'edgeprom_push_backlog_samples';
export const NODE_TIME_METRIC = 'node_time_seconds';

export type FleetHealth = 'up' | 'down' | 'unknown';
export type FleetMode = 'pull' | 'push';
export type DiscoverySource = 'static' | 'file' | 'mdns' | 'mqtt' | 'push';

export interface FleetTarget {
  scrapePool: string;
  scrapeUrl: string;
  health: FleetHealth;
  lastError: string;
  /** RFC 3339, or null when never scraped. */
  lastScrape: string | null;
  /** Seconds. */
  lastScrapeDuration: number;
}

export interface FleetDevice {
  /** The agent id, or the `instance` label of a target that names no agent. */
  id: string;
  agentId: string | null;
  /** The device's target labels (those of its first target, else those its pushes get). */
  labels: Record<string, string>;
  /** How it is known, sorted: static, file, mdns, mqtt (presence), push (seen pushing). */
  discovery: DiscoverySource[];
  health: FleetHealth;
  lastError: string;
  mode: FleetMode;
  targets: FleetTarget[];
  lastScrape: string | null;
  lastScrapeDuration: number | null;
  /** Aggregator time of the last batch received (accepted or not). */
  lastPush: string | null;
  /** ok, duplicate, malformed, too_large, version, agent_mismatch, overloaded, error. */
  lastPushResult: string | null;
  /** Boot and highest committed seq of the last accepted batch. */
  pushBoot: string | null;
  pushSeq: number | null;
  /** The agent's cumulative buffer overflow count for that boot (batch field `dropped`). */
  droppedSamples: number | null;
  /** Samples the agent still has to deliver (its `edgeprom_push_backlog_samples`), or null. */
  backlogSamples: number | null;
  /** Device minus aggregator clock, seconds; null when no method applies. */
  clockOffsetSeconds: number | null;
  clockOffsetMethod: 'scrape' | 'presence' | null;
  /** The latest presence message, when the device sends them. */
  presence: { state: 'online' | 'offline'; boot: string; version: string; lastSeen: string } | null;
}

export interface FleetData {
  devices: FleetDevice[];
}

// ---------------------------------------------------------------------------------------
// Presence

export interface PresenceRecord {
  agent: string;
  state: 'online' | 'offline';
  boot: string;
  bootSeq: number;
  version: string;
  /** Aggregator time the message arrived (ms). */
  receivedAt: number;
  /** ts - receivedAt of the last presence delivered live (ms); undefined if none was. */
  offsetMs: number | undefined;
}

type PresenceClient = Pick<MqttClient, 'on' | 'removeListener' | 'subscribeAsync' | 'unsubscribeAsync' | 'connected'>;

/**
 * Remembers each agent's latest presence message and, from live ones, its clock offset.
 * Discovery (mqtt-sd.ts) reads the same topic for targets; this keeps what the fleet view
 * shows besides (arrival time, `ts`), for every agent, also when no job has mqtt_sd_configs.
 * It subscribes to `<prefix>presence/#`, a filter of its own, so discovery unsubscribing
 * `presence/+` on a reload does not silence it.
 */
export class PresenceTracker {
  readonly #client: PresenceClient;
  readonly #topics: Topics;
  readonly #clock: Clock;
  readonly #records = new Map<string, PresenceRecord>();
  readonly #filter: string;
  readonly #onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => this.#receive(topic, payload, packet.retain === true);
  readonly #onConnect = () => this.#subscribe();
  #started = false;

  readonly #onLeave: ((agent: string) => void) | undefined;

  /** `onLeave`: called when an agent's presence goes offline (not a stale will) or is cleared. */
  constructor(client: PresenceClient, topics: Topics, clock: Clock = new RealClock(), onLeave?: (agent: string) => void) {
    this.#client = client;
    this.#topics = topics;
    this.#clock = clock;
    this.#onLeave = onLeave;
    this.#filter = topics.presenceFilter.replace(/\+$/, '#');
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#client.on('message', this.#onMessage);
    this.#client.on('connect', this.#onConnect);
    this.#subscribe();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#client.removeListener('message', this.#onMessage);
    this.#client.removeListener('connect', this.#onConnect);
    if (this.#client.connected) await this.#client.unsubscribeAsync(this.#filter).catch(() => undefined);
  }

  get(agent: string): PresenceRecord | undefined {
    return this.#records.get(agent);
  }

  records(): IterableIterator<PresenceRecord> {
    return this.#records.values();
  }

  #subscribe(): void {
    if (!this.#started) return;
    this.#client.subscribeAsync(this.#filter, { qos: 1 }).catch(() => undefined);
  }

  #receive(topic: string, payload: Buffer, retained: boolean): void {
    const parsed = this.#topics.parse(topic);
    if (parsed?.kind !== 'presence') return;
    const agent = parsed.id;
    if (payload.length === 0) {
      this.#records.delete(agent);
      this.#onLeave?.(agent);
      return;
    }
    let msg;
    try {
      msg = decodeMessage(payload);
    } catch {
      return; // discovery logs bad presence messages
    }
    if (msg.type !== 'presence' || msg.agent !== agent) return;
    const prev = this.#records.get(agent);
    // A stale last will of an earlier boot (see mqtt-sd.ts) does not override a newer online.
    if (msg.state === 'offline' && prev?.state === 'online' && msg.bootSeq < prev.bootSeq) return;
    const now = this.#clock.now();
    this.#records.set(agent, {
      agent,
      state: msg.state,
      boot: msg.boot,
      bootSeq: msg.bootSeq,
      version: msg.version,
      receivedAt: now,
      offsetMs: retained ? prev?.offsetMs : msg.ts - now,
    });
    if (msg.state === 'offline') this.#onLeave?.(agent);
  }
}

// ---------------------------------------------------------------------------------------
// The view

export interface FleetSources {
  scrape: Pick<ScrapeManager, 'targetsActive'>;
  ingest: Pick<Ingest, 'metrics'> | undefined;
  presence: PresenceTracker | undefined;
  /** The target labels pushes of an agent get (collection.ts learns them from discovery). */
  pushLabels: ReadonlyMap<string, Labels>;
  queryable: Queryable;
  clock?: Clock;
  /**
   * How old a push, or a backlog sample, may be and still count (default 5m, the lookback
   * delta): a push-mode device silent for longer is `unknown`.
   */
  staleAfterMs?: number;
  /**
   * Whether a target's scrape URL is the aggregator's own /metrics (selfTargetMatcher): such a
   * target is not a device and is left out. Default: none is.
   */
  isSelf?: (scrapeUrl: string) => boolean;
}

const MQTT_AGENT = '__meta_mqtt_agent_id';
const MDNS_AGENT = '__meta_mdns_txt_agent';
const REFUSED: ReadonlySet<string> = new Set(['malformed', 'too_large', 'version', 'agent_mismatch', 'overloaded', 'error']);

interface Building {
  id: string;
  agentId: string | null;
  targets: Target[];
  pools: string[];
  discovery: Set<DiscoverySource>;
}

function discoveryOf(t: Target): DiscoverySource {
  const d = t.discoveredLabels;
  let mqtt = false;
  let mdns = false;
  let file = false;
  for (const [n] of d) {
    if (n.startsWith('__meta_mqtt_')) mqtt = true;
    else if (n.startsWith('__meta_mdns_')) mdns = true;
    else if (n === '__meta_filepath') file = true;
  }
  return mqtt ? 'mqtt' : mdns ? 'mdns' : file ? 'file' : 'static';
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || ms === 0 ? null : goTime(ms);
}

/** The newest non-stale sample of `name` with all of `labels`, within [mint, maxt]. */
function newest(q: Queryable, name: string, labels: Labels, mint: number, maxt: number): { t: number; v: number } | undefined {
  const matchers = [Matcher.create('=', '__name__', name)];
  for (const [n, v] of labels) matchers.push(Matcher.create('=', n, v));
  const querier = q.querier(mint, maxt);
  let best: { t: number; v: number } | undefined;
  try {
    for (const s of querier.select(matchers)) {
      const it = s.iterator();
      while (it.next()) {
        const t = it.atT();
        const v = it.atV();
        if (isStaleNaN(v)) continue;
        if (best === undefined || t >= best.t) best = { t, v };
      }
    }
  } finally {
    querier.close();
  }
  return best;
}

export function fleetData(src: FleetSources, params: FleetParams = {}): FleetData {
  const clock = src.clock ?? new RealClock();
  const now = clock.now();
  const staleAfter = src.staleAfterMs ?? 5 * 60_000;
  const byId = new Map<string, Building>();
  const entry = (id: string, agentId: string | null): Building => {
    let b = byId.get(id);
    if (b === undefined) {
      b = { id, agentId, targets: [], pools: [], discovery: new Set() };
      byId.set(id, b);
    }
    return b;
  };

  const active = src.scrape.targetsActive();
  for (const pool of [...active.keys()].sort()) {
    for (const t of active.get(pool)!) {
      if (src.isSelf?.(t.url) === true) continue;
      const agent = t.discoveredLabels.get(MQTT_AGENT) || t.discoveredLabels.get(MDNS_AGENT);
      const id = agent || t.publicLabels.get('instance') || t.url;
      const b = entry(id, agent || null);
      b.targets.push(t);
      b.pools.push(pool);
      b.discovery.add(discoveryOf(t));
    }
  }
  const devices = src.ingest?.metrics.devices ?? new Map<string, DeviceState>();
  for (const agent of devices.keys()) entry(agent, agent).discovery.add('push');
  if (src.presence) for (const r of src.presence.records()) entry(r.agent, r.agent).discovery.add('mqtt');

  const out: FleetDevice[] = [];
  for (const b of [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    const dev = b.agentId !== null ? devices.get(b.agentId) : undefined;
    const pres = b.agentId !== null ? src.presence?.get(b.agentId) : undefined;
    const targets: FleetTarget[] = b.targets.map((t, i) => ({
      scrapePool: b.pools[i]!,
      scrapeUrl: t.url,
      health: t.health,
      lastError: t.lastError?.message ?? '',
      lastScrape: iso(t.lastScrape),
      lastScrapeDuration: t.lastScrapeDurationMs / 1000,
    }));
    let newestTarget: Target | undefined;
    for (const t of b.targets) if (t.lastScrape > 0 && (newestTarget === undefined || t.lastScrape > newestTarget.lastScrape)) newestTarget = t;
    const labels =
      b.targets[0]?.publicLabels ?? (b.agentId !== null ? (src.pushLabels.get(b.agentId) ?? defaultTargetLabels(b.agentId)) : Labels.EMPTY);

    const pushing = dev?.lastPushAt !== undefined && now - dev.lastPushAt <= staleAfter;
    const scrapedUp = b.targets.some((t) => t.health === 'up');
    const mode: FleetMode = dev !== undefined && !scrapedUp && (pushing || b.targets.length === 0) ? 'push' : 'pull';

    let health: FleetHealth = 'unknown';
    let lastError = '';
    if (mode === 'pull' && b.targets.length > 0) {
      const down = b.targets.find((t) => t.health === 'down');
      if (down) {
        health = 'down';
        lastError = down.lastError?.message ?? '';
      } else if (scrapedUp) health = 'up';
    } else if (dev !== undefined) {
      if (dev.lastResult !== undefined && REFUSED.has(dev.lastResult)) {
        health = 'down';
        lastError = dev.lastError ?? `last batch refused: ${dev.lastResult}`;
      } else if (pres?.state === 'offline') {
        health = 'down';
        lastError = 'agent offline (presence)';
      } else if (!pushing) {
        lastError = `no push for more than ${Math.round(staleAfter / 1000)}s`;
      } else health = 'up';
    } else if (pres !== undefined) {
      if (pres.state === 'offline') {
        health = 'down';
        lastError = 'agent offline (presence)';
      } else lastError = 'announced by presence, but neither scraped nor pushing';
    }

    const backlog = labels.size > 0 ? newest(src.queryable, BACKLOG_METRIC, labels, now - staleAfter, now) : undefined;

    let clockOffsetSeconds: number | null = null;
    let clockOffsetMethod: FleetDevice['clockOffsetMethod'] = null;
    if (newestTarget !== undefined && newestTarget.health === 'up') {
      const t0 = newestTarget.lastScrape;
      const s = newest(src.queryable, NODE_TIME_METRIC, newestTarget.publicLabels, t0, t0);
      if (s !== undefined && s.t === t0 && Number.isFinite(s.v)) {
        clockOffsetSeconds = round3(s.v - (t0 + newestTarget.lastScrapeDurationMs / 2) / 1000);
        clockOffsetMethod = 'scrape';
      }
    }
    if (clockOffsetMethod === null && pres?.offsetMs !== undefined) {
      clockOffsetSeconds = round3(pres.offsetMs / 1000);
      clockOffsetMethod = 'presence';
    }

    const d: FleetDevice = {
      id: b.id,
      agentId: b.agentId,
      labels: labels.toObject(),
      discovery: [...b.discovery].sort(),
      health,
      lastError,
      mode,
      targets,
      lastScrape: iso(newestTarget?.lastScrape),
      lastScrapeDuration: newestTarget ? newestTarget.lastScrapeDurationMs / 1000 : null,
      lastPush: iso(dev?.lastPushAt),
      lastPushResult: dev?.lastResult ?? null,
      pushBoot: dev?.boot ?? null,
      pushSeq: dev?.lastSeq ?? null,
      droppedSamples: dev?.droppedReported ?? null,
      backlogSamples: backlog?.v ?? dev?.backlogReported ?? null,
      clockOffsetSeconds,
      clockOffsetMethod,
      presence: pres ? { state: pres.state, boot: pres.boot, version: pres.version, lastSeen: goTime(pres.receivedAt) } : null,
    };
    if (params.state !== undefined && d.health !== params.state) continue;
    if (params.mode !== undefined && d.mode !== params.mode) continue;
    out.push(d);
  }
  return { devices: out };
}

// ---------------------------------------------------------------------------------------
// The aggregator's own target

/**
 * Recognises the aggregator's own /metrics among scrape targets, whichever job scrapes it: the
 * `self` job of the built-in config, or one a config file adds (as Prometheus's example config
 * scrapes itself at localhost:9090). A target is ours when its URL is http, on our listener's
 * port, with path /metrics, and its host reaches our listener: any address of this machine
 * (loopback, an interface address, the host name, `localhost`) when we listen on every
 * interface; otherwise the address we listen on (and `localhost` when that is a loopback one).
 * Recognising the address rather than a job name keeps a device that happens to sit in a job
 * named `self` in the fleet, and leaves out ourselves under any job name.
 *
 * `local` (the machine's addresses and names, lower case) is read once per matcher.
 */
export function selfTargetMatcher(listen: { host: string; port: number }, local: ReadonlySet<string> = localAddresses()): (scrapeUrl: string) => boolean {
  const bound = normalizeHost(listen.host);
  const anyInterface = bound === '' || bound === '::' || bound === '0.0.0.0';
  return (scrapeUrl) => {
    let u: URL;
    try {
      u = new URL(scrapeUrl);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' || u.pathname !== METRICS_PATH) return false;
    if ((u.port === '' ? 80 : Number(u.port)) !== listen.port) return false;
    const host = normalizeHost(u.hostname);
    if (anyInterface) return isLoopback(host) || local.has(host);
    return host === bound || (host === 'localhost' && isLoopback(bound));
  };
}

/** This machine's interface addresses, its host name and the unspecified addresses, lower case. */
export function localAddresses(): Set<string> {
  const out = new Set<string>(['localhost', '0.0.0.0', '::', normalizeHost(hostname())]);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(normalizeHost(a.address));
  }
  return out;
}

/** `[::1]` → `::1`, `fe80::1%eth0` → `fe80::1`, `Host.` → `host`. */
function normalizeHost(h: string): string {
  let s = h.toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

function isLoopback(h: string): boolean {
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
