/**
 * Targets: from a discovered label set to the labels a target is scraped with, exactly as
 * Prometheus's PopulateLabels does it, plus the state `/api/v1/targets` shows.
 */
import { EdgepromError, Labels, formatDuration, parseDuration } from '@edgeprom/shared';
import { LabelsBuilder } from '../relabel/builder.js';
import { relabel, type RelabelProgram } from '../relabel/relabel.js';
import type { ScrapeJob, TargetGroup, TargetHealth } from './types.js';

const ADDRESS = '__address__';
const SCHEME = '__scheme__';
const METRICS_PATH = '__metrics_path__';
const INTERVAL = '__scrape_interval__';
const TIMEOUT = '__scrape_timeout__';
const PARAM_PREFIX = '__param_';
const META_PREFIX = '__meta_';
const RESERVED_PREFIX = '__';

export class Target {
  /** Labels after relabeling, `__meta_*` removed; other `__` labels still present. */
  readonly labels: Labels;
  /** Public labels (no `__` prefix): what samples and `/api/v1/targets` carry. */
  readonly publicLabels: Labels;
  /** Labels before relabeling. Updated when discovery sends the target again. */
  discoveredLabels: Labels;
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly url: string;
  /** Identity within a pool: labels and URL. */
  readonly hash: string;
  health: TargetHealth = 'unknown';
  lastError: Error | undefined;
  /** Wall-clock ms of the last scrape's start (0: never). */
  lastScrape = 0;
  lastScrapeDurationMs = 0;

  constructor(labels: Labels, discoveredLabels: Labels, params: Readonly<Record<string, readonly string[]>>) {
    this.labels = labels;
    this.discoveredLabels = discoveredLabels;
    this.params = params;
    const pub: string[] = [];
    for (const [n, v] of labels) if (!n.startsWith(RESERVED_PREFIX)) pub.push(n, v);
    this.publicLabels = Labels.fromSortedPairs(pub);
    this.url = targetUrl(labels, params);
    this.hash = `${labels.key}\u0000${this.url}`;
  }

  get(name: string): string {
    return this.labels.get(name);
  }

  /** Interval and timeout from the target's labels, in ms. */
  intervalAndTimeout(): { intervalMs: number; timeoutMs: number } {
    return { intervalMs: parseDuration(this.labels.get(INTERVAL)), timeoutMs: parseDuration(this.labels.get(TIMEOUT)) };
  }

  report(startMs: number, durationMs: number, err: Error | undefined): void {
    this.health = err === undefined ? 'up' : 'down';
    this.lastError = err;
    this.lastScrape = startMs;
    this.lastScrapeDurationMs = durationMs;
  }

