/**
 * The collector: runs every exporter on an interval, caches what they return, and hands each
 * batch to listeners. Scrapes read the cache (plus the few `live` exporters), so a scrape
 * never waits for a slow read and ten concurrent scrapers cost no more collection than one.
 *
 *   exporters ─► collect cycle (all at once, each with a timeout) ─► merge ─► listeners
 *                                                                        └─► cache ─► snapshot()
 *
 * Listeners (`onCollect`) see every batch before the cache is updated, so the LevelDB buffer
 * can record each sample "before anything else sees it" (docs/architecture.md). Time comes
 * from the injected Clock only.
 */
import { setMaxListeners } from 'node:events';
import { EdgepromError, RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import type { Exporter } from './exporter/interface.js';
import { FamilySet } from '@edgeprom/shared';
import { silentLogger, type Logger } from './logger.js';

export const DEFAULT_INTERVAL_MS = 15_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Called with every collected batch, the wall time (ms) the cycle started at, and the
 * Clock's monotonic reading at that moment (the clock gate compares the two, clock/).
 */
export type CollectListener = (families: readonly MetricFamily[], timestampMs: number, monotonicMs: number) => void | Promise<void>;

export interface CollectorOptions {
  exporters: readonly Exporter[];
  /** Time between collection cycles. Default 15 s. */
  intervalMs?: number;
  /** Longest one exporter may take in a cycle. Default min(10 s, interval). */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  /**
   * Whether sample timestamps may be served. While it says false (the wall clock is not
   * trusted, clock/), snapshot() strips the timestamps exporters set (textfile lines), so
   * the scraper stamps them with its own clock. Default: always.
   */
  timestampsTrusted?: () => boolean;
}

/** What the collector knows about one exporter after the last cycle. */
export interface ExporterStatus {
  name: string;
  up: boolean;
  durationSeconds: number;
  /** Message of the last failure; undefined while the exporter works. */
  lastError?: string;
}

interface ExporterState {
  exporter: Exporter;
  up: boolean;
  durationSeconds: number;
  lastError?: string;
  families: MetricFamily[];
  /** Set while a collect() has not settled, even after we stopped waiting for it (timeout). */
  running?: Promise<unknown>;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return (err as { code?: string }).code ? `${(err as { code?: string }).code}: ${err.message}` : err.message;
  return String(err);
}

/** The families with every sample's own timestamp removed (copies only what changes). */
function withoutTimestamps(families: MetricFamily[]): MetricFamily[] {
  return families.map((f) => (f.samples.some((s) => s.timestampMs !== undefined) ? { ...f, samples: f.samples.map((s) => (s.timestampMs === undefined ? s : { ...s, timestampMs: undefined })) } : f));
}

/** Drops repeated series inside each family (two chips with one name, a textfile listing a series twice). */
function dedupeSeries(families: MetricFamily[]): MetricFamily[] {
  return families.map((f) => {
    const seen = new Set<string>();
    let dup = false;
    for (const s of f.samples) {
      if (seen.has(s.labels.key)) {
        dup = true;
        break;
      }
      seen.add(s.labels.key);
    }
    if (!dup) return f;
    seen.clear();
    return { ...f, samples: f.samples.filter((s) => !seen.has(s.labels.key) && (seen.add(s.labels.key), true)) };
  });
}

export class Collector {
  readonly #clock: Clock;
  readonly #logger: Logger;
  #intervalMs: number;
  #timeoutMs: number;
  #states: ExporterState[];
  readonly #listeners = new Set<CollectListener>();
  #timer: ReturnType<Clock['setInterval']> | undefined;
  #stop = Collector.#stopController();
  #inflight: Promise<void> | undefined;
  /** Merged families of the non-live exporters and the collector's own, from the last cycle. */
  #cached: MetricFamily[] | undefined;
  #lastCycleMs: number | undefined;
  readonly #loggedConflicts = new Set<string>();
  readonly #timestampsTrusted: (() => boolean) | undefined;

  /** Every exporter of a cycle listens on this signal: one per exporter, so no listener cap. */
  static #stopController(): AbortController {
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    return ac;
  }

  constructor(opts: CollectorOptions) {
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
    this.#intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#timeoutMs = opts.timeoutMs ?? Math.min(DEFAULT_TIMEOUT_MS, this.#intervalMs);
    this.#validateTimes();
    this.#states = this.#statesFor(opts.exporters);
    this.#timestampsTrusted = opts.timestampsTrusted;
  }

  /** Starts the first cycle now and one every interval. Returns at once; see `ready`. */
  start(): void {
    if (this.#timer) return;
    if (this.#stop.signal.aborted) this.#stop = Collector.#stopController();
    this.#timer = this.#clock.setInterval(() => this.#tick(), this.#intervalMs);
    this.#tick();
  }

  #tick(): void {
    this.collect().catch((err: unknown) => this.#logger.error({ err }, 'collection cycle failed'));
  }

  /** Stops the interval, aborts exporters still running, and waits for the cycle to settle. */
  async stop(): Promise<void> {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort(new EdgepromError('ERR_COLLECTOR_STOPPED', 'collector stopped'));
    await this.#inflight;
  }

  /** True once a cycle has completed (the `/-/ready` answer). */
  get ready(): boolean {
    return this.#cached !== undefined;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Wall time (ms) at which the last completed cycle started. */
  get lastCollectionMs(): number | undefined {
    return this.#lastCycleMs;
  }

  /**
   * Subscribes to every collected batch; returns the unsubscribe function. Listeners are
   * awaited before the cache is updated (so a sample is recorded before a scrape can see it);
   * meanwhile scrapes serve the previous batch. A listener that throws is logged, not retried.
   */
  onCollect(listener: CollectListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs a cycle now, or joins the one already running (never two at once). */
  collect(): Promise<void> {
    this.#inflight ??= this.#cycle().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * The families a scrape serves: the last cycle's cache, with `live` exporters run now.
   * Before the first cycle has completed, waits for it. Never runs the other exporters.
   */
  async snapshot(): Promise<MetricFamily[]> {
    const out = await this.#snapshot();
    return this.#timestampsTrusted && !this.#timestampsTrusted() ? withoutTimestamps(out) : out;
  }

  async #snapshot(): Promise<MetricFamily[]> {
    if (this.#cached === undefined) await this.collect();
    const cached = this.#cached ?? [];
    const live = this.#states.filter((s) => s.exporter.live);
    if (live.length === 0) return cached;
    const fresh = await Promise.all(
      live.map(async (s) => {
        try {
          return this.#merge([dedupeSeries(await s.exporter.collect(this.#stop.signal))]);
        } catch {
          return s.families; // the cycle logs and reports failures; a scrape serves the last good values
        }
      }),
    );
    return this.#merge([cached, ...fresh]);
  }

  /** Per-exporter status after the last cycle. */
  status(): ExporterStatus[] {
    return this.#states.map((s) => ({ name: s.exporter.name, up: s.up, durationSeconds: s.durationSeconds, lastError: s.lastError }));
  }

  /**
   * Applies new settings without a restart (SIGHUP). Exporters are matched by name: one that
   * stays keeps its state (a still-running call, the last error already logged).
   */
  applyConfig(cfg: { intervalMs?: number; timeoutMs?: number; exporters?: readonly Exporter[] }): void {
    const oldInterval = this.#intervalMs;
    const oldTimeout = this.#timeoutMs;
    if (cfg.intervalMs !== undefined) this.#intervalMs = cfg.intervalMs;
    if (cfg.timeoutMs !== undefined) this.#timeoutMs = cfg.timeoutMs;
    else if (cfg.intervalMs !== undefined) this.#timeoutMs = Math.min(DEFAULT_TIMEOUT_MS, this.#intervalMs);
    try {
      this.#validateTimes();
    } catch (err) {
      this.#intervalMs = oldInterval;
      this.#timeoutMs = oldTimeout;
      throw err;
    }
    if (cfg.exporters) this.#states = this.#statesFor(cfg.exporters, this.#states);
    if (this.#timer && this.#intervalMs !== oldInterval) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = this.#clock.setInterval(() => this.#tick(), this.#intervalMs);
    }
  }

  #validateTimes(): void {
    for (const [what, v] of [
      ['interval', this.#intervalMs],
      ['timeout', this.#timeoutMs],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new EdgepromError('ERR_INVALID_ARGUMENT', `collector ${what} must be a positive number of ms, got ${v}`);
    }
  }

  #statesFor(exporters: readonly Exporter[], previous: ExporterState[] = []): ExporterState[] {
    const names = new Set<string>();
    for (const e of exporters) {
      if (names.has(e.name)) throw new EdgepromError('ERR_INVALID_ARGUMENT', `two exporters are named "${e.name}"`);
      names.add(e.name);
    }
    const byName = new Map(previous.map((s) => [s.exporter.name, s]));
    return exporters.map((exporter) => {
      const old = byName.get(exporter.name);
      return old ? { ...old, exporter } : { exporter, up: false, durationSeconds: 0, families: [] };
    });
  }

  async #cycle(): Promise<void> {
    const signal = this.#stop.signal;
    const timestampMs = this.#clock.now();
    const monotonicMs = this.#clock.monotonic();
    const states = this.#states;
    await Promise.all(states.map((s) => this.#runOne(s, signal)));
    if (signal.aborted) return;

    const own = new FamilySet();
    for (const s of states) {
      own.gauge('edgeprom_exporter_up', 'Whether the exporter\'s last collection succeeded (1) or failed or timed out (0).', { exporter: s.exporter.name }, s.up ? 1 : 0);
    }
    for (const s of states) {
      own.gauge('edgeprom_exporter_duration_seconds', 'How long the exporter\'s last collection took.', { exporter: s.exporter.name }, s.durationSeconds);
    }
    own.gauge('edgeprom_collector_last_collection_timestamp_seconds', 'When the last collection cycle started, in unixtime.', undefined, timestampMs / 1000);
    const ownFamilies = own.list();

    const cached = this.#merge([...states.filter((s) => !s.exporter.live).map((s) => s.families), ownFamilies]);
    const batch = this.#merge([cached, ...states.filter((s) => s.exporter.live).map((s) => s.families)]);
    await Promise.all(
      [...this.#listeners].map(async (l) => {
        try {
          await l(batch, timestampMs, monotonicMs);
        } catch (err) {
          this.#logger.error({ err }, 'collect listener failed');
        }
      }),
    );
    this.#cached = cached;
    this.#lastCycleMs = timestampMs;
  }

  async #runOne(state: ExporterState, cycleSignal: AbortSignal): Promise<void> {
    const name = state.exporter.name;
    const t0 = this.#clock.monotonic();
    if (state.running) {
      // It timed out earlier and is still stuck: stacking another call would pile them up.
      this.#fail(state, new EdgepromError('ERR_EXPORTER_STUCK', 'previous collection has not finished (timed out earlier)'));
      return;
    }
    const ac = new AbortController();
    const forward = () => ac.abort(cycleSignal.reason);
    cycleSignal.addEventListener('abort', forward, { once: true });
    const timer = this.#clock.setTimeout(
      () => ac.abort(new EdgepromError('ERR_EXPORTER_TIMEOUT', `timed out after ${this.#timeoutMs / 1000}s`)),
      this.#timeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      if (ac.signal.aborted) reject(ac.signal.reason);
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
    });
    const run = Promise.resolve().then(() => state.exporter.collect(ac.signal));
    state.running = run;
    const clear = () => {
      if (state.running === run) state.running = undefined;
    };
    run.then(clear, clear);
    try {
      const families = await Promise.race([run, aborted]);
      if (!Array.isArray(families)) throw new EdgepromError('ERR_EXPORTER_RESULT', `collect() returned ${typeof families}, not an array`);
      state.families = this.#merge([dedupeSeries(families)]);
      state.up = true;
      if (state.lastError !== undefined) this.#logger.info({ exporter: name }, 'exporter recovered');
      state.lastError = undefined;
    } catch (err) {
      if (cycleSignal.aborted) return; // shutting down: not the exporter's fault
      this.#fail(state, err);
    } finally {
      this.#clock.clearTimeout(timer);
      cycleSignal.removeEventListener('abort', forward);
      state.durationSeconds = (this.#clock.monotonic() - t0) / 1000;
    }
  }

  #fail(state: ExporterState, err: unknown): void {
    state.up = false;
    state.families = [];
    const msg = errorMessage(err);
    if (msg !== state.lastError) this.#logger.warn({ exporter: state.exporter.name, err: msg }, 'exporter failed');
    state.lastError = msg;
  }

  /**
   * Merges family lists into one, sorted by name. A name from two sources merges when the
   * types agree (first series wins on a clash) and is dropped from the later source when they
   * do not; each distinct conflict is logged once.
   */
  #merge(lists: MetricFamily[][]): MetricFamily[] {
    const byName = new Map<string, MetricFamily>();
    for (const list of lists) {
      for (const f of list) {
        const prev = byName.get(f.name);
        if (!prev) {
          byName.set(f.name, f);
          continue;
        }
        if (prev.type !== f.type) {
          const key = `${f.name}:${prev.type}:${f.type}`;
          if (!this.#loggedConflicts.has(key)) {
            this.#loggedConflicts.add(key);
            this.#logger.warn({ family: f.name, types: [prev.type, f.type] }, 'two exporters report one metric with different types; keeping the first');
          }
          continue;
        }
        const seen = new Set(prev.samples.map((s) => s.labels.key));
        byName.set(f.name, { ...prev, samples: [...prev.samples, ...f.samples.filter((s) => !seen.has(s.labels.key))] });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
