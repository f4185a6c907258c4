/**
 * One scrape pool per job: turns the job's target groups into targets (relabel_configs),
 * runs one ScrapeLoop per distinct target, and keeps loops of unchanged targets running
 * across syncs and config reloads, as Prometheus's scrapePool does.
 */
import type { Clock, Labels } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { compileRelabel, type RelabelProgram } from '../relabel/relabel.js';
import { targetLimit } from './errors.js';
import { scrapeHttpSettings, type ScrapeHttpSettings } from './http-settings.js';
import { ScrapeLoop, type ScrapeReport } from './scrape-loop.js';
import { targetsFromGroup, type Target } from './target.js';
import type { ScrapeJob, TargetGroup } from './types.js';
import type { ScrapeMetrics } from './scrape-metrics.js';

export interface PoolDeps {
  appendable: Appendable;
  clock: Clock;
  offsetSeed: bigint;
  noDefaultPort: boolean;
  useCache: boolean;
  /** The config file's directory: relative tls_config and *_file paths resolve against it. */
  baseDir?: string;
  onScrape?: (r: ScrapeReport) => void;
  onError?: (msg: string, err: unknown) => void;
  metrics?: ScrapeMetrics;
}

/** How a loop ends: with end-of-run stale markers, quietly (reload), or at once (shutdown). */
export type StopMode = 'stale' | 'quiet' | 'abort';

/** Config fields that do not change what a scrape stores: a cache survives changes to them. */
function cacheKey(job: ScrapeJob): string {
  const { scrape_interval: _i, scrape_timeout: _t, sample_limit: _s, body_size_limit: _b, ...rest } = job;
  // Nor do the HTTP client settings.
  const { basic_auth: _ba, authorization: _a, bearer_token: _bt, bearer_token_file: _bf, tls_config: _tc, proxy_url: _p, follow_redirects: _f, enable_http2: _h, ...kept } = rest;
  return JSON.stringify(kept);
}

export class ScrapePool {
  #job: ScrapeJob;
  /** The job's HTTP client settings, resolved once per config (http-settings.ts). */
  #http: ScrapeHttpSettings;
  #program: RelabelProgram;
  #metricProgram: RelabelProgram;
  readonly #deps: PoolDeps;
  readonly #loops = new Map<string, ScrapeLoop>();
  readonly #stopping = new Set<ScrapeLoop>();
  #groups: TargetGroup[] = [];
  #dropped: Labels[] = [];
  #droppedCount = 0;
  #running = false;
  /** Targets the last sync could not build (no address, bad interval, ...). */
  failures: Error[] = [];

  /** `http`: the job's settings when the caller resolved them already; throws HttpSettingsError. */
  constructor(job: ScrapeJob, deps: PoolDeps, http?: ScrapeHttpSettings) {
    this.#http = http ?? scrapeHttpSettings(job, deps.baseDir);
    this.#job = job;
    this.#deps = deps;
    this.#program = compileRelabel(job.relabel_configs);
    this.#metricProgram = compileRelabel(job.metric_relabel_configs);
  }

  get job(): ScrapeJob {
    return this.#job;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const l of this.#loops.values()) l.start();
  }

  /** Replaces the pool's target groups: new targets start, vanished ones stop (stale markers). */
  async sync(groups: TargetGroup[]): Promise<void> {
    this.#groups = groups;
    await this.#sync(false, false);
  }

