/**
 * The scrape manager: one pool per job in `scrape_configs`, fed with target groups by the
 * discovery manager (`updateTargets`, keyed by job name as Prometheus's target sets are).
 * `applyConfig` leaves pools whose config did not change alone (their loops keep their
 * phase, so a reload leaves no gap), reloads changed ones, starts new ones and stops removed
 * ones (their targets get stale markers).
 *
 * Lifecycle: create(opts), start(signal?), applyConfig(jobs), updateTargets(sets), stop().
 */
import { RealClock, type Clock, type Labels, type MetricFamily } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import type { ScrapeLoop, ScrapeReport } from './scrape-loop.js';
import { ScrapePool } from './scrape-pool.js';
import { scrapeHttpSettings, type ScrapeHttpSettings } from './http-settings.js';
import type { Target } from './target.js';
import type { ScrapeJob, TargetGroup } from './types.js';
import { ScrapeMetrics } from './scrape-metrics.js';

export interface ScrapeManagerOptions {
  appendable: Appendable;
  clock?: Clock;
  /** Shifts every target's offset (Prometheus derives it from external labels and host). */
  offsetSeed?: bigint;
  /** Prometheus 3 behaviour: do not add :80/:443 to addresses without a port. */
  noDefaultPort?: boolean;
  /** false disables the per-target scrape cache (benchmarks). */
  useCache?: boolean;
  /** The config file's directory: relative tls_config and *_file paths resolve against it. */
  baseDir?: string;
  /** Called after every scrape, committed or not. */
  onScrape?: (r: ScrapeReport) => void;
  onError?: (msg: string, err: unknown) => void;
}

/** What `/api/v1/targets` needs (Prometheus's TargetRetriever). */
export interface TargetRetriever {
  targetsActive(): Map<string, Target[]>;
  targetsDropped(): Map<string, Labels[]>;
  targetsDroppedCounts(): Map<string, number>;
}

export class ScrapeManager implements TargetRetriever {
  readonly #opts: ScrapeManagerOptions;
  readonly #clock: Clock;
  readonly #pools = new Map<string, ScrapePool>();
  readonly #targetSets = new Map<string, TargetGroup[]>();
  readonly #metrics = new ScrapeMetrics();
  #running = false;
  #stopped = false;
  /** Serialises config and target updates so they apply in call order. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(opts: ScrapeManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? new RealClock();
  }

  static create(opts: ScrapeManagerOptions): ScrapeManager {
    return new ScrapeManager(opts);
  }

  start(signal?: AbortSignal): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    for (const p of this.#pools.values()) p.start();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Shutdown: stops every loop at once, without stale markers (a restart continues the series). */
  stop(): Promise<void> {
    if (this.#stopped) return this.#queue;
    this.#stopped = true;
    this.#running = false;
    return this.#enqueue(async () => {
      await Promise.all([...this.#pools.values()].map((p) => p.stop('abort')));
      for (const p of this.#pools.values()) p.cancelStaleness();
    });
  }

  /** Applies the scrape configs (resolved: globals inherited). */
  applyConfig(jobs: readonly ScrapeJob[]): Promise<void> {
    return this.#enqueue(async () => {
      // Every job's HTTP client settings first (they read the CA, cert and key files): one
      // that cannot be used fails the whole config before anything changes.
      const http = new Map<string, ScrapeHttpSettings>();
      for (const j of jobs) {
        try {
          http.set(j.job_name, scrapeHttpSettings(j, this.#opts.baseDir));
        } catch (e) {
          if (this.#pools.has(j.job_name)) {
            this.#metrics.reloads++;
            this.#metrics.reloadsFailed++;
          } else {
            this.#metrics.pools++;
            this.#metrics.poolsFailed++;
          }
          throw e;
        }
      }
      const wanted = new Map(jobs.map((j) => [j.job_name, j]));
      const work: Promise<unknown>[] = [];
      for (const [name, pool] of this.#pools) {
        const job = wanted.get(name);
        if (job === undefined) {
          this.#pools.delete(name);
          work.push(pool.stop('stale'));
        } else {
          work.push(
            pool.reload(job, http.get(job.job_name)).then(
              (changed) => {
                if (changed) this.#metrics.reloads++;
              },
              (e: unknown) => {
                this.#metrics.reloads++;
                this.#metrics.reloadsFailed++;
                throw e;
              },
            ),
          );
        }
      }
      for (const [name, job] of wanted) {
        if (this.#pools.has(name)) continue;
        this.#metrics.pools++;
        let pool: ScrapePool;
        try {
          pool = this.#newPool(job, http.get(job.job_name));
        } catch (e) {
          this.#metrics.poolsFailed++;
          throw e;
        }
        this.#pools.set(name, pool);
        const groups = this.#targetSets.get(name);
        if (groups) work.push(pool.sync(groups));
        if (this.#running) pool.start();
      }
      await Promise.all(work);
    });
  }

  /**
   * Replaces the target groups of the jobs named in `sets` (every group of a job at once, as
   * the discovery manager sends them). Groups for jobs without a config are kept for when one
   * appears.
   */
  updateTargets(sets: ReadonlyMap<string, TargetGroup[]>): Promise<void> {
    return this.#enqueue(async () => {
      const work: Promise<void>[] = [];
      for (const [name, groups] of sets) {
        this.#targetSets.set(name, groups);
        const pool = this.#pools.get(name);
        if (pool) work.push(pool.sync(groups));
      }
      await Promise.all(work);
    });
  }

  /** The pool of a job (tests, API). */
  pool(job: string): ScrapePool | undefined {
    return this.#pools.get(job);
  }

  targetsActive(): Map<string, Target[]> {
    const out = new Map<string, Target[]>();
    for (const [name, p] of this.#pools) out.set(name, p.activeTargets());
    return out;
  }

  /** Every active loop, pools in job name order and targets in URL order (the metadata API). */
  *activeLoops(): IterableIterator<ScrapeLoop> {
    for (const name of [...this.#pools.keys()].sort()) {
      const loops = [...this.#pools.get(name)!.loops().values()];
      loops.sort((a, b) => (a.target.url < b.target.url ? -1 : a.target.url > b.target.url ? 1 : 0));
      yield* loops;
    }
  }

  targetsDropped(): Map<string, Labels[]> {
    const out = new Map<string, Labels[]>();
    for (const [name, p] of this.#pools) out.set(name, p.droppedTargets());
    return out;
  }

  targetsDroppedCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, p] of this.#pools) out.set(name, p.droppedCount);
    return out;
  }

  /**
   * Prometheus's scrape metrics (prometheus_target_*): counters kept as the loops run, and the
   * targets per job counted now (one Map size per pool, no walk over targets or series).
   */
  collectMetrics(): MetricFamily[] {
    return this.#metrics.families([...this.#pools].map(([job, p]) => [job, p.loops().size] as const));
  }

  #newPool(job: ScrapeJob, http: ScrapeHttpSettings | undefined): ScrapePool {
    const o = this.#opts;
    return new ScrapePool(job, {
      appendable: o.appendable,
      clock: this.#clock,
      offsetSeed: o.offsetSeed ?? 0n,
      noDefaultPort: o.noDefaultPort ?? false,
      useCache: o.useCache ?? true,
      ...(o.baseDir !== undefined ? { baseDir: o.baseDir } : {}),
      onScrape: o.onScrape,
      onError: o.onError,
      metrics: this.#metrics,
    }, http);
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
