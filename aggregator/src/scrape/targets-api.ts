/**
 * The `data` of `/api/v1/targets`, shaped exactly as Prometheus shapes it: pools in name
 * order, `state` (active, dropped, any) and `scrapePool` filters, times as RFC 3339 with the
 * zero time for a target never scraped. The HTTP API routes it; this file only shapes it.
 */
import type { Labels } from '@edgeprom/shared';
import type { TargetRetriever } from './manager.js';
import type { TargetHealth } from './types.js';

export interface ApiActiveTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: TargetHealth;
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface ApiDroppedTarget {
  discoveredLabels: Record<string, string>;
  scrapePool: string;
}

export interface TargetDiscovery {
  activeTargets: ApiActiveTarget[];
  droppedTargets: ApiDroppedTarget[];
  droppedTargetCounts: Record<string, number> | null;
}

export interface TargetsQuery {
  /** active, dropped or any (default any); case-insensitive; anything else shows neither. */
  state?: string;
  scrapePool?: string;
  /**
   * Rewrites a scrape URL into the one shown as `globalUrl` (Prometheus replaces a loopback
   * host with the server's hostname). Default: the scrape URL.
   */
  globalUrl?: (scrapeUrl: string) => string;
}

/** Go's time.Time JSON: RFC 3339 with nanoseconds, trailing zeros dropped; UTC here. */
export function goTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.120Z
  const [sec, frac] = iso.slice(0, -1).split('.');
  const f = (frac ?? '').replace(/0+$/, '');
  return `${sec}${f ? `.${f}` : ''}Z`;
}

function sortedPools<T>(m: Map<string, T>): string[] {
  return [...m.keys()].sort();
}

function obj(l: Labels): Record<string, string> {
  return l.toObject();
}

export function targetsData(r: TargetRetriever, q: TargetsQuery = {}): TargetDiscovery {
  const state = (q.state ?? '').toLowerCase();
  const showActive = state === '' || state === 'any' || state === 'active';
  const showDropped = state === '' || state === 'any' || state === 'dropped';
  const pool = q.scrapePool ?? '';
  const globalUrl = q.globalUrl ?? ((u: string) => u);
  const res: TargetDiscovery = { activeTargets: [], droppedTargets: [], droppedTargetCounts: null };
  if (showActive) {
    const active = r.targetsActive();
    for (const p of sortedPools(active)) {
      if (pool !== '' && p !== pool) continue;
      for (const t of active.get(p)!) {
        res.activeTargets.push({
          discoveredLabels: obj(t.discoveredLabels),
          labels: obj(t.publicLabels),
          scrapePool: p,
          scrapeUrl: t.url,
          globalUrl: globalUrl(t.url),
          lastError: t.lastError?.message ?? '',
          lastScrape: goTime(t.lastScrape),
          lastScrapeDuration: t.lastScrapeDurationMs / 1000,
          health: t.health,
          scrapeInterval: t.get('__scrape_interval__'),
          scrapeTimeout: t.get('__scrape_timeout__'),
        });
      }
    }
  }
  if (showDropped) {
    res.droppedTargetCounts = Object.fromEntries(r.targetsDroppedCounts());
    const dropped = r.targetsDropped();
    for (const p of sortedPools(dropped)) {
      if (pool !== '' && p !== pool) continue;
      for (const l of dropped.get(p)!) res.droppedTargets.push({ discoveredLabels: obj(l), scrapePool: p });
    }
  }
  return res;
}

/** The whole response body: `{"status":"success","data":{...}}`. */
export function targetsResponse(r: TargetRetriever, q: TargetsQuery = {}): { status: 'success'; data: TargetDiscovery } {
  return { status: 'success', data: targetsData(r, q) };
}
