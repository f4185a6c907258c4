/**
 * The push API: a Pushgateway-compatible HTTP handler plus the loop that keeps pushed
 * groups alive in the TSDB.
 *
 *   const push = createPushGateway({ enabled: true, storage, auth: { bearerTokens: [t] } });
 *   await push.start();
 *   http.createServer(async (req, res) => { if (!(await push.handle(req, res))) other(req, res); });
 *   ...
 *   await push.stop();
 *
 * `handle` answers only its own routes (`<prefix>/metrics/job...` and the JSON listing)
 * and returns false for anything else, without touching the request, so it can sit in
 * front of the Prometheus API. Disabled, it handles nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetadataSource, MetricMetadata } from '../api/sources.js';
import { DurationError, parseDuration, RealClock, type TimerHandle } from '@edgeprom/shared';
import { Authenticator } from './auth.js';
import { parseBody, readBody } from './body.js';
import { PushError } from './errors.js';
import { cleanPath, parseGroupingPath, type GroupingLabels } from './grouping-key.js';
import { groupSeries, seriesCount, toStoredFamilies, type Group } from './group.js';
import { GroupStore } from './group-store.js';
import { metricsJson } from './metrics-json.js';
import { resolveOptions, SILENT_PUSH_LOGGER, type PushOptions, type ResolvedPushOptions } from './options.js';
import { readGroupsFile, serializeGroups, writeGroupsFile } from './persistence.js';
import { sendEmpty, sendError, sendJson } from './respond.js';
import { TsdbWriter } from './tsdb-writer.js';

/** Header that sets a group's time to live on PUT/POST (a Prometheus duration; `0` = never). */
export const TTL_HEADER = 'x-edgeprom-ttl';

export interface GroupInfo {
  /** Grouping labels, `job` included (empty values kept). */
  labels: Record<string, string>;
  /** Last successful and failed push (ms; 0 = never). */
  pushTimeMs: number;
  failureTimeMs: number;
  ttlMs: number;
  /** When the group expires (ms), or undefined if it never does. */
  expiresAtMs: number | undefined;
  series: number;
}

export interface PushGateway {
  readonly enabled: boolean;
  /** Handles the request if it is a push API route; resolves false (request untouched) if not. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Restores persisted groups, writes them, and starts the append and persistence timers. */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops the timers, waits for pending commits, persists. Groups are not marked stale. */
  stop(): Promise<void>;
  /** Replaces the options (storage and clock excepted); groups are kept. */
  applyConfig(opts: Omit<PushOptions, 'storage' | 'clock' | 'logger'>): void;
  /** The groups, for the fleet view and tests. */
  groups(): GroupInfo[];
  /** Samples the store refused (duplicates in one millisecond, clock steps), by code. */
  readonly refusedSamples: ReadonlyMap<string, number>;
  /** TYPE and HELP of pushed families, for /api/v1/metadata (merge it with the scrape's). */
  readonly metadata: MetadataSource;
}

/** Prometheus's metadata spelling of our types (`untyped` is `unknown`). */
function metadataOf(name: string, type: string, help: string | undefined): MetricMetadata {
  return { metric: name, type, help: help ?? '', unit: '' };
}

const PUSH_METHODS = 'DELETE, POST, PUT';

