/**
 * One target's scrape loop, following Prometheus's scrapeLoop: first scrape after the
 * target's offset, then one per interval (a tick that falls during a slow scrape runs right
 * after it, the rest are skipped); timestamps aligned to the interval grid within 1%; ONE
 * appender per scrape, holding the samples and the report series, committed on success. On
 * failure it is rolled back and a second appender carries the stale markers for every
 * series of the previous scrape and the report (`up` 0), as Prometheus does.
 *
 * All timing comes from the injected Clock.
 */
import {
  ExpositionStreamParser,
  formatOfContentType,
  ParseMemory,
  type Clock,
  type ExpositionSink,
  Labels,
  type MetricFamily,
  type Sample,
} from '@edgeprom/shared';
import type { Appendable, Appender } from '../storage/interface.js';
import { isSampleError, type SampleErrorCode } from '../storage/errors.js';
import { STALE_NAN, isStaleNaN } from '../storage/value.js';
import type { RelabelProgram } from '../relabel/relabel.js';
import { ScrapeError, sampleLimit } from './errors.js';
import { httpScrape, prepareScrapeRequest, ScrapeConnections, type PreparedRequest } from './http-scraper.js';
import type { ScrapeHttpSettings } from './http-settings.js';
import { checkSeries, mutateSampleLabels, reportLabels, type LabelLimits } from './sample-labels.js';
import { ScrapeCache, type Entry } from './scrape-cache.js';
import type { Target } from './target.js';
import type { ScrapeJob } from './types.js';
import type { ScrapeMetrics } from './scrape-metrics.js';
import { metadataOf, type TargetMetadata } from './target-metadata.js';

/** The HTTP layer enforces body_size_limit (on the bytes received), not the parser. */
const NO_BODY_LIMIT = Object.freeze({ maxBodyBytes: 0 });

/** Samples further ahead than this are refused (Prometheus's maxAheadTime). */
const MAX_AHEAD_MS = 10 * 60_000;

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;

/** What happened in one scrape; handed to `onScrape` (tests, logs, the fleet view). */
export interface ScrapeReport {
  target: Target;
  /** Scrape timestamp (ms). */
  time: number;
  error: Error | undefined;
  scraped: number;
  postRelabel: number;
  seriesAdded: number;
  /** Samples the store refused (out of order, duplicate, out of bounds): counted, not fatal. */
  refused: number;
}

export interface ScrapeLoopOptions {
  target: Target;
  job: ScrapeJob;
  metricProgram: RelabelProgram;
  appendable: Appendable;
  clock: Clock;
  intervalMs: number;
  timeoutMs: number;
  offsetSeed?: bigint;
  /** Reused from a previous loop of the same target when the config change keeps it valid. */
  cache?: ScrapeCache;
  /** false: relabel and rebuild every series every scrape (benchmark comparison). */
  useCache?: boolean;
  /** The job's HTTP client settings (auth, TLS, proxy, redirects); absent: none. */
  http?: ScrapeHttpSettings;
  onScrape?: (r: ScrapeReport) => void;
  onError?: (msg: string, err: unknown) => void;
  /** The manager's self metrics (interval length, limits hit, samples refused). */
  metrics?: ScrapeMetrics;
}

export class ScrapeLoop {
  readonly target: Target;
  readonly cache: ScrapeCache;
  /** The target's `# TYPE`/`# HELP`/`# UNIT` (target-metadata.ts), kept with the cache. */
  readonly metadata: TargetMetadata;
  readonly #o: ScrapeLoopOptions;
  readonly #limits: LabelLimits;
  readonly #useCache: boolean;
  #timer: { id: number } | undefined;
  #tickTimer: { id: number } | undefined;
  /** Monotonic time of the next tick. */
  #nextTick = 0;
  #running: Promise<void> | undefined;
  #pendingTick = false;
  #stopped = false;
  #aligned = 0;
  #lastScrape = 0;
  /** Monotonic start of the previous scrape, for prometheus_target_interval_length_seconds. */
  #lastStart: number | undefined;
  #forcedError: Error | undefined;
  readonly #abort = new AbortController();
  readonly #staleTimers: { id: number }[] = [];
  /** The request, built on the first scrape (a bad URL fails that scrape). */
  #request: PreparedRequest | undefined;
  /** Kept-alive connections to the target (and its redirects), closed when the loop stops. */
  readonly #conns = new ScrapeConnections();
  /** Kept by the parser from one scrape to the next: its string cache, the HELP texts. */
  readonly #parseMemory = new ParseMemory();

