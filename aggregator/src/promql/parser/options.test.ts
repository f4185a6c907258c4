import { describe, expect, it } from 'vitest';
import { exprType, extractSelectors } from './ast.js';
import { PromQLParseError } from './errors.js';
import { FUNCTIONS, type FunctionDef } from './functions.js';
import { parseExpr, parseMetricSelector } from './parser.js';
import type { ParseOptions } from './parser-core.js';
import { formatMatcher } from './printer.js';

function errorOf(q: string, options: ParseOptions = {}): PromQLParseError {
  try {
    parseExpr(q, options);
  } catch (e) {
    expect(e).toBeInstanceOf(PromQLParseError);
    return e as PromQLParseError;
  }
  throw new Error(`${q} parsed`);
}

describe('experimental features are off by default, as in Prometheus', () => {
  const cases: Array<[string, ParseOptions, string]> = [
    ['mad_over_time(x[5m])', { enableExperimentalFunctions: true }, '1:1: parse error: function "mad_over_time" is not enabled'],
    [
      'limitk(1, x)',
      { enableExperimentalFunctions: true },
      '1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
    ],
    [
      'limit_ratio(0.5, x)',
      { enableExperimentalFunctions: true },
      '1:1: parse error: limit_ratio() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
    ],
    ['x[5m + 1m]', { experimentalDurationExpr: true }, '1:3: parse error: experimental duration expression is not enabled'],
    ['x offset (5m)', { experimentalDurationExpr: true }, '1:11: parse error: experimental duration expression is not enabled'],
    ['x[step()]', { experimentalDurationExpr: true }, '1:3: parse error: experimental duration expression is not enabled'],
    ['x[5m] anchored', { enableExtendedRangeSelectors: true }, '1:1: parse error: anchored modifier is experimental and not enabled'],
    ['x smoothed', { enableExtendedRangeSelectors: true }, '1:1: parse error: smoothed modifier is experimental and not enabled'],
    ['a + fill(0) b', { enableBinopFillModifiers: true }, '1:1: parse error: binop fill modifiers are experimental and not enabled'],
  ];
  for (const [q, enable, message] of cases) {
    it(q, () => {
      expect(errorOf(q).message).toBe(message);
      expect(() => parseExpr(q, enable)).not.toThrow();
    });
  }
});

