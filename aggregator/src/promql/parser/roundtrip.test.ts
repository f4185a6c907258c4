/**
 * Property tests: printing a parsed query and parsing it again gives the same tree, and
 * no input whatsoever makes the parser throw anything but PromQLParseError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.js';
import { formatDurationMs } from './duration.js';
import { PromQLParseError } from './errors.js';
import { formatFloatF, goQuote } from './go-text.js';
import { parseExpr } from './parser.js';
import type { ParseOptions } from './parser-core.js';
import { formatExpr, formatMatcher } from './printer.js';

const ALL: ParseOptions = {
  enableExperimentalFunctions: true,
  experimentalDurationExpr: true,
  enableExtendedRangeSelectors: true,
  enableBinopFillModifiers: true,
};

/** The tree without positions, matchers in a canonical order, numbers compared exactly. */
function normalize(node: Expr): unknown {
  return JSON.parse(
    JSON.stringify(node, (key, value: unknown) => {
      if (key === 'positionRange') return undefined;
      if (key === 'func') return (value as { name: string }).name;
      if (key === 'matchers') return (value as Parameters<typeof formatMatcher>[0][]).map(formatMatcher).sort();
      if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
      return value;
    }),
  );
}

function roundTrips(q: string): void {
  const first = parseExpr(q, ALL);
  const printed = formatExpr(first);
  let second: Expr;
  try {
    second = parseExpr(printed, ALL);
  } catch (e) {
    throw new Error(`${JSON.stringify(q)} printed as ${JSON.stringify(printed)}, which fails: ${(e as Error).message}`);
  }
  expect(normalize(second), `${q} -> ${printed}`).toEqual(normalize(first));
  expect(formatExpr(second)).toBe(printed);
}

const name = fc.constantFrom('up', 'http_requests_total', 'job:errors:rate5m', 'node_cpu', 'sum', 'offset', 'by');
const label = fc.constantFrom('job', 'instance', 'le', 'a_b', 'on', 'bool');
const quotedLabel = fc.constantFrom('service.name', 'odd label', 'ünï');
const value = fc.string({ unit: 'grapheme', maxLength: 8 });
const regex = fc.constantFrom('.*', '.+', 'a|b', '[0-9]+', '(?i)foo', 'x\\.y');
const matcher = fc.oneof(
  fc.tuple(label, fc.constantFrom('=', '!='), value).map(([l, op, v]) => `${l}${op}${goQuote(v)}`),
  fc.tuple(label, fc.constantFrom('=~', '!~'), regex).map(([l, op, v]) => `${l}${op}${goQuote(v)}`),
  fc.tuple(quotedLabel, value).map(([l, v]) => `${goQuote(l)}=${goQuote(v)}`),
);
const selector = fc.oneof(
  name,
  fc.tuple(name, fc.array(matcher, { maxLength: 3 })).map(([n, ms]) => `${n}{${ms.join(', ')}}`),
  fc.tuple(name, fc.array(matcher, { maxLength: 2 })).map(([n, ms]) => `{${[goQuote(n + '.x'), ...ms].join(',')}}`),
);
// Up to ~11 days: beyond ~52 days Prometheus's float seconds lose a nanosecond, and the
// printed duration (whole milliseconds) no longer round-trips, in Prometheus as here.
const duration = fc.integer({ min: 1, max: 10 ** 9 }).map(formatDurationMs);
const number = fc.oneof(
  fc.double({ noDefaultInfinity: true }).map(formatFloatF),
  fc.integer({ min: 0, max: 1000 }).map(String),
  // A bare `Inf` before `^` prints as `+Inf ^ ...`, which reads back as a unary plus; Prometheus
  // prints it the same way, so keep Inf in parentheses here.
  fc.constantFrom('0x1f', '1e3', '.5', '(Inf)', 'NaN', '1m'),
);
const modifiers = fc
  .record({
    offset: fc.option(fc.oneof(duration, duration.map((d) => `-${d}`), fc.constantFrom('(1h + 5m)', '-step()'))),
    at: fc.option(fc.oneof(fc.integer({ min: -1e9, max: 1e9 }).map((n) => `${n / 1000}`), fc.constantFrom('start()', 'end()'))),
  })
  .map(({ offset, at }) => (at !== null ? ` @ ${at}` : '') + (offset !== null ? ` offset ${offset}` : ''));
const arith = fc.constantFrom('+', '-', '*', '/', '%', '^', 'atan2');
const comparison = fc.constantFrom('==', '!=', '>', '<', '>=', '<=');
const setOp = fc.constantFrom('and', 'or', 'unless');
const grouping = fc.array(fc.oneof(label, quotedLabel.map(goQuote)), { maxLength: 3 }).map((ls) => `(${ls.join(', ')})`);
const matching = fc.oneof(
  fc.constant(''),
  grouping.map((g) => ` on${g}`),
  grouping.map((g) => ` ignoring${g}`),
  fc.tuple(grouping, fc.constantFrom('group_left', 'group_right'), grouping).map(([g, side, inc]) => ` on${g} ${side}${inc}`),
  fc.tuple(grouping, fc.constantFrom('fill(0)', 'fill_left(1) fill_right(NaN)', 'fill_right(-Inf)')).map(([g, f]) => ` on${g} ${f}`),
);
const rangeFn = fc.constantFrom('rate', 'increase', 'max_over_time', 'changes', 'absent_over_time');
const vectorFn = fc.constantFrom('abs', 'sort', 'timestamp', 'histogram_avg', 'sgn');
const aggOp = fc.constantFrom('sum', 'avg', 'max', 'count', 'group', 'stddev');

