import { describe, expect, it } from 'vitest';
import { parseExpr } from './parser.js';
import type { ParseOptions } from './parser-core.js';
import { formatExpr } from './printer.js';

const ALL: ParseOptions = {
  enableExperimentalFunctions: true,
  experimentalDurationExpr: true,
  enableExtendedRangeSelectors: true,
  enableBinopFillModifiers: true,
};

/** [input, expected String()]; expected omitted when it equals the input. */
type Case = [string, string?];

// Prometheus's printer_test.go (TestExprString).
const PROMETHEUS: Case[] = [
  ['sum by() (task:errors:rate10s{job="s"})', 'sum(task:errors:rate10s{job="s"})'],
  ['sum by(code) (task:errors:rate10s{job="s"})', 'sum by (code) (task:errors:rate10s{job="s"})'],
  ['sum without() (task:errors:rate10s{job="s"})', 'sum without () (task:errors:rate10s{job="s"})'],
  ['sum without(instance) (task:errors:rate10s{job="s"})', 'sum without (instance) (task:errors:rate10s{job="s"})'],
  ['topk(5, task:errors:rate10s{job="s"})'],
  ['count_values("value", task:errors:rate10s{job="s"})'],
  ['a - on() c', 'a - on () c'],
  ['a - on(b) c', 'a - on (b) c'],
  ['a - on(b) group_left(x) c', 'a - on (b) group_left (x) c'],
  ['a - on(b) group_left(x, y) c', 'a - on (b) group_left (x, y) c'],
  ['a - on(b) group_left c', 'a - on (b) group_left () c'],
  ['a - on(b) group_left() (c)', 'a - on (b) group_left () (c)'],
  ['a - ignoring(b) c', 'a - ignoring (b) c'],
  ['a - ignoring() c', 'a - c'],
  ['up > bool 0'],
  ['a offset 1m'],
  ['a offset -7m'],
  ['a{c="d"}[5m] offset 1m'],
  ['a[5m] offset 1m'],
  ['a[12m] offset -3m'],
  ['a[1h:5m] offset 1m'],
  ['{__name__="a"}'],
  ['a{b!="c"}[1m]'],
  ['a{b=~"c"}[1m]'],
  ['a{b!~"c"}[1m]'],
  ['a @ 10', 'a @ 10.000'],
  ['a[1m] @ 10', 'a[1m] @ 10.000'],
  ['a @ start()'],
  ['a @ end()'],
  ['a[1m] @ start()'],
  ['a[1m] @ end()'],
];

// Further cases following printer.go.
const MORE: Case[] = [
  ['sum by (job) (rate(x[5m]))'],
  ['sum(rate(x[5m])) by (job)', 'sum by (job) (rate(x[5m]))'],
  ['{b="2",a="1",__name__="x"}', '{__name__="x",a="1",b="2"}'],
  ['foo{b="2",a="1"}', 'foo{a="1",b="2"}'],
  ['{"foo.bar", "a.b"="c"}', '{"a.b"="c",__name__="foo.bar"}'],
  ['sum by ("foo.bar", job) (x)', 'sum by ("foo.bar", job) (x)'],
  ['x[90s]', 'x[1m30s]'],
  ['x[90]', 'x[1m30s]'],
  ['x[1h30m:1500ms]', 'x[1h30m:1s500ms]'],
  ['x[14d]', 'x[2w]'],
  ['x[400d]', 'x[400d]'],
  ['x[365d]', 'x[1y]'],
  ['x offset 1.5', 'x offset 1s500ms'],
  ['x @ -1.5', 'x @ -1.500'],
  ['1e21', '1000000000000000000000'],
  ['0.000001', '0.000001'],
  ['1e-7', '0.0000001'],
  ['0x10', '16'],
  ['Inf', '+Inf'],
  ['-Inf'],
  ['NaN'],
  ['-(1)'],
  ['-1 ^ 2'],
  ['(-1) ^ 2'],
  ['2 ^ -1'],
  ['1m', '1m'],
  ['-1m', '-1m'],
  ['1m + 90s', '1m + 1m30s'],
  ["'single'", '"single"'],
  ['`raw\\n`', '"raw\\\\n"'],
  ['"tab\\there"', '"tab\\there"'],
  ['"\\u00e9\\u00a0"', '"é\\u00a0"'],
  ['a and on (b) c'],
  ['a or b unless c'],
  ['a + on (x) fill (0) b'],
  ['a + fill_left(1) fill_right(2) b', 'a + fill_left (1) fill_right (2) b'],
  ['a + fill_right(-Inf) b', 'a + fill_right (-Inf) b'],
  ['a + fill(1e6) b', 'a + fill (1e+06) b'],
  ['a * on (x) group_right (y) fill (NaN) b'],
  ['x[5m] anchored'],
  ['x smoothed'],
  ['x[5m] smoothed @ 10 offset 1m', 'x[5m] smoothed @ 10.000 offset 1m'],
  ['x[5m * 2]'],
  ['x[(5m)]'],
  ['x[-(10s - 5s) + 20s]'],
  ['x[step()]'],
  ['x[1h:step()]'],
  ['x offset -step()'],
  ['x offset (1h + 5m)'],
  ['x offset min_of(step(), 1m)'],
  ['x[max_of(range(), 5m)]'],
  ['min_of(1, 2)'],
  ['h </ 10'],
  ['h >/ on (le) t'],
  ['label_replace(up, "a", "$1", "b", "(.*)")'],
  ['histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))'],
  ['quantile(0.9, x) by (a)', 'quantile by (a) (0.9, x)'],
  ['limitk(2, x)'],
  ['(a + b)[5m:]'],
  ['rate(x[5m])[1h:1m] @ start() offset -1m'],
  ['time()'],
  ['vector(1) > bool 0'],
  ['a atan2 b'],
  ['x # comment', 'x'],
  // As Prometheus: +Inf is printed with its sign, so this does not read back the same.
  ['Inf ^ 2', '+Inf ^ 2'],
];

describe('formatExpr', () => {
  for (const [input, output] of [...PROMETHEUS, ...MORE]) {
    it(input, () => {
      expect(formatExpr(parseExpr(input, ALL))).toBe(output ?? input);
    });
  }
});
