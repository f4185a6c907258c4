import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DurationError, MAX_DURATION_MS, formatDuration, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;
const Y = 365 * D;

describe('parseDuration', () => {
  // prometheus/common model/time_test.go TestParseDuration: input, value, String() when it differs.
  const prometheusCases: [string, number, string?][] = [
    ['0', 0, '0s'],
    ['0w', 0, '0s'],
    ['0s', 0],
    ['324ms', 324],
    ['3s', 3 * S],
    ['5m', 5 * M],
    ['1h', H],
    ['4d', 4 * D],
    ['4d1h', 4 * D + H],
    ['14d', 14 * D, '2w'],
    ['3w', 3 * W],
    ['3w2d1h', 3 * W + 2 * D + H, '23d1h'],
    ['10y', 10 * Y],
  ];
  it.each(prometheusCases)('parses %s as Prometheus does', (input, ms, printed) => {
    expect(parseDuration(input)).toBe(ms);
    expect(formatDuration(ms)).toBe(printed ?? input);
  });

  it.each([
    ['1h30m', H + 30 * M],
    ['15s', 15 * S],
    ['500ms', 500],
    ['1y2w', Y + 2 * W],
    ['1y1w1d1h1m1s1ms', Y + W + D + H + M + S + 1],
    ['007s', 7 * S],
    ['90d', 90 * D],
  ])('parses %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  // TestParseBadDuration, plus our own.
  it.each([
    ['1', 'missing unit after 1 (use one of y, w, d, h, m, s, ms)'],
    ['1y1m1d', 'unit "d" comes after "m"; units must go from the largest to the smallest (y, w, d, h, m, s, ms)'],
    ['-1w', 'negative durations are not allowed'],
    ['1.5d', 'fractions are not allowed; use a smaller unit (e.g. 90s, not 1.5m)'],
    ['', 'empty string'],
    ['15x', 'unknown unit "x"'],
    ['1s1s', 'unit "s" is repeated'],
    ['1m1h', 'unit "h" comes after "m"; units must go from the largest to the smallest (y, w, d, h, m, s, ms)'],
    ['+1s', 'a sign is not allowed'],
    ['s', 'expected a number at position 1, found "s"'],
    ['1h 30m', 'spaces are not allowed'],
    [' 1s', 'expected a number at position 1, found " "'],
    ['1S', 'unknown unit "S"'],
    ['1µs', 'unknown unit "µs"'],
    ['1ns', 'unknown unit "ns"'],
    ['1sms', 'unknown unit "sms"'],
  ])('refuses %j: %s', (input, reason) => {
    let err: unknown;
    try {
      parseDuration(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DurationError);
    const d = err as DurationError;
    expect(d.code).toBe('ERR_INVALID_DURATION');
    expect(d.reason).toBe(reason);
    expect(d.message).toBe(`not a valid duration ${JSON.stringify(input)}: ${reason}`);
  });

  it('checks the int64-nanosecond range exactly', () => {
    expect(MAX_DURATION_MS).toBe(9_223_372_036_854);
    expect(parseDuration(`${MAX_DURATION_MS}ms`)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(`${MAX_DURATION_MS + 1}ms`)).toThrow(/out of range/);
    expect(parseDuration('292y')).toBe(292 * Y);
    expect(() => parseDuration('293y')).toThrow(/out of range/);
    expect(() => parseDuration('292y52w')).toThrow(/out of range/);
    expect(() => parseDuration(`${'9'.repeat(40)}s`)).toThrow(/out of range/);
  });

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('throws only DurationError on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9ywdhms.+\- ]{0,12}$/)), (s) => {
        try {
          const ms = parseDuration(s);
          expect(Number.isSafeInteger(ms) && ms >= 0).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(DurationError);
        }
      }),
    );
  });

  it('accepts exactly what the Prometheus grammar accepts', () => {
    // model.ParseDuration's former regex, which the current parser implements plus range
    // checks (two-digit numbers stay far below the range limit).
    const grammar = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;
    fc.assert(
      fc.property(fc.stringMatching(/^([0-9]{1,2}(y|w|d|h|m|s|ms)){0,4}$/), (s) => {
        const ok = s !== '' && grammar.test(s);
        let parsed = true;
        try {
          parseDuration(s);
        } catch {
          parsed = false;
        }
        expect(parsed).toBe(ok);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [1500, '1s500ms'],
    [90 * M, '1h30m'],
    [90 * D, '90d'],
    [12 * W + 6 * D, '90d'],
    [Y + W, '372d'],
    [2 * Y, '2y'],
    [-90 * S, '-1m30s'],
    [1.9, '1ms'],
    [MAX_DURATION_MS, '106751d23h47m16s854ms'],
  ])('formats %d as %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });

  it('refuses non-finite numbers', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(DurationError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(DurationError);
  });
});
