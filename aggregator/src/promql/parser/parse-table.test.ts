import { describe, expect, it } from 'vitest';
import { dumpExpr } from './dump.js';
import { formatParseError, PromQLParseError } from './errors.js';
import { parseExpr } from './parser.js';
import type { ParseOptions } from './parser-core.js';
import { type ParseCase, SCALAR_CASES, SELECTOR_CASES, VECTOR_BINARY_CASES } from './testdata/parse-cases-a.js';
import { AGGREGATE_CASES, FUNCTION_CASES, MATRIX_CASES, STRING_CASES, SUBQUERY_CASES } from './testdata/parse-cases-b.js';
import { DURATION_CASES } from './testdata/parse-cases-c.js';

// As Prometheus's TestParseExpressions.
const OPTIONS: ParseOptions = {
  enableExperimentalFunctions: true,
  experimentalDurationExpr: true,
  enableExtendedRangeSelectors: true,
};

function run(c: ParseCase): void {
  if ('ast' in c) {
    expect(dumpExpr(parseExpr(c.q, OPTIONS))).toBe(c.ast);
    return;
  }
  let err: unknown;
  try {
    parseExpr(c.q, OPTIONS);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PromQLParseError);
  const pe = err as PromQLParseError;
  const [start, end, message] = c.err;
  expect(pe.errors[0]).toEqual({ positionRange: { start, end }, message });
  expect(pe.message).toBe(formatParseError(c.q, { positionRange: { start, end }, message }));
  expect(pe.positionRange).toEqual({ start, end });
  for (const e of pe.errors) {
    expect(e.positionRange.start).toBeGreaterThanOrEqual(0);
    expect(e.positionRange.start).toBeLessThanOrEqual(e.positionRange.end);
    expect(e.positionRange.end).toBeLessThanOrEqual(new TextEncoder().encode(c.q).length);
  }
}

const TABLES: Record<string, ParseCase[]> = {
  scalars: SCALAR_CASES,
  'vector binary operations': VECTOR_BINARY_CASES,
  'vector selectors': SELECTOR_CASES,
  'matrix selectors': MATRIX_CASES,
  aggregations: AGGREGATE_CASES,
  functions: FUNCTION_CASES,
  strings: STRING_CASES,
  subqueries: SUBQUERY_CASES,
  'duration expressions': DURATION_CASES,
};

describe(`Prometheus parse_test.go cases (${Object.values(TABLES).reduce((n, t) => n + t.length, 0)})`, () => {
  for (const [name, cases] of Object.entries(TABLES)) {
    describe(name, () => {
      for (const c of cases) it(JSON.stringify(c.q).slice(0, 80), () => run(c));
    });
  }
});

describe('many errors (adapted from the 10,000-term case)', () => {
  it('reports every error, inner ones first', () => {
    const q = '(' + '-{}-1'.repeat(100) + ')' + '[1m:]'.repeat(100);
    let err: PromQLParseError | undefined;
    try {
      parseExpr(q, OPTIONS);
    } catch (e) {
      err = e as PromQLParseError;
    }
    expect(err).toBeInstanceOf(PromQLParseError);
    const errs = err!.errors;
    expect(errs).toHaveLength(199);
    for (let i = 0; i < 100; i++) {
      expect(errs[i]).toEqual({
        positionRange: { start: 2 + 5 * i, end: 4 + 5 * i },
        message: 'vector selector must contain at least one non-empty matcher',
      });
    }
    for (let i = 0; i < 99; i++) {
      expect(errs[100 + i]).toEqual({
        positionRange: { start: 0, end: 512 + 5 * i },
        message: 'subquery is only allowed on instant vector, got matrix instead',
      });
    }
  });
});