  /**
   * Milliseconds from `nowMs` until this target's first scrape: Prometheus's offset, pinned
   * to absolute time so every aggregator (and every restart) scrapes a target at the same
   * phase of its interval, while targets spread evenly over the interval.
   */
  offset(intervalMs: number, nowMs: number, seed = 0n): number {
    const interval = BigInt(Math.max(1, Math.round(intervalMs)));
    const now = BigInt(Math.trunc(nowMs));
    const base = interval - (((now % interval) + interval) % interval);
    const off = (fnv64a(this.hash) ^ BigInt.asUintN(64, seed)) % interval;
    let next = base + off;
    if (next > interval) next -= interval;
    return Number(next);
  }
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** 64-bit FNV-1a of the UTF-16 code units. Runs once per target, so BigInt is fine. */
export function fnv64a(s: string): bigint {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = BigInt.asUintN(64, h * FNV_PRIME);
  }
  return h;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The scrape URL as Prometheus's Target.URL() builds it; `__param_*` labels override params. */
export function targetUrl(labels: Labels, params: Readonly<Record<string, readonly string[]>>): string {
  const q = new Map<string, string[]>();
  for (const k of Object.keys(params)) q.set(k, [...params[k]]);
  for (const [n, v] of labels) {
    if (!n.startsWith(PARAM_PREFIX)) continue;
    const k = n.slice(PARAM_PREFIX.length);
    const cur = q.get(k);
    if (cur && cur.length > 0) cur[0] = v;
    else q.set(k, [v]);
  }
  const parts: string[] = [];
  for (const k of [...q.keys()].sort()) for (const v of q.get(k)!) parts.push(`${queryEscape(k)}=${queryEscape(v)}`);
  let path = labels.get(METRICS_PATH);
  const host = labels.get(ADDRESS);
  if (path !== '' && !path.startsWith('/') && host !== '') path = `/${path}`;
  const query = parts.join('&');
  return `${labels.get(SCHEME)}://${host}${encodeURI(path)}${query ? `?${query}` : ''}`;
}

/** Go's net.SplitHostPort, reduced to whether it succeeds. */
export function splitsHostPort(s: string): boolean {
  const i = s.lastIndexOf(':');
  if (i < 0) return false;
  if (s[0] === '[') {
    const end = s.indexOf(']');
    if (end < 0) return false;
    if (end + 1 === s.length || end + 1 !== i) return false;
    if (s.indexOf('[', 1) >= 0 || s.indexOf(']', end + 1) >= 0) return false;
    return true;
  }
  const host = s.slice(0, i);
  if (host.includes(':')) return false;
  if (s.includes('[') || s.includes(']')) return false;
  return true;
}

export class TargetError extends EdgepromError {
  constructor(message: string) {
    super('ERR_INVALID_TARGET', message);
    this.name = 'TargetError';
  }
}

export interface PopulateResult {
  /** Final labels, or undefined when relabeling dropped the target (or on error). */
  labels: Labels | undefined;
  /** Labels before relabeling (undefined on error). */
  discovered: Labels | undefined;
}

/**
 * Prometheus's PopulateLabels: adds job, interval, timeout, metrics path, scheme and params
 * where the target does not set them, relabels, then checks and completes the result (a
 * default port for the scheme unless `noDefaultPort`, `instance` defaulting to the address,
 * `__meta_*` removed). Throws TargetError for a target that cannot be scraped.
 */
export function populateLabels(lset: Labels, job: ScrapeJob, program: RelabelProgram, noDefaultPort = false): PopulateResult {
  const lb = new LabelsBuilder(lset);
  const defaults: [string, string][] = [
    ['job', job.job_name],
    [INTERVAL, formatDuration(job.scrape_interval)],
    [TIMEOUT, formatDuration(job.scrape_timeout)],
    [METRICS_PATH, job.metrics_path],
    [SCHEME, job.scheme],
  ];
  for (const [n, v] of defaults) if (lset.get(n) === '') lb.set(n, v);
  for (const k of Object.keys(job.params)) {
    const v = job.params[k];
    const name = PARAM_PREFIX + k;
    if (v.length > 0 && lb.get(name) === '') lb.set(name, v[0]);
  }
  const pre = lb.labels();
  const res = relabel(pre, program);
  if (res === null) return { labels: undefined, discovered: pre };
  let addr = res.get(ADDRESS);
  if (addr === '') throw new TargetError('no address');

  const out = new LabelsBuilder(res);
  const scheme = res.get(SCHEME);
  const hasPort = splitsHostPort(addr);
  if (!noDefaultPort && !hasPort && splitsHostPort(`${addr}:1234`)) {
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else throw new TargetError(`invalid scheme: ${JSON.stringify(job.scheme)}`);
    out.set(ADDRESS, addr);
  }
  if (addr.includes('/')) throw new TargetError(`${JSON.stringify(addr)} is not a valid hostname`);

  const interval = res.get(INTERVAL);
  const timeout = res.get(TIMEOUT);
  const intervalMs = parseOr(interval, 'error parsing scrape interval');
  if (intervalMs === 0) throw new TargetError('scrape interval cannot be 0');
  const timeoutMs = parseOr(timeout, 'error parsing scrape timeout');
  if (timeoutMs === 0) throw new TargetError('scrape timeout cannot be 0');
  if (timeoutMs > intervalMs) {
    throw new TargetError(`scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeout)} > ${JSON.stringify(interval)})`);
  }
  for (const [n] of res) if (n.startsWith(META_PREFIX)) out.del(n);
  if (res.get('instance') === '') out.set('instance', addr);
  return { labels: out.labels(), discovered: pre };
}

function parseOr(s: string, what: string): number {
  try {
    return parseDuration(s);
  } catch (e) {
    throw new TargetError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface GroupTargets {
  active: Target[];
  /** Discovered labels of targets relabeling dropped. */
  dropped: Labels[];
  failures: Error[];
}

/** Prometheus's TargetsFromGroup: target labels win over group labels. */
export function targetsFromGroup(tg: TargetGroup, job: ScrapeJob, program: RelabelProgram, noDefaultPort = false): GroupTargets {
  const out: GroupTargets = { active: [], dropped: [], failures: [] };
  tg.targets.forEach((t, i) => {
    const merged: Record<string, string> = { ...tg.labels, ...t };
    try {
      const r = populateLabels(Labels.from(merged), job, program, noDefaultPort);
      if (r.labels !== undefined) out.active.push(new Target(r.labels, r.discovered!, job.params));
      else if (r.discovered !== undefined) out.dropped.push(r.discovered);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      out.failures.push(new TargetError(`instance ${i} in group ${tg.source}: ${msg}`));
    }
  });
  return out;
}
