/**
 * Prometheus durations (`1h30m`, `15s`, `500ms`, `1y2w`), as accepted by prometheus/common's
 * `model.ParseDuration` and printed by `model.Duration.String`:
 *
 * - units y (365d), w (7d), d (24h), h, m, s, ms; several may be combined, each at most once
 *   and from the largest to the smallest (`1m1d` is refused: it reads like "1 month 1 day");
 * - a bare `0` is allowed; any other number needs a unit;
 * - no sign, no fraction, no spaces;
 * - Go keeps durations in int64 nanoseconds, so anything above 2^63-1 ns (about 292 years) is
 *   out of range. We return milliseconds, which every accepted duration is a whole number of.
 */
import { EdgepromError } from '../errors.js';

/** A string that is not a Prometheus duration. `message` reads `not a valid duration "15x": unknown unit "x"`. */
export class DurationError extends EdgepromError {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string) {
    super('ERR_INVALID_DURATION', `not a valid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = 'DurationError';
    this.input = input;
    this.reason = reason;
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365 * DAY;

/** Units from the largest to the smallest; the index is the order check. */
const UNITS: readonly (readonly [string, number])[] = [
  ['y', YEAR],
  ['w', WEEK],
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
  ['ms', 1],
];
const UNIT_INDEX = new Map(UNITS.map(([u], i) => [u, i]));
const UNIT_LIST = UNITS.map(([u]) => u).join(', ');

/** The longest duration Go's time.Duration holds, in whole milliseconds: floor((2^63-1) / 1e6). */
export const MAX_DURATION_MS = 9_223_372_036_854;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses a Prometheus duration into milliseconds. Throws DurationError, and nothing else, on
 * any input that Prometheus would refuse.
 */
export function parseDuration(s: string): number {
  if (typeof s !== 'string') throw new DurationError(String(s), 'expected a string');
  if (s === '0') return 0;
  if (s === '') throw new DurationError(s, 'empty string');
  if (s[0] === '-') throw new DurationError(s, 'negative durations are not allowed');
  if (s[0] === '+') throw new DurationError(s, 'a sign is not allowed');

  // BigInt keeps the range check exact however many digits there are.
  let total = 0n;
  let lastUnit = -1;
  let i = 0;
  while (i < s.length) {
    const numStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === numStart) {
      throw new DurationError(s, `expected a number at position ${i + 1}, found ${JSON.stringify(s[i])}`);
    }
    const digits = s.slice(numStart, i);
    const unitStart = i;
    while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') {
      throw new DurationError(s, `missing unit after ${digits} (use one of ${UNIT_LIST})`);
    }
    if (unit[0] === '.' || unit[0] === ',') {
      throw new DurationError(s, 'fractions are not allowed; use a smaller unit (e.g. 90s, not 1.5m)');
    }
    const idx = UNIT_INDEX.get(unit);
    if (idx === undefined && /\s/.test(unit)) throw new DurationError(s, 'spaces are not allowed');
    if (idx === undefined) throw new DurationError(s, `unknown unit ${JSON.stringify(unit)}`);
    if (idx === lastUnit) throw new DurationError(s, `unit ${JSON.stringify(unit)} is repeated`);
    if (idx < lastUnit) {
      throw new DurationError(
        s,
        `unit ${JSON.stringify(unit)} comes after ${JSON.stringify(UNITS[lastUnit][0])}; units must go from the largest to the smallest (${UNIT_LIST})`,
      );
    }
    lastUnit = idx;
    total += BigInt(digits) * BigInt(UNITS[idx][1]);
    if (total > BigInt(MAX_DURATION_MS)) {
      throw new DurationError(s, `out of range (the maximum is ${formatDuration(MAX_DURATION_MS)})`);
    }
  }
  return Number(total);
}

/**
 * Formats milliseconds the way Prometheus prints a duration: `0s`, `1h30m`, `2w`, `90d`.
 * Years and weeks are used only when they divide the duration exactly (90d, not 12w6d).
 * Fractions of a millisecond are truncated, as Go's integer division does; a negative input
 * gets a leading `-` (Prometheus only prints those, it never parses them).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new DurationError(String(ms), 'not a finite number of milliseconds');
  let rest = Math.trunc(Math.abs(ms));
  if (rest === 0) return '0s';
  let out = '';
  for (let i = 0; i < UNITS.length; i++) {
    const [unit, mult] = UNITS[i];
    if (i < 2 && rest % mult !== 0) continue; // y and w only when exact
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return ms < 0 ? `-${out}` : out;
}