  constructor(o: ScrapeLoopOptions) {
    this.#o = o;
    this.target = o.target;
    this.cache = o.cache ?? new ScrapeCache();
    this.metadata = metadataOf(this.cache);
    this.#useCache = o.useCache ?? true;
    this.#limits = {
      labelLimit: o.job.label_limit,
      labelNameLengthLimit: o.job.label_name_length_limit,
      labelValueLengthLimit: o.job.label_value_length_limit,
    };
  }

  /** Schedules the first scrape after the target's offset, then one per interval. */
  start(): void {
    const { clock, intervalMs } = this.#o;
    const offset = this.target.offset(intervalMs, clock.now(), this.#o.offsetSeed ?? 0n);
    this.#nextTick = clock.monotonic() + offset;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#aligned = Math.trunc(clock.now());
      this.#nextTick = clock.monotonic() + intervalMs;
      this.#tickTimer = clock.setInterval(() => {
        this.#nextTick = clock.monotonic() + intervalMs;
        this.#tick();
      }, intervalMs);
      this.#tick();
    }, offset);
  }

  /** Makes every scrape fail with err (target_limit exceeded), or clears it. */
  setForcedError(err: Error | undefined): void {
    this.#forcedError = err;
  }

  /**
   * Stops scraping and waits for a scrape in flight ('abort' cancels it). With 'stale', stale markers for the
   * last scrape's series follow as Prometheus writes them: at the time of the next tick,
   * written a little over one more interval later, so a target that comes straight back
   * (and whose new samples then win) is not cut. They are appended with discardOutOfOrder:
   * a series written newer meanwhile (by this target elsewhere) keeps no marker, even in a
   * store with an out-of-order window.
   */
  async stop(mode: 'stale' | 'quiet' | 'abort'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { clock } = this.#o;
    if (this.#timer) clock.clearTimeout(this.#timer);
    if (this.#tickTimer) clock.clearTimeout(this.#tickTimer);
    if (mode === 'abort') this.#abort.abort(new ScrapeError('ERR_SCRAPE_NETWORK', 'scrape pool stopped'));
    await this.#running;
    this.#conns.close();
    if (mode === 'stale' && this.#lastScrape !== 0) this.#scheduleEndOfRunStaleness();
  }

  /** Cancels pending end-of-run stale markers (shutdown: a restart continues the series). */
  cancelStaleness(): void {
    for (const t of this.#staleTimers) this.#o.clock.clearTimeout(t);
    this.#staleTimers.length = 0;
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#pendingTick = true;
      return;
    }
    const { clock, intervalMs } = this.#o;
    let t = Math.trunc(clock.now());
    const tolerance = Math.max(2, intervalMs / 100);
    while (t - this.#aligned >= intervalMs) this.#aligned += intervalMs;
    if (t - this.#aligned <= tolerance) t = this.#aligned;
    this.#running = this.scrapeAndReport(t)
      .then(() => undefined, (e: unknown) => this.#o.onError?.('scrape failed', e))
      .finally(() => {
        this.#running = undefined;
        if (this.#pendingTick) {
          this.#pendingTick = false;
          this.#tick();
        }
      });
  }

  /** One scrape at timestamp t, with its report. Public for benchmarks and tests. */
  async scrapeAndReport(t: number): Promise<ScrapeReport> {
    const { clock, appendable, job, target } = this.#o;
    const start = clock.monotonic();
    if (this.#lastStart !== undefined) this.#o.metrics?.observeInterval(this.#o.intervalMs, (start - this.#lastStart) / 1000);
    this.#lastStart = start;
    let app = appendable.appender();
    const st = new ScrapeState(this, app, t, clock.now() + MAX_AHEAD_MS);
    let err: Error | undefined = this.#forcedError;
    let parser: ExpositionStreamParser | undefined;
    if (err === undefined) {
      try {
        this.#request ??= prepareScrapeRequest(target.url, this.#o.timeoutMs, job.enable_compression, undefined, this.#o.http);
        const res = await httpScrape(
          {
            url: target.url,
            prepared: this.#request,
            timeoutMs: this.#o.timeoutMs,
            bodySizeLimit: job.body_size_limit,
            enableCompression: job.enable_compression,
            clock,
            signal: this.#abort.signal,
            conns: this.#conns,
            ...(this.#o.http !== undefined ? { settings: this.#o.http } : {}),
          },
          (ct) => {
            parser = new ExpositionStreamParser({ format: formatOfContentType(ct), limits: NO_BODY_LIMIT, memory: this.#parseMemory }, st);
            st.parser = parser;
          },
          (chunk) => parser!.write(chunk),
        );
        parser!.end();
        st.bytes = res.bytes;
        if (st.limitError) throw st.limitError;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
        // HTTP failures mean no body in Prometheus: nothing counts as scraped.
        if (e instanceof ScrapeError && (e.code.startsWith('ERR_SCRAPE') || e.code === 'ERR_BODY_SIZE_LIMIT')) st.resetCounts();
      }
    }
    if (err === undefined) {
      this.#appendStale(app, t);
      this.cache.iterDone(st.bytes > 0);
      if (st.bytes > 0) this.metadata.commit();
      else this.metadata.discard();
    } else {
      this.metadata.discard();
      app.rollback();
      app = appendable.appender();
      this.cache.resetCurrent();
      this.#appendStale(app, t);
      this.cache.iterDone(false);
    }
    const durationMs = clock.monotonic() - start;
    if (this.#abort.signal.aborted) {
      // Shutdown: write nothing, so a restart continues the series without a stale marker.
      app.rollback();
      return { target, time: t, error: err, scraped: 0, postRelabel: 0, seriesAdded: 0, refused: 0 };
    }
    target.report(t, durationMs, err);
    this.#report(app, t, [err === undefined ? 1 : 0, durationMs / 1000, st.total, st.added, st.seriesAdded]);
    try {
      await app.commit();
    } catch (e) {
      this.#o.onError?.('scrape commit failed', e);
    }
    this.#lastScrape = t;
    this.#o.metrics?.scrapeDone({ code: (err as { code?: string } | undefined)?.code, refused: st.refusedBy });
    const r: ScrapeReport = { target, time: t, error: err, scraped: st.total, postRelabel: st.added, seriesAdded: st.seriesAdded, refused: st.refused };
    this.#o.onScrape?.(r);
    return r;
  }

  /** Final labels of a raw series, or null when dropped; throws for invalid ones. */
  mutate(raw: Labels): Labels | null {
    const lset = mutateSampleLabels(raw, this.target.publicLabels, this.#o.job.honor_labels, this.#o.metricProgram);
    if (lset !== null) checkSeries(lset, this.#limits);
    return lset;
  }

  get useCache(): boolean {
    return this.#useCache;
  }
  get honorTimestamps(): boolean {
    return this.#o.job.honor_timestamps;
  }
  get trackTimestampsStaleness(): boolean {
    return this.#o.job.track_timestamps_staleness;
  }
  get sampleLimit(): number {
    return this.#o.job.sample_limit;
  }

  #appendStale(app: Appender, t: number): void {
    for (const l of this.cache.stale()) appendIgnoringOrder(app, l, t, STALE_NAN);
  }

  #report(app: Appender, t: number, values: number[]): void {
    for (let i = 0; i < REPORT_NAMES.length; i++) appendIgnoringOrder(app, this.#reportLabels(REPORT_NAMES[i]), t, values[i]);
  }

  #reportLabels(name: string): Labels {
    let l = this.cache.report.get(name);
    if (l === undefined) {
      l = reportLabels(name, this.target.publicLabels);
      this.cache.report.set(name, l);
    }
    return l;
  }

  #scheduleEndOfRunStaleness(): void {
    const { clock, intervalMs, appendable } = this.#o;
    const wait = Math.max(0, this.#nextTick - clock.monotonic());
    const first = clock.setTimeout(() => {
      const staleTime = Math.trunc(clock.now());
      const second = clock.setTimeout(() => {
        this.#staleTimers.length = 0;
        // The markers are written late, and the series may have come back meanwhile (the
        // target moved to another pool or job): with an out-of-order window the store would
        // wedge the marker in before the newer samples. Discarding out-of-order samples makes
        // it refuse them instead (Prometheus #11730 / #14710), at append and at commit.
        const app = appendable.appender({ discardOutOfOrder: true });
        try {
          this.cache.resetCurrent();
          this.#appendStale(app, staleTime);
          this.cache.iterDone(false);
          for (const name of REPORT_NAMES) appendIgnoringOrder(app, this.#reportLabels(name), staleTime, STALE_NAN);
        } catch (e) {
          // A timer callback must not throw (e.g. ERR_TOO_OLD_SAMPLE after a clock jump).
          app.rollback();
          this.#o.onError?.('stale markers failed', e);
          return;
        }
        app.commit().catch((e) => this.#o.onError?.('stale commit failed', e));
      }, intervalMs + intervalMs / 10);
      this.#staleTimers.push(second);
    }, wait);
    this.#staleTimers.push(first);
  }
}

/**
 * Appends, ignoring the out-of-order and duplicate refusals a returning target causes (or,
 * for end-of-run stale markers, with discardOutOfOrder, a series that was written newer by
 * someone else since).
 */
function appendIgnoringOrder(app: Appender, l: Labels, t: number, v: number): void {
  try {
    app.append(l, t, v);
  } catch (e) {
    if (!isSampleError(e, 'ERR_OUT_OF_ORDER_SAMPLE') && !isSampleError(e, 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP')) throw e;
  }
}

/**
 * Receives the parsed samples of one scrape and appends them: the hot path. A series seen
 * before is known to the parser by its text before it reads the labels (`knownSeries`:
 * usually one comparison with the series that came next last time), and costs an append
 * with the cached Labels and SeriesRef. Lines the parser's general code read are found by
 * their parsed pairs.
 */
class ScrapeState implements ExpositionSink {
  /** Samples are read only inside sample(): a cache hit never builds their Labels. */
  readonly transientSamples = true;
  total = 0;
  added = 0;
  seriesAdded = 0;
  refused = 0;
  /** `refused`, by the store's error code. */
  readonly refusedBy: Partial<Record<SampleErrorCode, number>> = {};
  bytes = 0;
  #appended = 0;
  limitError: Error | undefined;
  /** The scrape's parser, for the text of the series being delivered. */
  parser: ExpositionStreamParser | undefined;
  readonly #loop: ScrapeLoop;
  readonly #cache: ScrapeCache;
  readonly #app: Appender;
  readonly #t: number;
  readonly #maxT: number;
  readonly #honorTs: boolean;
  readonly #track: boolean;
  readonly #limit: number;
  readonly #useCache: boolean;
  /** The entry knownSeries() found for the line being parsed. */
  #hit: Entry | undefined;
  /** knownSeries() looked the line's text up and found nothing: its length. */
  #missedLength = -1;
  /** The entry of the previous sample, and the guess for the next line (what followed last time). */
  #last: Entry | undefined;
  #guess: Entry | undefined;
  /** ExpositionSink.knownName: the metric name of the entry knownSeries() just found. */
  knownName: string | undefined = undefined;

  constructor(loop: ScrapeLoop, app: Appender, t: number, maxT: number) {
    this.#loop = loop;
    this.#cache = loop.cache;
    this.#app = app;
    this.#t = t;
    this.#maxT = maxT;
    this.#honorTs = loop.honorTimestamps;
    this.#track = loop.trackTimestampsStaleness;
    this.#limit = loop.sampleLimit > 0 ? loop.sampleLimit : Infinity;
    this.#useCache = loop.useCache;
    this.#guess = this.#cache.first;
  }

  /** The parser asks before reading a line's labels (ExpositionSink.knownSeries). */
  knownSeries(s: string, p: number, end: number): number {
    if (!this.#useCache) return -1;
    const e = this.#cache.findText(this.#guess, s, p, end);
    if (e === undefined) return -1;
    if (e === null) {
      // Not known: the parser reads the line; sample() need not look its text up again.
      this.#missedLength = this.#cache.missedLength;
      return -1;
    }
    this.#hit = e;
    this.knownName = e.name;
    return e.text!.length;
  }

  /** Remembers the order of the series, for the next scrape's guesses. */
  #follow(e: Entry): void {
    if (this.#last === undefined) this.#cache.first = e;
    else this.#last.follow = e;
    this.#last = e;
    this.#guess = e.follow;
  }

  resetCounts(): void {
    this.total = this.added = this.seriesAdded = 0;
  }

  family(f: MetricFamily): void {
    this.#loop.metadata.seen(f);
  }

  sample(s: Sample): void {
    this.total++;
    const cache = this.#cache;
    let t = this.#t;
    const ts = this.#honorTs ? s.timestampMs : undefined;
    if (ts !== undefined) t = Math.trunc(ts);
    let entry: Entry | undefined;
    let l: Labels;
    let text: string | undefined;
    if (this.#useCache) {
      const hit = this.#hit;
      const missed = this.#missedLength;
      this.#hit = undefined;
      this.#missedLength = -1;
      if (hit !== undefined && this.parser!.seriesKnown()) {
        entry = hit;
      } else {
        text = this.parser?.seriesText();
        if (text === undefined) entry = cache.get(s.labels);
        else if (text.length !== missed) entry = cache.getText(text);
      }
      if (entry !== undefined) {
        this.#follow(entry);
        if (entry.lset === undefined) return; // dropped by relabeling
      }
    }
    if (entry === undefined) {
      const lset = this.#loop.mutate(s.labels);
      if (lset === null) {
        if (this.#useCache) {
          this.#follow(text === undefined ? cache.add(s.labels, undefined, undefined) : cache.addText(text, undefined, undefined, 0, this.parser!.seriesName()));
        }
        return;
      }
      // Kept as long as the series is cached: an exact-size copy of the builder's pairs,
      // which grew by pushes (measured: ~100 B a series of spare capacity).
      l = this.#useCache ? Labels.fromSortedPairs(lset.pairs().slice()) : lset;
    } else {
      l = entry.lset!;
    }
    let added = false;
    let ref = 0;
    if (!isStaleNaN(s.value) && ++this.#appended > this.#limit) {
      this.limitError ??= sampleLimit();
    } else if (this.limitError === undefined) {
      if (t > this.#maxT) {
        this.refused++;
        this.refusedBy.ERR_TOO_FAR_IN_FUTURE = (this.refusedBy.ERR_TOO_FAR_IN_FUTURE ?? 0) + 1;
      } else {
        try {
          ref = this.#app.append(l, t, s.value, entry === undefined ? 0 : entry.ref);
          added = true;
        } catch (e) {
          if (!isSampleError(e)) throw e;
          this.refused++;
          this.refusedBy[e.code] = (this.refusedBy[e.code] ?? 0) + 1;
        }
      }
    }
    const tracked = ts === undefined || this.#track;
    if (entry === undefined) {
      const se = tracked ? cache.trackStaleness(l) : undefined;
      if (this.#useCache) this.#follow(text === undefined ? cache.add(s.labels, l, se, ref) : cache.addText(text, l, se, ref, this.parser!.seriesName()));
      if (added) this.seriesAdded++;
    } else if (added) {
      entry.ref = ref;
      if (tracked) {
        if (entry.stale !== undefined) cache.track(entry.stale);
        else entry.stale = cache.trackStaleness(l);
      }
    }
    this.added++;
  }
}