const { vector } = fc.letrec<{ vector: string; scalar: string; matrix: string }>((tie) => ({
  vector: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(selector, modifiers).map(([s, m]) => s + m),
    fc.tuple(aggOp, fc.option(fc.tuple(fc.constantFrom('by', 'without'), grouping)), tie('vector')).map(([op, g, v]) =>
      g === null ? `${op}(${v})` : `${op} ${g[0]} ${g[1]} (${v})`,
    ),
    fc.tuple(fc.constantFrom('topk', 'bottomk', 'quantile', 'limitk'), tie('scalar'), tie('vector')).map(
      ([op, s, v]) => `${op}(${s}, ${v})`,
    ),
    fc.tuple(vectorFn, tie('vector')).map(([f, v]) => `${f}(${v})`),
    fc.tuple(rangeFn, tie('matrix')).map(([f, m]) => `${f}(${m})`),
    fc.tuple(tie('vector'), arith, matching, tie('vector')).map(([a, op, m, b]) => `(${a}) ${op}${m} (${b})`),
    fc.tuple(tie('vector'), comparison, fc.boolean(), tie('scalar')).map(([a, op, b, s]) => `${a} ${op}${b ? ' bool' : ''} ${s}`),
    fc.tuple(tie('vector'), setOp, tie('vector')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('scalar'), arith, tie('vector')).map(([s, op, v]) => `${s} ${op} (${v})`),
    tie('vector').map((v) => `(${v})`),
    tie('vector').map((v) => `-(${v})`),
    tie('scalar').map((s) => `vector(${s})`),
  ),
  scalar: fc.oneof(
    { depthSize: 'small' },
    number,
    fc.tuple(tie('scalar'), arith, tie('scalar')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('scalar'), comparison, tie('scalar')).map(([a, op, b]) => `(${a}) ${op} bool (${b})`),
    tie('vector').map((v) => `scalar(${v})`),
    fc.constantFrom('time()', 'pi()', 'step()', 'min_of(1, 2)'),
    tie('scalar').map((s) => `(${s})`),
    tie('scalar').map((s) => `-${s}`),
  ),
  matrix: fc.oneof(
    fc.tuple(selector, duration, fc.constantFrom('', ' anchored', ' smoothed'), modifiers).map(([s, d, x, m]) => `${s}[${d}]${x}${m}`),
    fc.tuple(selector, fc.constantFrom('5m * 2', '(1h)', 'step() + 1m', 'max_of(range(), 5m)')).map(([s, d]) => `${s}[${d}]`),
    fc.tuple(tie('vector'), duration, fc.option(duration), modifiers).map(
      ([v, r, s, m]) => `(${v})[${r}:${s ?? ''}]${m}`,
    ),
  ),
}));

function isParseError(e: unknown): boolean {
  return (
    e instanceof PromQLParseError &&
    /^(\d+:\d+|unknown position|invalid position): parse error: /.test(e.message) &&
    !e.message.endsWith('unexpected error')
  );
}

describe('round trip: parse(format(parse(q))) equals parse(q)', () => {
  it('holds for generated queries', () => {
    let valid = 0;
    fc.assert(
      fc.property(vector, (q) => {
        try {
          parseExpr(q, ALL);
        } catch (e) {
          expect(isParseError(e), String(e)).toBe(true);
          return;
        }
        valid++;
        roundTrips(q);
      }),
      { numRuns: 1500 },
    );
    expect(valid).toBeGreaterThan(750);
  });
});

/** Valid queries to mutate. */
const SEEDS = [
  'sum by (job) (rate(http_requests_total{code=~"5..", job!="x"}[5m] offset 1h))',
  'histogram_quantile(0.9, sum without (instance) (rate(x_bucket[5m:1m] @ start())))',
  'a + on (b) group_left (c) fill (0) -d ^ 2 > bool 1 or e unless f',
  "topk(3, {\"odd.name\", 'l'=`v`}) # comment\n and count_values('x', y)",
  'foo[5m + step()] anchored offset -(1h * 2) @ 123.456',
  'label_replace(up, "a", "$1", "b", "(.*)") / scalar(vector(0x1f)) % 1e3 atan2 Inf',
];
const ALPHABET = '(){}[],:"\'`@+-*/%^=!~<>#\n\t .0123456789abcxyzINFby_\\';

describe('fuzz: only PromQLParseError, never a hang or another exception', () => {
  it('handles arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (q) => {
        try {
          const e = parseExpr(q, ALL);
          expect(typeof formatExpr(e)).toBe('string');
        } catch (e) {
          expect(isParseError(e), `${JSON.stringify(q)}: ${String(e)}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('handles strings of PromQL characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 40 }), (q) => {
        try {
          roundTrips(q);
        } catch (e) {
          expect(isParseError(e), `${JSON.stringify(q)}: ${String(e)}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('handles mutations of valid queries, and what still parses round-trips', () => {
    const edit = fc.record({
      at: fc.nat(),
      del: fc.integer({ min: 0, max: 3 }),
      ins: fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(edit, { minLength: 1, maxLength: 4 }), (seed, edits) => {
        let q = seed;
        for (const { at, del, ins } of edits) {
          const i = at % (q.length + 1);
          q = q.slice(0, i) + ins + q.slice(i + del);
        }
        let parsed = false;
        try {
          parseExpr(q, ALL);
          parsed = true;
        } catch (e) {
          expect(isParseError(e), `${JSON.stringify(q)}: ${String(e)}`).toBe(true);
        }
        if (parsed) roundTrips(q);
      }),
      { numRuns: 4000 },
    );
  });

  it('round-trips the seeds', () => {
    for (const q of SEEDS) roundTrips(q);
  });
});
