/**
 * /api/v1/status/*, /api/v1/metadata and the TSDB admin endpoints.
 */
import { availableParallelism, hostname } from 'node:os';
import { formatDuration, formatSize } from '@edgeprom/shared';
import { FREE_FORM_FIELDS, redactSecrets } from '@edgeprom/shared/config';
import { stringify } from 'yaml';
import type { ApiDeps, ApiRequest, ApiResult } from './context.js';
import { ApiError, badData } from './errors.js';
import { parseGoInt } from './go-strconv.js';
import type { MetricMetadata, RuntimeInfo, TargetsParams } from './sources.js';
import { goQuote } from '../promql/parser/go-text.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { Matcher } from '../storage/matcher.js';
import { MAX_TIME_MS, MIN_TIME_MS, optionalTime, toQuerierBound } from './params.js';

/** Config fields the loader turns into ms or bytes; shown again as `15s`, `64MiB`. */
const DURATION_FIELDS: ReadonlySet<string> = new Set([
  'scrape_interval',
  'scrape_timeout',
  'evaluation_interval',
  'rule_query_offset',
  'timeout',
  'batch_send_deadline',
  'min_backoff',
  'max_backoff',
  'sample_age_limit',
  'send_interval',
  'remote_timeout',
  'out_of_order_time_window',
  'time',
  'refresh_interval',
]);
const SIZE_FIELDS: ReadonlySet<string> = new Set(['body_size_limit', 'size', 'max_bytes', 'max_batch_bytes']);

