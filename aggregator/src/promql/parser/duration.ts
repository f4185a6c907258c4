/**
 * PromQL duration strings (`1h30m`, `5m`, `250ms`): parsing as Prometheus's
 * model.ParseDuration does, and printing as model.Duration.String() does.
 */

import { goQuote } from './go-text.js';

const NS_PER_MS = 1_000_000n;
const UNITS: Record<string, { mult: bigint; pos: number }> = {
  ms: { mult: NS_PER_MS, pos: 7 },
  s: { mult: 1000n * NS_PER_MS, pos: 6 },
  m: { mult: 60_000n * NS_PER_MS, pos: 5 },
  h: { mult: 3_600_000n * NS_PER_MS, pos: 4 },
  d: { mult: 86_400_000n * NS_PER_MS, pos: 3 },
  w: { mult: 604_800_000n * NS_PER_MS, pos: 2 },
  y: { mult: 31_536_000_000n * NS_PER_MS, pos: 1 },
};
const MAX_INT64 = (1n << 63n) - 1n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Parses a duration string into nanoseconds; throws an Error with Prometheus's message. */
export function parseDurationNs(s: string): bigint {
  if (s === '0') return 0n;
  if (s === '') throw new Error('empty duration string');
  const orig = goQuote(s);
  let rest = s;
  let dur = 0n;
  let lastUnitPos = 0;
  while (rest !== '') {
    if (!isDigit(rest[0])) throw new Error(`not a valid duration string: ${orig}`);
    let i = 0;
    while (i < rest.length && isDigit(rest[i])) i++;
    const v = BigInt(rest.slice(0, i));
    if (v > (1n << 64n) - 1n) throw new Error(`not a valid duration string: ${orig}`);
    rest = rest.slice(i);
    i = 0;
    while (i < rest.length && !isDigit(rest[i])) i++;
    if (i === 0) throw new Error(`not a valid duration string: ${orig}`);
    const u = rest.slice(0, i);
    rest = rest.slice(i);
    const unit = UNITS[u];
    if (unit === undefined) throw new Error(`unknown unit ${goQuote(u)} in duration ${orig}`);
    if (unit.pos <= lastUnitPos) throw new Error(`not a valid duration string: ${orig}`);
    lastUnitPos = unit.pos;
    if (v > (1n << 63n) / unit.mult) throw new Error('duration out of range');
    dur += v * unit.mult;
    if (dur > MAX_INT64) throw new Error('duration out of range');
  }
  return dur;
}

/** time.Duration.Seconds(). */
export function nsToSeconds(ns: bigint): number {
  const sec = ns / 1_000_000_000n;
  const nsec = ns % 1_000_000_000n;
  return Number(sec) + Number(nsec) / 1e9;
}

const PRINT_UNITS: Array<[string, number, boolean]> = [
  ['y', 1000 * 60 * 60 * 24 * 365, true],
  ['w', 1000 * 60 * 60 * 24 * 7, true],
  ['d', 1000 * 60 * 60 * 24, false],
  ['h', 1000 * 60 * 60, false],
  ['m', 1000 * 60, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/**
 * model.Duration(ns).String(), given nanoseconds as a float (Go converts float to int64 by
 * truncation, then to whole milliseconds). Negative durations print as "" like Go.
 */
export function formatDurationNs(ns: number): string {
  let ms = Math.trunc(Math.trunc(ns) / 1e6);
  if (ms === 0) return '0s';
  let r = '';
  for (const [unit, mult, exact] of PRINT_UNITS) {
    if (exact && ms % mult !== 0) continue;
    const v = Math.trunc(ms / mult);
    if (v > 0) {
      r += `${v}${unit}`;
      ms -= v * mult;
    }
  }
  return r;
}

/** model.Duration.String() for a duration held in milliseconds. */
export function formatDurationMs(ms: number): string {
  return formatDurationNs(ms * 1e6);
}