  /**
   * Applies a changed config; returns false (and does nothing) when it is unchanged, the
   * contents of its CA, client cert and key files included. Throws HttpSettingsError (and
   * keeps the current config) when one of them cannot be used.
   */
  async reload(job: ScrapeJob, http?: ScrapeHttpSettings): Promise<boolean> {
    const next = http ?? scrapeHttpSettings(job, this.#deps.baseDir);
    if (JSON.stringify(job) === JSON.stringify(this.#job) && next.filesDigest === this.#http.filesDigest) return false;
    const reuse = cacheKey(job) === cacheKey(this.#job);
    const old = this.#http;
    this.#http = next;
    this.#job = job;
    this.#program = compileRelabel(job.relabel_configs);
    this.#metricProgram = compileRelabel(job.metric_relabel_configs);
    await this.#sync(true, reuse);
    return true;
  }

  async stop(mode: StopMode): Promise<void> {
    this.#running = false;
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((l) => this.#stopLoop(l, mode)));
    if (mode === 'abort') for (const l of this.#stopping) l.cancelStaleness();
  }

  /** Cancels stale markers still pending from stopped loops. */
  cancelStaleness(): void {
    for (const l of this.#stopping) l.cancelStaleness();
    this.#stopping.clear();
  }

  activeTargets(): Target[] {
    return [...this.#loops.values()].map((l) => l.target).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  droppedTargets(): Labels[] {
    return this.#dropped;
  }

  get droppedCount(): number {
    return this.#droppedCount;
  }

  /** Loops by target hash (tests: check a loop object survived a reload). */
  loops(): ReadonlyMap<string, ScrapeLoop> {
    return this.#loops;
  }

  async #stopLoop(l: ScrapeLoop, mode: StopMode): Promise<void> {
    if (mode === 'stale') this.#stopping.add(l);
    await l.stop(mode);
  }

  async #sync(recreate: boolean, reuseCache: boolean): Promise<void> {
    const job = this.#job;
    const m = this.#deps.metrics;
    const syncStart = this.#deps.clock.monotonic();
    const next = new Map<string, Target>();
    const dropped: Labels[] = [];
    const failures: Error[] = [];
    for (const g of this.#groups) {
      const r = targetsFromGroup(g, job, this.#program, this.#deps.noDefaultPort);
      for (const t of r.active) if (!next.has(t.hash)) next.set(t.hash, t);
      dropped.push(...r.dropped);
      failures.push(...r.failures);
    }
    this.failures = failures;
    if (failures.length > 0) m?.syncFailed.inc([job.job_name], failures.length);
    this.#droppedCount = dropped.length;
    const keep = job.keep_dropped_targets;
    this.#dropped = keep > 0 ? dropped.slice(0, keep) : dropped;

    const stops: Promise<void>[] = [];
    const started: ScrapeLoop[] = [];
    for (const [hash, old] of this.#loops) {
      const t = next.get(hash);
      if (t === undefined) {
        this.#loops.delete(hash);
        stops.push(this.#stopLoop(old, 'stale'));
      } else if (recreate) {
        stops.push(this.#stopLoop(old, 'quiet'));
        const loop = this.#newLoop(old.target, reuseCache ? old.cache : undefined);
        this.#loops.set(hash, loop);
        started.push(loop);
      } else {
        // Keep the most recent discovered labels for /api/v1/targets.
        old.target.discoveredLabels = t.discoveredLabels;
      }
    }
    for (const [hash, t] of next) {
      if (this.#loops.has(hash)) continue;
      const loop = this.#newLoop(t, undefined);
      this.#loops.set(hash, loop);
      started.push(loop);
    }
    const limit = job.target_limit;
    const forced = limit > 0 && this.#loops.size > limit ? targetLimit(this.#loops.size, limit) : undefined;
    for (const l of this.#loops.values()) l.setForcedError(forced);
    if (m) {
      if (forced) m.exceededTargetLimit++;
      m.poolSyncs.inc([job.job_name]);
      m.syncLength.observe([job.job_name], (this.#deps.clock.monotonic() - syncStart) / 1000);
    }
    await Promise.all(stops);
    if (this.#running) for (const l of started) l.start();
  }

  #newLoop(target: Target, cache: ScrapeLoop['cache'] | undefined): ScrapeLoop {
    let intervalMs = this.#job.scrape_interval;
    let timeoutMs = this.#job.scrape_timeout;
    try {
      ({ intervalMs, timeoutMs } = target.intervalAndTimeout());
    } catch {
      // populateLabels checked them already; keep the job's values if a label is odd.
    }
    const d = this.#deps;
    return new ScrapeLoop({
      target,
      job: this.#job,
      metricProgram: this.#metricProgram,
      appendable: d.appendable,
      clock: d.clock,
      intervalMs,
      timeoutMs,
      offsetSeed: d.offsetSeed,
      cache,
      useCache: d.useCache,
      http: this.#http,
      onScrape: d.onScrape,
      onError: d.onError,
      metrics: d.metrics,
    });
  }
}
