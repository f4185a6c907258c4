/**
 * Helpers for the parser's tests: a plain view of parse results for deep comparison, error
 * capture, and a parse with the fast path off (the general code alone), which property
 * tests compare with the normal parse.
 */
import { EdgepromError, LimitError, ParseError } from '../errors.js';
import type { MetricFamily, Sample } from './model.js';
import { CollectingSink, ExpositionStreamParser, parseExposition } from './parse.js';
import type { ExpositionFormat, ParseOptions } from './parse-options.js';

export interface PlainSample {
  labels: string;
  value: number | string;
  timestampMs?: number;
  exemplar?: { labels: string; value: number | string; timestampMs?: number };
}

export interface PlainFamily {
  name: string;
  type: string;
  help?: string;
  unit?: string;
  samples: PlainSample[];
}

/** NaN and -0 survive toEqual as strings. */
function num(v: number): number | string {
  return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v;
}

export function plainSample(s: Sample): PlainSample {
  const out: PlainSample = { labels: s.labels.toString(), value: num(s.value) };
  if (s.timestampMs !== undefined) out.timestampMs = s.timestampMs;
  if (s.exemplar !== undefined) {
    out.exemplar = { labels: s.exemplar.labels.toString(), value: num(s.exemplar.value) };
    if (s.exemplar.timestampMs !== undefined) out.exemplar.timestampMs = s.exemplar.timestampMs;
  }
  return out;
}

export function plain(families: MetricFamily[]): PlainFamily[] {
  return families.map((f) => {
    const out: PlainFamily = { name: f.name, type: f.type, samples: f.samples.map(plainSample) };
    if (f.help !== undefined) out.help = f.help;
    if (f.unit !== undefined) out.unit = f.unit;
    return out;
  });
}

export function parsePlain(body: string | Uint8Array, format: ExpositionFormat): PlainFamily[] {
  return plain(parseExposition(body, { format }));
}

/** The error parseExposition throws; fails the test (by throwing) if it throws none. */
export function parseError(body: string | Uint8Array, opts: ParseOptions): ParseError | LimitError {
  try {
    parseExposition(body, opts);
  } catch (e) {
    if (e instanceof ParseError || e instanceof LimitError) return e;
    throw e;
  }
  throw new Error(`expected an error parsing ${JSON.stringify(String(body).slice(0, 200))}`);
}

/** Parses with the fast path off: every line goes through the general code. */
export function parseGeneral(body: string | Uint8Array, opts: ParseOptions): MetricFamily[] {
  const sink = new CollectingSink();
  const p = new ExpositionStreamParser(opts, sink, false);
  p.write(body);
  p.end();
  return sink.families;
}

/** A parse outcome that can be compared: the plain result, or the error's class and message. */
export function outcome(parse: () => MetricFamily[]): { ok: PlainFamily[] } | { error: string } {
  try {
    return { ok: plain(parse()) };
  } catch (e) {
    if (e instanceof ParseError || e instanceof LimitError) return { error: `${e.name}: ${e.message}` };
    throw e;
  }
}

/** Rethrows anything that is not one of the parser's two error types. */
export function onlyParserErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (e instanceof ParseError || e instanceof LimitError) return;
    if (e instanceof EdgepromError) throw new Error(`unexpected EdgepromError ${e.code}: ${e.message}`);
    throw e;
  }
}
