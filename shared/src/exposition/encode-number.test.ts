import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatFloat,
  formatOpenMetricsCount,
  formatOpenMetricsFloat,
  formatOpenMetricsTimestamp,
  formatTextTimestamp,
} from './encode-number.js';

/** Parses what we write back to a float, the way Prometheus's parsers read values. */
function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return Number(s);
}

describe('formatFloat (Go strconv.FormatFloat(v, g, -1, 64))', () => {
  // Outputs of Go's fmt/strconv for these inputs (they are what client_golang writes).
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [-1, '-1'],
    [0.5, '0.5'],
    [100000, '100000'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [123456789, '1.23456789e+08'],
    [2478268416, '2.478268416e+09'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [1.2345678901234568e20, '1.2345678901234568e+20'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [-2.5e-10, '-2.5e-10'],
    [0.1 + 0.2, '0.30000000000000004'],
    [13.3, '13.3'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  it.each(cases)('%s → %s', (v, want) => {
    expect(formatFloat(v)).toBe(want);
  });

  it('keeps the sign of -0 so encode → parse is bit-exact', () => {
    expect(formatFloat(-0)).toBe('-0');
    expect(Object.is(parseValue(formatFloat(-0)), -0)).toBe(true);
  });

  it('round-trips every double and follows Go notation rules', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const s = formatFloat(v);
        expect(Object.is(parseValue(s), v)).toBe(true);
        if (!Number.isFinite(v) || v === 0) return;
        const a = Math.abs(v);
        if (a >= 1e-4 && a < 1e6) {
          expect(s).not.toContain('e');
          expect(s).toBe(String(v));
        } else {
          // d[.ddd]e±dd with at least two exponent digits, shortest digits as JS finds them
          expect(s).toMatch(/^-?\d(\.\d*[1-9])?e[+-]\d{2,3}$/);
          expect(s.replace(/e.*/, '').replace('.', '').replace('-', '')).toBe(
            v.toExponential().replace(/e.*/, '').replace('.', '').replace('-', ''),
          );
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('formatOpenMetricsFloat', () => {
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-1, '-1.0'],
    [-0, '-0.0'],
    [42, '42.0'],
    [1.5, '1.5'],
    [1e6, '1e+06'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
  ] as [number, string][])('%s → %s', (v, want) => {
    expect(formatOpenMetricsFloat(v)).toBe(want);
  });

  it('always reads as a float and round-trips', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const s = formatOpenMetricsFloat(v);
        expect(Object.is(parseValue(s), v)).toBe(true);
        if (Number.isFinite(v)) expect(s).toMatch(/[.e]/);
      }),
    );
  });

  it('writes counts as integers without exponent', () => {
    expect(formatOpenMetricsCount(1000000)).toBe('1000000');
    expect(formatOpenMetricsCount(0)).toBe('0');
    expect(formatOpenMetricsCount(2.5)).toBe('2.5');
    expect(formatOpenMetricsCount(-0)).toBe('-0.0');
  });
});

describe('timestamps', () => {
  it('text: integer milliseconds', () => {
    expect(formatTextTimestamp(1395066363000)).toBe('1395066363000');
    expect(formatTextTimestamp(-3982045)).toBe('-3982045');
    expect(formatTextTimestamp(1.6)).toBe('2');
    expect(formatTextTimestamp(-0)).toBe('0');
    expect(formatTextTimestamp(2 ** 60)).toBe('1152921504606846976');
    expect(formatTextTimestamp(NaN)).toBeUndefined();
  });

  it.each([
    [1700000000123, '1700000000.123'],
    [1700000000000, '1700000000'],
    [1700000000100, '1700000000.1'],
    [5, '0.005'],
    [0, '0'],
    [-1500, '-1.5'],
    [-5, '-0.005'],
    [0.5, '0.0005'],
    [1500000000123.25, '1500000000.12325'],
    [1e-8, '1e-11'],
  ] as [number, string][])('openmetrics: %s ms → %s s', (ms, want) => {
    expect(formatOpenMetricsTimestamp(ms)).toBe(want);
  });

  it('openmetrics seconds are the exact decimal of the milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), (ms) => {
        const s = formatOpenMetricsTimestamp(ms)!;
        expect(Math.round(Number(s) * 1000)).toBe(ms === 0 ? 0 : ms);
        // exact: shifting the decimal point back gives the same integer
        const [i, f = ''] = s.replace('-', '').split('.');
        expect(BigInt(i + f.padEnd(3, '0')) * (s.startsWith('-') ? -1n : 1n)).toBe(BigInt(ms));
      }),
    );
  });
});
