/**
 * The aggregator's own /metrics: a list of named collectors, each a function returning
 * MetricFamily lists, gathered on every scrape of /metrics. No metric is global: every part
 * keeps its figures as plain numbers and names them in its `collectMetrics()`; main wires
 * them in here (see ./aggregator-collectors.ts).
 *
 *   const self = createSelfMetrics({ logger, version });   // process, runtime, build info
 *   self.register('tsdb', () => tsdb.collectMetrics());
 *   const families = await self.gather();
 *   self.stop();
 *
 * Isolation: a collector that throws (or rejects) is skipped for that gather, logged (once
 * per distinct error), and counted in `edgeprom_self_metrics_collector_failures_total`; the
 * others are served. A family name a previous collector already produced is dropped (and
 * logged once), since a duplicate family makes the whole exposition invalid.
 */
import { processExporter, RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import { CounterVec, gaugeFamily } from './metric-types.js';
import { runtimeCollector, type RuntimeCollector } from './runtime.js';

export type CollectFn = () => MetricFamily[] | Promise<MetricFamily[]>;

/** What GET /metrics needs (the api's MetricsGatherer). */
export interface Gatherer {
  gather(): Promise<MetricFamily[]>;
}

export interface SelfMetricsLogger {
  warn(obj: object, msg?: string): void;
}

export interface BuildInfo {
  version: string;
  revision?: string;
  branch?: string;
}

export interface SelfMetricsOptions {
  logger?: SelfMetricsLogger;
  clock?: Clock;
  build?: BuildInfo;
  /** procfs mount for process_* (default /proc). */
  procfs?: string;
  /** false: no process, runtime or build-info collectors (tests of the registry alone). */
  builtins?: boolean;
}

const SILENT: SelfMetricsLogger = { warn() {} };

export class SelfMetrics implements Gatherer {
  readonly #collectors = new Map<string, CollectFn>();
  readonly #logger: SelfMetricsLogger;
  readonly #clock: Clock;
  readonly #failures = new CounterVec(
    'edgeprom_self_metrics_collector_failures_total',
    'Collections of the aggregator\'s own metrics that failed, by collector; the collector is skipped for that scrape.',
    ['collector'],
  );
  readonly #durations = new Map<string, number>();
  /** Last error message logged per collector, so a collector failing the same way logs once. */
  readonly #logged = new Map<string, string>();
  readonly #duplicatesLogged = new Set<string>();
  #runtime: RuntimeCollector | undefined;

  constructor(opts: SelfMetricsOptions = {}) {
    this.#logger = opts.logger ?? SILENT;
    this.#clock = opts.clock ?? new RealClock();
    if (opts.builtins !== false) {
      const proc = processExporter({ clock: this.#clock, roots: { procfs: opts.procfs } });
      this.register('process', (): Promise<MetricFamily[]> => proc.collect());
      const runtime = runtimeCollector();
      this.#runtime = runtime;
      this.register('runtime', () => runtime.collect());
      const build = opts.build ?? { version: '0.1.0' };
      this.register('build', () => [
        gaugeFamily(
          'edgeprom_build_info',
          'A metric with a constant \'1\' value labeled by version, revision, branch, and the Node.js version the aggregator runs on.',
          ['component', 'version', 'revision', 'branch', 'nodeversion', 'goos', 'goarch'],
          [[['aggregator', build.version, build.revision ?? 'unknown', build.branch ?? 'unknown', process.version, process.platform, process.arch], 1]],
        ),
      ]);
    }
  }

  /** Adds a collector; its name is the `collector` label of the failure counter. */
  register(name: string, collect: CollectFn): void {
    if (this.#collectors.has(name)) throw new Error(`self metrics: a collector named ${JSON.stringify(name)} is already registered`);
    this.#collectors.set(name, collect);
    this.#failures.init([name]);
  }

  /** Every collector's families, in registration order, then the registry's own. */
  async gather(): Promise<MetricFamily[]> {
    const names = [...this.#collectors.keys()];
    const results = await Promise.all(names.map((n) => this.#run(n)));
    const out: MetricFamily[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < names.length; i++) {
      for (const f of results[i]!) {
        if (seen.has(f.name)) {
          if (!this.#duplicatesLogged.has(f.name)) {
            this.#duplicatesLogged.add(f.name);
            this.#logger.warn({ collector: names[i], family: f.name }, 'self metrics: family already produced by another collector; dropped');
          }
          continue;
        }
        seen.add(f.name);
        out.push(f);
      }
    }
    out.push(this.#failures.family());
    out.push(
      gaugeFamily(
        'edgeprom_self_metrics_collector_duration_seconds',
        'How long each collector of the aggregator\'s own metrics took at the last scrape of /metrics.',
        ['collector'],
        [...this.#durations].map(([n, ms]) => [[n], ms / 1000] as const),
      ),
    );
    return out;
  }

  /** Stops what the built-in collectors run in the background (the event loop monitor). */
  stop(): void {
    this.#runtime?.stop();
  }

  async #run(name: string): Promise<MetricFamily[]> {
    const start = this.#clock.monotonic();
    let sync = false;
    try {
      const r = this.#collectors.get(name)!();
      // A synchronous collector's time is taken before the others run (they all start in
      // this tick); an asynchronous one's includes its I/O waits.
      if (!(r instanceof Promise)) {
        sync = true;
        this.#durations.set(name, this.#clock.monotonic() - start);
      }
      const fams = await r;
      this.#logged.delete(name);
      return fams;
    } catch (e) {
      this.#failures.inc([name]);
      const msg = e instanceof Error ? e.message : String(e);
      if (this.#logged.get(name) !== msg) {
        this.#logged.set(name, msg);
        this.#logger.warn({ collector: name, err: msg }, 'self metrics: collector failed; skipped (repeats of this error are not logged)');
      }
      return [];
    } finally {
      if (!sync) this.#durations.set(name, this.#clock.monotonic() - start);
    }
  }
}

export function createSelfMetrics(opts: SelfMetricsOptions = {}): SelfMetrics {
  return new SelfMetrics(opts);
}
