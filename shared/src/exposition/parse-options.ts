/**
 * The parser's contract: formats, limits, options and the sink that receives what it parses.
 * The parser (parse.ts) is pure: a string or bytes in, families and samples out, and the
 * only errors it throws are ParseError (bad input, with line and column) and LimitError.
 */
import type { MetricFamily, Sample } from './model.js';
import type { ParseMemory } from './parse-scanner.js';

/** `text` is the Prometheus text format 0.0.4; `openmetrics` is OpenMetrics 1.0 text. */
export type ExpositionFormat = 'text' | 'openmetrics';

/**
 * Bounds on what one parse accepts, so that a broken or hostile target cannot exhaust a
 * small device. Each is a maximum; 0 means unlimited. Lengths of lines, names and values
 * count UTF-16 code units of the decoded text (bytes, for ASCII).
 */
export interface ParseLimits {
  /** Size of the whole body in UTF-8 bytes. */
  maxBodyBytes: number;
  /** Length of one line, without its newline. */
  maxLineLength: number;
  /** Labels written between the braces of one sample (the metric name does not count). */
  maxLabelsPerSample: number;
  /** Length of a label name. */
  maxLabelNameLength: number;
  /** Length of a label value after unescaping; also bounds metric names (`__name__`'s value). */
  maxLabelValueLength: number;
  /** Samples in the whole body. */
  maxSamples: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({
  maxBodyBytes: 10 * 1024 * 1024,
  maxLineLength: 64 * 1024,
  maxLabelsPerSample: 64,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 16 * 1024,
  maxSamples: 1_000_000,
});

export interface ParseOptions {
  format: ExpositionFormat;
  /** Overrides for DEFAULT_PARSE_LIMITS; 0 lifts a limit. */
  limits?: Partial<ParseLimits>;
  /** Name of the input (a target URL, a file) that prefixes error messages: `source:3:17: ...`. */
  source?: string;
  /**
   * Kept between parses of successive bodies from one source (a scrape loop passes the same
   * one every scrape): saves rebuilding the string cache and copying unchanged HELP texts.
   * Output is the same with or without it.
   */
  memory?: ParseMemory;
}

/**
 * Receives what ExpositionStreamParser parses, in input order.
 *
 * A family object is handed over when it first appears (its first metadata line or its
 * first sample) and is the same object for all its samples. Metadata lines that follow in
 * the same family (`# TYPE` after `# HELP`) still update it before its first sample; in the
 * text format a `# HELP` may even follow samples, as Prometheus allows.
 *
 * Checks that span several lines (histogram buckets, OpenMetrics grouping, name clashes)
 * can fail after some samples were delivered, so a consumer should treat a parse as one
 * transaction: append, then commit only when `end()` returned.
 */
export interface ExpositionSink {
  /**
   * true: the sink reads a sample (its `labels` above all) only inside `sample()` and keeps
   * no reference to it. The parser may then, in the text format, reuse one sample object and
   * build `labels` only when read: a sink that finds the series by its text
   * (`ExpositionStreamParser.seriesText()`) skips the Labels entirely.
   */
  readonly transientSamples?: boolean;
  /**
   * Optional, text format with `transientSamples` only: asked before the parser reads the
   * labels of a sample line that starts at s[p] (the line ends at the next newline, or at
   * `end`). Returns the length of a series text the sink knows and s has at p, followed by a
   * space; or -1. Known texts are texts `ExpositionStreamParser.seriesText()` gave in an
   * earlier parse with the same limits: their labels were read and checked then, and equal
   * texts are equal label sets, so the parser skips them and builds the sample's `labels`
   * only if they are read. It still reads and checks the name, value and timestamp. The
   * next `sample()` call is this line's (unless parsing throws).
   */
  knownSeries?(s: string, p: number, end: number): number;
  /**
   * Optional, read right after a positive `knownSeries` answer: the metric name
   * `ExpositionStreamParser.seriesName()` gave together with that series text, or undefined.
   * Given, the parser takes it as the line's name without reading it (a name compare and a
   * substring less per line); undefined, it reads the name.
   */
  readonly knownName?: string | undefined;
  family(family: MetricFamily): void;
  sample(sample: Sample, family: MetricFamily): void;
}

/** Limits with 0 (unlimited) turned into Infinity, so checks are one comparison. */
export interface ResolvedLimits {
  bodyBytes: number;
  lineLength: number;
  labels: number;
  labelName: number;
  labelValue: number;
  samples: number;
}

function bound(v: number | undefined, dflt: number): number {
  const x = v === undefined ? dflt : v;
  return typeof x === 'number' && x > 0 ? x : Infinity;
}

export function resolveLimits(limits: Partial<ParseLimits> | undefined): ResolvedLimits {
  const l = limits ?? {};
  const d = DEFAULT_PARSE_LIMITS;
  return {
    bodyBytes: bound(l.maxBodyBytes, d.maxBodyBytes),
    lineLength: bound(l.maxLineLength, d.maxLineLength),
    labels: bound(l.maxLabelsPerSample, d.maxLabelsPerSample),
    labelName: bound(l.maxLabelNameLength, d.maxLabelNameLength),
    labelValue: bound(l.maxLabelValueLength, d.maxLabelValueLength),
    samples: bound(l.maxSamples, d.maxSamples),
  };
}
