/**
 * Assigning samples to metric families. The line parser (parse-lines.ts) hands each
 * metadata line and each sample to a FamilyTracker: TextFamilies for the text format
 * (below) or OpenMetricsFamilies (parse-openmetrics.ts), which also enforces the
 * OpenMetrics rules that span lines.
 */
import { ParseError } from '../errors.js';
import type { MetricFamily, MetricType, Sample } from './model.js';
import type { ExpositionSink } from './parse-options.js';
import { scanFloat, type NumberOut, type StringCache } from './parse-scanner.js';

export const META_HELP = 0;
export const META_TYPE = 1;
export const META_UNIT = 2;
export type MetaKind = typeof META_HELP | typeof META_TYPE | typeof META_UNIT;

/** What a sample name is to its family: the bare name or one of the suffixed series. */
export const K_BASE = 0;
export const K_TOTAL = 1;
export const K_CREATED = 2;
export const K_BUCKET = 3;
export const K_SUM = 4;
export const K_COUNT = 5;
export const K_GSUM = 6;
export const K_GCOUNT = 7;
export const K_INFO = 8;

const SUFFIX: readonly string[] = ['', '_total', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info'];

/** Suffixes that may join a text-format sample to a histogram or summary family. */
const SPLIT_KINDS: readonly number[] = [K_BUCKET, K_SUM, K_COUNT];

/** Just the bare name: gauges, unknown, stateset, and every family until its TYPE. */
const BASE_KINDS: readonly number[] = [K_BASE];

/** Sample kinds each type allows, in the text format (0.0.4). */
const TEXT_KINDS: Partial<Record<MetricType, readonly number[]>> = {
  histogram: [K_BASE, K_BUCKET, K_SUM, K_COUNT],
  summary: [K_BASE, K_SUM, K_COUNT],
};

/** Sample kinds each type allows in OpenMetrics (as in the reference Python parser). */
const OM_KINDS: Partial<Record<MetricType, readonly number[]>> = {
  counter: [K_TOTAL, K_CREATED],
  summary: [K_BASE, K_COUNT, K_SUM, K_CREATED],
  histogram: [K_COUNT, K_SUM, K_BUCKET, K_CREATED],
  gaugehistogram: [K_GCOUNT, K_GSUM, K_BUCKET],
  info: [K_INFO],
};

/** Where trackers report errors. */
export interface TrackerContext {
  readonly source: string | undefined;
  readonly sink: ExpositionSink;
  /** The sink only collects (parseExposition): push samples into their family directly. */
  readonly collect: boolean;
  readonly cache: StringCache;
}

/** Hands a sample to the sink. */
export function deliver(ctx: TrackerContext, sample: Sample, family: MetricFamily): void {
  if (ctx.collect) family.samples.push(sample);
  else ctx.sink.sample(sample, family);
}

export function fail(ctx: TrackerContext, reason: string, line: number, column = 1): never {
  throw new ParseError(reason, { line, column }, ctx.source);
}

/** Families whose `# TYPE` line said untyped/unknown (rare: a set, not a field on every family). */
const DECLARED_UNKNOWN = new WeakSet<MetricFamily>();

/**
 * Whether a parsed family of type `unknown` had a `# TYPE` line (`untyped` in the text
 * format, `unknown` in OpenMetrics), as opposed to none: Prometheus lists the former in
 * its metric metadata and not the latter.
 */
export function declaredUnknown(f: MetricFamily): boolean {
  return DECLARED_UNKNOWN.has(f);
}

/** One family being assembled, with the sample names it accepts. */
export class FamilyState {
  readonly family: MetricFamily;
  /** Accepted sample names and their kinds, parallel arrays (a handful of entries). */
  names: string[];
  kinds: readonly number[];
  hasSamples = false;
  typeSet = false;
  helpSet = false;
  unitSet = false;
  /** Line of its first appearance, for errors found when it is closed. */
  readonly line: number;

  constructor(name: string, line: number) {
    this.family = { name, type: 'unknown', samples: [] };
    this.names = [name];
    this.kinds = BASE_KINDS;
    this.line = line;
  }

  /**
   * Sets the type and the sample names it accepts. Suffixed names go through the cache, so
   * that sample names scanned later are usually the very same string objects.
   */
  setType(type: MetricType, om: boolean, cache: StringCache): void {
    this.family.type = type;
    this.typeSet = true;
    if (type === 'unknown') DECLARED_UNKNOWN.add(this.family);
    const kinds = (om ? OM_KINDS : TEXT_KINDS)[type];
    if (kinds === undefined) return; // only the bare name, as set up by the constructor
    const base = this.family.name;
    this.kinds = kinds;
    this.names = kinds.map((k) => (k === K_BASE ? base : cache.intern(base + SUFFIX[k])));
  }

  kindOf(name: string): number {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.kinds[i];
    return -1;
  }
}

export function suffixOf(kind: number): string {
  return SUFFIX[kind];
}

/** The value of a label in sorted pairs, or '' (empty values were dropped already). */
export function labelValue(kv: readonly string[], name: string): string {
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return kv[i + 1];
  return '';
}

const scratch: NumberOut = { value: 0 };

/** Parses a whole label value as a float (for `le` and `quantile`); undefined if it is not one. */
export function floatLabel(v: string, hex: boolean): number | undefined {
  return v !== '' && scanFloat(v, 0, v.length, scratch, hex) === v.length ? scratch.value : undefined;
}

/** What a sample handed over with kv null (a transient one, parse-lines.ts) also offers. */
export interface TransientLabel {
  /** One label's value, '' if none, without building the sample's Labels. */
  label(name: string): string;
}

/** A label of a sample: from its pairs, or of a transient sample (kv null) without its Labels. */
function sampleLabel(sample: Sample, kv: readonly string[] | null, name: string): string {
  return kv !== null ? labelValue(kv, name) : (sample as unknown as TransientLabel).label(name);
}

export interface FamilyTracker {
  /** A `# HELP`, `# TYPE` or `# UNIT` line; for TYPE, `text` is a MetricType. */
  metadata(kind: MetaKind, name: string, text: string, line: number): void;
  /**
   * A sample whose sorted label pairs (with `__name__`) are `kv`; null (text format with a
   * transient sink only): read them from `sample.labels` if needed.
   */
  sample(name: string, sample: Sample, kv: readonly string[] | null, line: number): void;
  /** End of input: runs checks that wait for a family's last line. */
  end(line: number): void;
}

/**
 * Text format 0.0.4, as Prometheus's expfmt reads it: a sample joins the family of its
 * name, or of its name without `_bucket`/`_sum`/`_count` when that family is a histogram
 * or summary, or else a new `unknown` family named after it. Families may be split; the
 * later samples join the earlier family.
 */
export class TextFamilies implements FamilyTracker {
  readonly #ctx: TrackerContext;
  readonly #byName = new Map<string, FamilyState>();
  #cur: FamilyState | null = null;

  constructor(ctx: TrackerContext) {
    this.#ctx = ctx;
  }

  metadata(kind: MetaKind, name: string, text: string, line: number): void {
    // `# TYPE` usually follows the `# HELP` of the same name.
    let st = this.#cur !== null && this.#cur.family.name === name ? this.#cur : this.#byName.get(name);
    if (st === undefined) st = this.#create(name, line);
    this.#cur = st;
    if (kind === META_HELP) {
      if (st.helpSet) fail(this.#ctx, `second HELP line for metric "${name}"`, line);
      st.helpSet = true;
      st.family.help = text;
    } else {
      if (st.typeSet) fail(this.#ctx, `second TYPE line for metric "${name}"`, line);
      if (st.hasSamples) fail(this.#ctx, `TYPE line for metric "${name}" after its samples`, line);
      st.setType(text as MetricType, false, this.#ctx.cache);
    }
  }

  sample(name: string, sample: Sample, kv: readonly string[] | null, line: number): void {
    let st = this.#cur;
    let kind = st === null ? -1 : st.kindOf(name);
    if (kind < 0) {
      st = this.#lookup(name, line);
      kind = st.kindOf(name);
      this.#cur = st;
    }
    const type = st!.family.type;
    if (kind === K_BUCKET) {
      const le = sampleLabel(sample, kv, 'le');
      if (floatLabel(le, true) === undefined) {
        fail(this.#ctx, le === '' ? `histogram bucket "${name}" has no "le" label` : `invalid "le" label value "${le}"`, line);
      }
    } else if (kind === K_BASE && type === 'summary') {
      const q = sampleLabel(sample, kv, 'quantile');
      if (floatLabel(q, true) === undefined) {
        fail(this.#ctx, q === '' ? `summary sample "${name}" has no "quantile" label` : `invalid "quantile" label value "${q}"`, line);
      }
    }
    st!.hasSamples = true;
    deliver(this.#ctx, sample, st!.family);
  }

  end(): void {
    this.#cur = null;
  }

  #lookup(name: string, line: number): FamilyState {
    const exact = this.#byName.get(name);
    if (exact !== undefined) return exact;
    for (const k of SPLIT_KINDS) {
      const suffix = SUFFIX[k];
      if (name.length > suffix.length && name.endsWith(suffix)) {
        const base = this.#byName.get(name.slice(0, name.length - suffix.length));
        if (base !== undefined && base.kindOf(name) >= 0) return base;
      }
    }
    return this.#create(name, line);
  }

  #create(name: string, line: number): FamilyState {
    const st = new FamilyState(name, line);
    this.#byName.set(name, st);
    this.#ctx.sink.family(st.family);
    return st;
  }
}