describe('semantic errors of the extended syntax', () => {
  const all: ParseOptions = {
    enableExperimentalFunctions: true,
    experimentalDurationExpr: true,
    enableExtendedRangeSelectors: true,
    enableBinopFillModifiers: true,
  };
  const cases: Array<[string, string]> = [
    ['x[5m] anchored smoothed', '1:1: parse error: anchored and smoothed modifiers cannot be used together'],
    ['x[5m:1m] anchored', '1:1: parse error: anchored modifier is not supported for subqueries'],
    ['sum(x) smoothed', '1:1: parse error: smoothed modifier not implemented'],
    ['1 + fill(0) 2', '1:1: parse error: filling in missing series only allowed between instant vectors'],
    ['a and fill(0) b', '1:1: parse error: filling in missing series not allowed for set operators'],
    ['a + fill(x) b', '1:10: parse error: unexpected identifier "x"'],
    ['x @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
    ['x[5m] @ 1 offset 1m offset 2m', '1:1: parse error: offset may not be set multiple times'],
    ['sum by ("") (x)', '1:9: parse error: invalid label name for grouping: ""'],
    ['x{a=~"("}', '1:3: parse error: error parsing regexp: missing closing ): `(`'],
    ['x{a!~"*"}', '1:3: parse error: error parsing regexp: missing argument to repetition operator: `*`'],
    ['rate(x[5m],)', '1:11: parse error: trailing commas not allowed in function call args'],
    ['rate(x[5m],,)', '1:11: parse error: trailing commas not allowed in function call args'],
    ['sum(x y)', '1:7: parse error: unexpected identifier "y" in aggregation'],
    ['sum by (a) x', '1:12: parse error: unexpected identifier "x" in aggregation'],
    ['x[5m 1m]', '1:6: parse error: unexpected duration "1m" in subquery or range, expected ":" or "]"'],
    ['x[5m:1m 1m]', '1:9: parse error: unexpected duration "1m" in subquery selector, expected "]"'],
    ['x[5m:+]', '1:7: parse error: unexpected "]" in subquery selector, expected number, duration, step(), range(), or "]"'],
    ['x @ foo', '1:5: parse error: unexpected identifier "foo" in @, expected timestamp'],
    ['x offset foo', '1:10: parse error: unexpected identifier "foo" in offset, expected number, duration, step(), or range()'],
    ['x + on foo', '1:8: parse error: unexpected identifier "foo" in grouping opts, expected "("'],
    ['sum by (a b) (x)', '1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"'],
    ['x{"a" "b"}', '1:7: parse error: unexpected string "\\"b\\"" in label matching, expected "," or "}"'],
    ['"a very long string literal" x', '1:30: parse error: unexpected identifier "x"'],
    ['x "a very long string literal"', '1:3: parse error: unexpected string "\\"a very lo"...'],
    ['x\n  +\n  ', '3:3: parse error: unexpected end of input'],
    ['é + ', '1:1: parse error: unexpected character: \'é\''],
    // Columns count bytes, as in Prometheus: é takes two.
    ['"é" +', '1:7: parse error: unexpected end of input'],
    ['start_timestamp(x)', '1:1: parse error: function "start_timestamp" is not enabled'],
  ];
  for (const [q, message] of cases) {
    it(q, () => {
      const opts = q.startsWith('start_timestamp') ? {} : all;
      expect(errorOf(q, opts).message).toBe(message);
    });
  }
});

describe('depth guard', () => {
  const deep: Array<[string, string]> = [
    ['10,000 nested parentheses', '('.repeat(10_000) + '1' + ')'.repeat(10_000)],
    ['10,000 unary minus', '-'.repeat(10_000) + '1'],
    ['10,000 nested calls', 'abs('.repeat(10_000) + 'x' + ')'.repeat(10_000)],
    ['10,000 nested aggregations', 'sum('.repeat(10_000) + 'x' + ')'.repeat(10_000)],
    ['10,000 terms of +', Array(10_000).fill('x').join(' + ')],
    ['10,000 terms of ^', Array(10_000).fill('x').join(' ^ ')],
    ['5,000 nested subqueries', 'x' + '[1m:]'.repeat(5_000)],
    ['10,000 nested duration parentheses', 'x[' + '('.repeat(10_000) + '1m' + ')'.repeat(10_000) + ']'],
  ];
  for (const [name, q] of deep) {
    it(`rejects ${name}`, () => {
      expect(errorOf(q, { experimentalDurationExpr: true }).errors[0]!.message).toMatch(/^expression nesting too deep/);
    });
  }

  it('accepts nesting up to maxDepth and lets callers change it', () => {
    const q = '('.repeat(300) + '1' + ')'.repeat(300);
    expect(() => parseExpr(q)).not.toThrow();
    expect(errorOf(q, { maxDepth: 100 }).message).toMatch(/expression nesting too deep \(more than 100 levels\)$/);
  });
});

describe('functions option', () => {
  const custom: FunctionDef = { name: 'custom_func', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false };
  it('accepts a replaced function set', () => {
    const e = parseExpr('custom_func(metric[1m])', { functions: new Map([['custom_func', custom]]) });
    expect(e.type === 'Call' && e.func).toBe(custom);
    expect(errorOf('rate(metric[1m])', { functions: new Map([['custom_func', custom]]) }).message).toBe(
      '1:1: parse error: unknown function with name "rate"',
    );
  });
  it('rejects unknown functions by default', () => {
    expect(errorOf('custom_func(metric[1m])').message).toContain('unknown function with name "custom_func"');
    expect(FUNCTIONS.has('custom_func')).toBe(false);
  });
});

describe('exprType', () => {
  const all = { enableExperimentalFunctions: true };
  const cases: Array<[string, string]> = [
    ['1', 'scalar'],
    ['"a"', 'string'],
    ['x', 'vector'],
    ['x[5m]', 'matrix'],
    ['x[5m:]', 'matrix'],
    ['-x', 'vector'],
    ['(1 + 2)', 'scalar'],
    ['1 + x', 'vector'],
    ['sum(x)', 'vector'],
    ['time()', 'scalar'],
    ['scalar(x)', 'scalar'],
    ['rate(x[1m])', 'vector'],
  ];
  for (const [q, t] of cases) it(q, () => expect(exprType(parseExpr(q, all))).toBe(t));
});

describe('extractSelectors (TestExtractSelectors)', () => {
  const cases: Array<[string, string[][]]> = [
    ['foo', [['__name__="foo"']]],
    ['foo{bar="baz"}', [['bar="baz"', '__name__="foo"']]],
    ['foo{bar="baz"} / flip{flop="flap"}', [['bar="baz"', '__name__="foo"'], ['flop="flap"', '__name__="flip"']]],
    ['rate(foo[5m])', [['__name__="foo"']]],
    ['vector(1)', []],
  ];
  for (const [q, want] of cases) {
    it(q, () => expect(extractSelectors(parseExpr(q)).map((ms) => ms.map(formatMatcher))).toEqual(want));
  }
});

describe('PromQLParseError', () => {
  it('carries a code, the position range, and every error', () => {
    const e = errorOf('foo and on(bar) group_left(baz) bar');
    expect(e.code).toBe('ERR_PROMQL_PARSE');
    expect(e.positionRange).toEqual({ start: 0, end: 35 });
    expect(e.errors.map((x) => x.message)).toEqual([
      'no grouping allowed for "and" operation',
      'set operations must always be many-to-many',
    ]);
    expect(e.line).toBe(1);
    expect(e.column).toBe(1);
  });
  it('says "unknown position" for an empty query, as Prometheus', () => {
    expect(errorOf('').message).toBe('unknown position: parse error: no expression found in input');
  });
});

describe('parseMetricSelector (for match[] parameters)', () => {
  const cases: Array<[string, string[]]> = [
    ['up', ['__name__="up"']],
    ['up{job="a", i=~"b.*"}', ['job="a"', 'i=~"b.*"', '__name__="up"']],
    ['{"a.b", c!="d"}', ['__name__="a.b"', 'c!="d"']],
    ['{}', []],
    ['sum', ['__name__="sum"']],
  ];
  for (const [q, want] of cases) {
    it(q, () => expect(parseMetricSelector(q).map(formatMatcher)).toEqual(want));
  }
  const bad: Array<[string, string]> = [
    ['up offset 5m', '1:4: parse error: unexpected <offset>'],
    ['rate(x[5m])', '1:5: parse error: unexpected "("'],
    ['1', '1:1: parse error: unexpected number "1"'],
    ['', 'unknown position: parse error: unexpected end of input'],
    ['{a=~"("}', '1:2: parse error: error parsing regexp: missing closing ): `(`'],
  ];
  for (const [q, message] of bad) {
    it(`rejects ${JSON.stringify(q)}`, () => {
      expect(() => parseMetricSelector(q)).toThrow(message);
      try {
        parseMetricSelector(q);
      } catch (e) {
        expect((e as Error).message).toBe(message);
      }
    });
  }
});