export function createPushGateway(opts: PushOptions): PushGateway {
  const clock = opts.clock ?? new RealClock();
  const logger = opts.logger ?? SILENT_PUSH_LOGGER;
  let o: ResolvedPushOptions = resolveOptions(opts, clock, logger);
  let auth = new Authenticator(o.auth);
  const store = new GroupStore(o);
  const writer = new TsdbWriter(o.storage, logger);
  let tick: TimerHandle | undefined;
  let persistTimer: TimerHandle | undefined;
  let persisting: Promise<void> = Promise.resolve();
  let persistedVersion = 0;
  let lastPersistMono = -Infinity;
  let persistFailed = false;
  let running = false;

  function ttlOf(req: IncomingMessage): number {
    const h = req.headers[TTL_HEADER];
    let ttl = o.defaultTtlMs;
    if (h !== undefined) {
      const s = (Array.isArray(h) ? h[0]! : h).trim();
      try {
        ttl = parseDuration(s);
      } catch (e) {
        const why = e instanceof DurationError ? e.message : String(e);
        throw new PushError('ERR_PUSH_BAD_TTL', `invalid X-Edgeprom-TTL header ${JSON.stringify(s)}: ${why}`);
      }
    }
    if (o.maxTtlMs > 0) ttl = ttl === 0 ? o.maxTtlMs : Math.min(ttl, o.maxTtlMs);
    return ttl;
  }

  function schedulePersist(): void {
    if (o.persistenceFile === undefined || !running || persistTimer !== undefined) return;
    // After a failed write, wait at least a second so a full disk is not hammered.
    const floor = persistFailed ? 1000 : 0;
    const wait = Math.max(floor, o.persistenceIntervalMs - (clock.monotonic() - lastPersistMono));
    persistTimer = clock.setTimeout(() => {
      persistTimer = undefined;
      void persist().then(() => {
        if (store.version !== persistedVersion) schedulePersist();
      });
    }, wait);
  }

  function persist(): Promise<void> {
    const file = o.persistenceFile;
    if (file === undefined) return persisting;
    persisting = persisting.then(async () => {
      if (store.version === persistedVersion) return;
      const version = store.version;
      lastPersistMono = clock.monotonic();
      try {
        await writeGroupsFile(file, serializeGroups(store.groups()));
        persistedVersion = version;
        persistFailed = false;
        logger.debug({ file, groups: store.size }, 'push API: groups persisted');
      } catch (err) {
        persistFailed = true;
        logger.error({ err, file }, 'push API: persisting groups failed');
      }
    });
    return persisting;
  }

  function changed(): void {
    schedulePersist();
  }

  async function onTick(): Promise<void> {
    const now = clock.now();
    const gone = store.expire(now);
    if (gone.length > 0) {
      logger.info({ groups: gone.length }, 'push API: groups expired');
      changed();
    }
    await writer.write(now, store.groups(), gone);
  }

  async function handlePush(req: IncomingMessage, res: ServerResponse, grouping: GroupingLabels): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'DELETE') {
      await readBody(req, o.maxBodyBytes).catch(() => undefined); // Pushgateway ignores a body
      const g = store.delete(grouping);
      if (g !== undefined) {
        changed();
        await writer.write(clock.now(), [], [g]);
      }
      return sendEmpty(res, 202);
    }
    const ttlMs = ttlOf(req);
    const body = await readBody(req, o.maxBodyBytes);
    const parsed = parseBody(body, req.headers['content-type']);
    const now = clock.now();
    let families;
    try {
      families = toStoredFamilies(parsed, grouping, now);
    } catch (e) {
      const g = store.fail(grouping, now, ttlMs);
      if (g !== undefined) {
        changed();
        await writer.write(now, [g]);
      }
      throw e;
    }
    const outcome = store.push({ grouping, families, replace: method === 'PUT', ttlMs, now });
    if (outcome.group !== undefined) {
      changed();
      await writer.write(now, [outcome.group]);
    }
    if (!outcome.ok) throw outcome.error;
    sendEmpty(res, 200);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!o.enabled) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const prefix = o.routePrefix;
    const pushBase = `${prefix}/metrics/job`;
    const apiPath = o.metricsApiPath === '' ? undefined : prefix + o.metricsApiPath;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      if (!rawPath.startsWith(pushBase)) return false;
      req.resume();
      sendError(res, 400, 'invalid URL escape');
      return true;
    }
    const cleaned = cleanPath(path);
    const isPush = (p: string): boolean => p.startsWith(pushBase + '/') || p.startsWith(pushBase + '@base64/');
    const ours = isPush(cleaned) || cleaned === apiPath;
    if (!ours) return false;
    try {
      if (!(await auth.check(req))) throw new PushError('ERR_PUSH_UNAUTHORIZED', 'Unauthorized');
      if (cleaned !== path) {
        req.resume();
        // Go's ServeMux redirects to the cleaned path, escaped again.
        const query = q < 0 || !/^[\x21-\x7e]*$/.test(url.slice(q)) ? '' : url.slice(q);
        sendEmpty(res, 301, { Location: encodeURI(cleaned) + query });
        return true;
      }
      if (cleaned === apiPath) {
        req.resume();
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          sendError(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
        } else {
          sendJson(res, 200, metricsJson(store.groups()));
        }
        return true;
      }
      const grouping = parseGroupingPath(path.slice(prefix.length + '/metrics/'.length));
      if (grouping === undefined) {
        // `/metrics/job/` with nothing after: the router's trailing-slash redirect.
        req.resume();
        sendEmpty(res, 307, { Location: encodeURI(path.replace(/\/+$/, '')) });
        return true;
      }
      const m = req.method;
      if (m !== 'PUT' && m !== 'POST' && m !== 'DELETE') {
        req.resume();
        sendError(res, 405, 'Method Not Allowed', { Allow: PUSH_METHODS });
        return true;
      }
      await handlePush(req, res, grouping);
    } catch (e) {
      req.resume();
      if (e instanceof PushError) {
        logger.debug({ code: e.code, method: req.method, path: rawPath, err: e.message }, 'push API: request refused');
        const headers: Record<string, string> = {};
        if (e.status === 413) headers.Connection = 'close';
        if (e.status === 401) headers['WWW-Authenticate'] = auth.challenge;
        sendError(res, e.status, e.message, headers);
      } else {
        logger.error({ err: e, method: req.method, path: rawPath }, 'push API: request failed');
        sendError(res, 500, 'internal error');
      }
    }
    return true;
  }

  const api: PushGateway = {
    get enabled() {
      return o.enabled;
    },
    get refusedSamples() {
      return writer.refused;
    },
    handle,
    async start(signal?: AbortSignal): Promise<void> {
      if (running) return;
      running = true;
      if (o.persistenceFile !== undefined) {
        try {
          const restored = await readGroupsFile(o.persistenceFile);
          for (const g of restored) {
            // Treat them as written before the restart, so expiry marks them stale.
            for (const s of groupSeries(g)) g.live.set(s.labels.key, s.labels);
            store.restore(g);
          }
          persistedVersion = store.version;
          if (restored.length > 0) logger.info({ groups: restored.length, file: o.persistenceFile }, 'push API: groups restored');
        } catch (err) {
          logger.error({ err, file: o.persistenceFile }, 'push API: could not load persisted groups');
        }
      }
      await onTick();
      tick = clock.setInterval(() => void onTick(), o.intervalMs);
      signal?.addEventListener('abort', () => void api.stop(), { once: true });
    },
    async stop(): Promise<void> {
      if (!running) return;
      running = false;
      if (tick !== undefined) clock.clearTimeout(tick);
      if (persistTimer !== undefined) clock.clearTimeout(persistTimer);
      tick = persistTimer = undefined;
      await writer.flush();
      await persist();
    },
    applyConfig(next): void {
      const resolved = resolveOptions({ ...next, storage: o.storage }, clock, logger);
      const intervalChanged = resolved.intervalMs !== o.intervalMs;
      o = resolved;
      auth = new Authenticator(o.auth);
      store.setLimits(o);
      if (running && intervalChanged && tick !== undefined) {
        clock.clearTimeout(tick);
        tick = clock.setInterval(() => void onTick(), o.intervalMs);
      }
    },
    groups(): GroupInfo[] {
      return [...store.groups()].map((g: Group) => {
        const since = g.pushTimeMs > 0 ? g.pushTimeMs : g.failureTimeMs;
        return {
          labels: Object.fromEntries(g.grouping),
          pushTimeMs: g.pushTimeMs,
          failureTimeMs: g.failureTimeMs,
          ttlMs: g.ttlMs,
          expiresAtMs: g.ttlMs > 0 ? since + g.ttlMs : undefined,
          series: seriesCount(g.families),
        };
      });
    },
    metadata: {
      *metadata(metric?: string): Iterable<MetricMetadata> {
        for (const g of store.groups()) {
          for (const f of g.families.values()) {
            if (metric === undefined || metric === f.name) yield metadataOf(f.name, f.type, f.help);
          }
        }
      },
    },
  };
  return api;
}