function forDisplay(value: unknown, field: string | undefined): unknown {
  if (typeof value === 'number' && field !== undefined) {
    if (DURATION_FIELDS.has(field)) return formatDuration(value);
    if (SIZE_FIELDS.has(field)) return formatSize(value);
  }
  if (Array.isArray(value)) return value.map((v) => forDisplay(v, undefined));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    if (field !== undefined && FREE_FORM_FIELDS.has(field)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: forDisplay(v, k), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** The config as YAML, secrets redacted, as Prometheus's Config.String() shows it. */
export function configYaml(config: unknown): string {
  if (config === undefined || config === null) return '';
  const shown = forDisplay(redactSecrets(config), undefined);
  return stringify(shown, { indentSeq: false, lineWidth: 0 });
}

export function statusConfig(_req: ApiRequest, deps: ApiDeps): ApiResult {
  return { data: { yaml: configYaml(deps.config()) } };
}

export function statusFlags(_req: ApiRequest, deps: ApiDeps): ApiResult {
  return { data: { ...deps.flags } };
}

export function statusBuildInfo(_req: ApiRequest, deps: ApiDeps): ApiResult {
  const b = deps.buildInfo;
  return {
    data: {
      version: b.version,
      revision: b.revision,
      branch: b.branch,
      buildUser: b.buildUser,
      buildDate: b.buildDate,
      goVersion: b.goVersion,
    },
  };
}

export function statusRuntimeInfo(_req: ApiRequest, deps: ApiDeps): ApiResult {
  const now = new Date(deps.clock.now()).toISOString();
  const given = deps.runtimeInfo();
  const info: RuntimeInfo = {
    startTime: new Date(deps.startTimeMs).toISOString(),
    CWD: process.cwd(),
    hostname: hostname(),
    serverTime: now,
    reloadConfigSuccess: true,
    lastConfigTime: new Date(deps.startTimeMs).toISOString(),
    corruptionCount: 0,
    goroutineCount: 0,
    GOMAXPROCS: availableParallelism(),
    GOMEMLIMIT: 0,
    GOGC: '',
    GODEBUG: '',
    storageRetention: '',
    ...given,
  };
  return { data: info };
}

export async function statusTsdb(req: ApiRequest, deps: ApiDeps): Promise<ApiResult> {
  let limit = 10;
  const s = req.form.value('limit');
  if (s !== '') {
    const n = parseGoInt(s);
    if (typeof n === 'string' || n < 1n) throw badData('limit must be a positive number');
    limit = n > 1_000_000n ? 1_000_000 : Number(n);
  }
  try {
    return { data: await deps.tsdbStats.stats(limit) };
  } catch (e) {
    throw new ApiError('internal', (e as Error).message, { cause: e });
  }
}

/**
 * Prometheus's metricMetadata: `limit` caps metrics (negative: no cap), `limit_per_metric`
 * caps entries per metric, `metric` selects one. Prometheus picks which metrics survive
 * `limit` at random (Go map order); we keep the first by name.
 */
export function metadata(req: ApiRequest, deps: ApiDeps): ApiResult {
  const num = (name: string): number => {
    const s = req.form.value(name);
    if (s === '') return -1;
    const n = parseGoInt(s);
    if (typeof n === 'string') throw badData(`${name} must be a number`);
    return n > 1_000_000_000n ? 1_000_000_000 : n < -1n ? -1 : Number(n);
  };
  const limit = num('limit');
  const limitPerMetric = num('limit_per_metric');
  const metric = req.form.value('metric');
  const byMetric = new Map<string, Map<string, MetricMetadata>>();
  for (const m of deps.metadata.metadata(metric === '' ? undefined : metric)) {
    if (metric !== '' && m.metric !== metric) continue;
    let set = byMetric.get(m.metric);
    if (limitPerMetric > 0 && set !== undefined && set.size >= limitPerMetric) continue;
    if (!set) byMetric.set(m.metric, (set = new Map()));
    set.set(JSON.stringify([m.type, m.help, m.unit]), m);
  }
  const out: Record<string, { type: string; help: string; unit: string }[]> = {};
  for (const name of [...byMetric.keys()].sort()) {
    if (limit >= 0 && Object.keys(out).length >= limit) break;
    const list = [...byMetric.get(name)!.values()].map((m) => ({ type: m.type, help: m.help, unit: m.unit }));
    Object.defineProperty(out, name, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return { data: out };
}

/**
 * Prometheus's targetMetadata: active targets in order, those matching `match_target` (a
 * series selector over the target's labels), each target's entries or only `metric`'s
 * (then without the `metric` field). `limit` (negative: no cap) is checked before each
 * target, as Prometheus does, so a target's entries are never cut in half.
 */
export function targetMetadata(req: ApiRequest, deps: ApiDeps): ApiResult {
  let limit = -1;
  const ls = req.form.value('limit');
  if (ls !== '') {
    const n = parseGoInt(ls);
    if (typeof n === 'string') throw badData('limit must be a number');
    limit = n > 1_000_000_000n ? 1_000_000_000 : n < -1n ? -1 : Number(n);
  }
  const matchTarget = req.form.value('match_target');
  let matchers: Matcher[] = [];
  if (matchTarget !== '') {
    try {
      matchers = parseMetricSelector(matchTarget).map((m) => Matcher.create(m.type, m.name, m.value));
    } catch (e) {
      throw badData(`invalid parameter "match_target": ${(e as Error).message}`, e);
    }
  }
  const metric = req.form.value('metric');
  const out: Record<string, unknown>[] = [];
  const source = deps.targetMetadata;
  if (source === undefined) return { data: out };
  for (const { target, entries } of source.targetMetadata(metric === '' ? undefined : metric)) {
    if (limit >= 0 && out.length >= limit) break;
    if (!matchers.every((m) => m.matches(target.get(m.name)))) continue;
    const labels = target.toObject();
    for (const e of entries) {
      if (metric !== '') out.push({ target: labels, type: e.type, help: e.help, unit: e.unit });
      else out.push({ target: labels, metric: e.metric, type: e.type, help: e.help, unit: e.unit });
    }
  }
  return { data: out };
}

/**
 * Prometheus's targets: `state` lower-cased (`active`, `dropped`, `any`; empty is any, and
 * anything else lists neither kind), `scrapePool` selects one pool. Only routed when a
 * TargetsSource is configured.
 */
export function targets(req: ApiRequest, deps: ApiDeps): ApiResult {
  const source = deps.targets;
  if (!source) throw new ApiError('not_found', 'no targets source');
  const params: TargetsParams = {};
  const state = req.form.value('state').toLowerCase();
  if (state !== '') params.state = state;
  const pool = req.form.value('scrapePool');
  if (pool !== '') params.scrapePool = pool;
  try {
    return { data: source.targets(params) };
  } catch (e) {
    throw new ApiError('internal', (e as Error).message, { cause: e });
  }
}

/**
 * What the TSDB admin endpoints act on (the on-disk store, tsdb.ts). Optional: without it,
 * the endpoints answer "not supported" even with `--web.enable-admin-api`.
 */
export interface TsdbAdmin {
  /** Tombstones the samples of matching series in [mint, maxt] (ms, inclusive). */
  deleteSeries(matchers: readonly Matcher[], mint?: number, maxt?: number): Promise<void>;
  cleanTombstones(): Promise<void>;
  /** Writes a snapshot under `<storage>/snapshots/`; returns its directory name. */
  snapshot(withHead?: boolean): Promise<string>;
}

/** Go's strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** The selector's matchers; like Prometheus, one must not match the empty string. */
function adminMatchers(selector: string): Matcher[] {
  let matchers: Matcher[];
  try {
    matchers = parseMetricSelector(selector).map((m) => Matcher.create(m.type, m.name, m.value));
  } catch (e) {
    throw badData((e as Error).message, e);
  }
  if (!matchers.some((m) => !m.matchesEmpty)) {
    throw badData(`${goQuote(selector)}: match[] must contain at least one non-empty matcher`);
  }
  return matchers;
}

async function internal<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new ApiError('internal', `${what}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * POST/PUT /api/v1/admin/tsdb/*, as Prometheus's web/api/v1: "admin APIs disabled"
 * (unavailable, 500 as in Prometheus, whose respondError has no case for it) without --web.enable-admin-api; 204 for delete_series and
 * clean_tombstones, `{name}` for snapshot.
 */
export function admin(what: 'delete_series' | 'clean_tombstones' | 'snapshot') {
  return async (req: ApiRequest, deps: ApiDeps): Promise<ApiResult> => {
    if (!deps.enableAdminApi) throw new ApiError('unavailable', 'admin APIs disabled');
    const db = deps.admin;
    if (db === undefined) throw new ApiError('unavailable', `admin API ${what} is not supported by edgeprom`);
    switch (what) {
      case 'delete_series': {
        const selectors = req.form.all('match[]');
        if (selectors.length === 0) throw badData('no match[] parameter provided');
        const start = toQuerierBound(optionalTime(req.form.value('start'), 'start', MIN_TIME_MS));
        const end = toQuerierBound(optionalTime(req.form.value('end'), 'end', MAX_TIME_MS));
        // All selectors are checked before anything is deleted.
        const sets = selectors.map(adminMatchers);
        for (const matchers of sets) await internal('delete series', () => db.deleteSeries(matchers, start, end));
        deps.logger.warn({ match: selectors, start, end }, 'series deleted through the admin API');
        return { data: undefined };
      }
      case 'clean_tombstones':
        await internal('clean tombstones', () => db.cleanTombstones());
        return { data: undefined };
      case 'snapshot': {
        const raw = req.form.value('skip_head');
        let skipHead = false;
        if (raw !== '') {
          const b = parseGoBool(raw);
          if (b === undefined) {
            throw badData(`unable to parse boolean 'skip_head' argument: strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
          }
          skipHead = b;
        }
        const name = await internal('create snapshot', () => db.snapshot(!skipHead));
        return { data: { name } };
      }
    }
  };
}

/** DELETE /api/v1/series: Prometheus itself answers this way. */
export function dropSeries(): ApiResult {
  throw new ApiError('internal', 'not implemented');
}
