/**
 * Parameter parsing with Prometheus's rules and error texts (web/api/v1/api.go): parseTime,
 * parseTimeParam, parseDuration, parseLimitParam. Each returns a value or throws ApiError
 * with the message Prometheus would send.
 */
import { DurationError, parseDuration as parsePromDuration } from '@edgeprom/shared';
import { goQuote } from '../promql/parser/go-text.js';
import { badData } from './errors.js';
import { parseGoFloat, parseGoInt } from './go-strconv.js';

/**
 * Prometheus's MinTime/MaxTime (the defaults of optional start/end), in ms. They lie far
 * outside what a store holds, so callers pass them on as ±Infinity (see toQuerierBound).
 */
export const MIN_TIME_MS = -9_223_309_901_257_974_000;
export const MAX_TIME_MS = 9_223_309_901_257_974_999;
/** MinTime/MaxTime as RFC3339Nano; Go's time.Parse cannot read them back, so they are special-cased. */
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

const INT64_MAX_NS = 2 ** 63;

/** Go's math.Round: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-](\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** time.Parse(time.RFC3339Nano, s) then timestamp.FromTime, or undefined. */
function parseRfc3339Ms(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || min > 59 || sec > 59) return undefined;
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[8]!.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  const frac = m[7] ?? '';
  // FromTime truncates to the millisecond.
  const ms = frac === '' ? 0 : Number((frac + '00').slice(0, 3));
  return d.getTime() + ms - offsetMin * 60_000;
}

/** Go's math.Modf, time.Unix and timestamp.FromTime on a float of seconds, as parseTime does. */
function floatSecondsToMs(f: number): number {
  const secs = Math.trunc(f);
  const frac = goRound((f - secs) * 1000) / 1000;
  let s = secs;
  let ns = Math.trunc(frac * 1e9);
  if (ns < 0) {
    s -= 1;
    ns += 1e9;
  } else if (ns >= 1e9) {
    s += 1;
    ns -= 1e9;
  }
  return s * 1000 + Math.floor(ns / 1e6);
}

/** Prometheus's parseTime: unix seconds (a Go float) or RFC3339; result in ms. */
export function parseTime(s: string): number {
  const f = parseGoFloat(s);
  if (typeof f === 'number') {
    // Prometheus lets NaN and ±Inf through into garbage times; we refuse them.
    if (Number.isFinite(f)) return Math.min(Math.max(floatSecondsToMs(f), MIN_TIME_MS), MAX_TIME_MS);
  } else {
    const t = parseRfc3339Ms(s);
    if (t !== undefined) return t;
    if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
    if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  }
  throw new Error(`cannot parse ${goQuote(s)} to a valid timestamp`);
}

/** A reason for `invalid parameter "<name>": <reason>`. */
function invalidParam(name: string, reason: string): never {
  throw badData(`invalid parameter ${goQuote(name)}: ${reason}`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A required time parameter (query_range's start and end). */
export function requiredTime(value: string, name: string): number {
  try {
    return parseTime(value);
  } catch (e) {
    return invalidParam(name, message(e));
  }
}

/** Prometheus's parseTimeParam: an optional time with a default. */
export function optionalTime(value: string | undefined, name: string, dflt: number): number {
  if (value === undefined || value === '') return dflt;
  try {
    return parseTime(value);
  } catch (e) {
    return invalidParam(name, `Invalid time value for '${name}': ${message(e)}`);
  }
}

/**
 * Prometheus's parseDuration: float seconds or a Prometheus duration. Returns nanoseconds as
 * Go's time.Duration holds them (an integer, possibly negative); throws Error with Go's text.
 */
export function parseDurationNs(s: string): bigint {
  const f = parseGoFloat(s);
  if (typeof f === 'number') {
    const ns = f * 1e9;
    if (ns >= INT64_MAX_NS || ns < -INT64_MAX_NS) {
      throw new Error(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    }
    // Go converts NaN to the minimum int64 on amd64, which makes it negative.
    if (Number.isNaN(ns)) return -(2n ** 63n);
    return BigInt(Math.trunc(ns));
  }
  try {
    return BigInt(parsePromDuration(s)) * 1_000_000n;
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    throw new Error(`cannot parse ${goQuote(s)} to a valid duration`);
  }
}

export function durationParam(value: string, name: string): bigint {
  try {
    return parseDurationNs(value);
  } catch (e) {
    return invalidParam(name, message(e));
  }
}

/** Prometheus's parseLimitParam: '' is 0 (no limit); negatives are refused. */
export function limitParam(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = parseGoInt(value);
  if (typeof n === 'string') return invalidParam('limit', `strconv.Atoi: parsing ${goQuote(value)}: ${n}`);
  if (n < 0n) return invalidParam('limit', 'limit must be non-negative');
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** ms → a querier bound: Prometheus's MinTime/MaxTime mean "unbounded". */
export function toQuerierBound(ms: number): number {
  if (ms <= MIN_TIME_MS) return -Infinity;
  if (ms >= MAX_TIME_MS) return Infinity;
  return ms;
}

/** Nanoseconds → whole ms, for handing a step or timeout to the engine. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}
