/** Continuation of parse-cases-a.ts (Prometheus's parse_test.go, testExpr). */
import type { ParseCase } from './parse-cases-a.js';

const Y5 = 5 * 365 * 24 * 3600 * 1000;
const NO_SELECTOR = 'instant vector selector or range vector selector or a subquery';
const RANGE_CTX = 'in subquery or range selector, expected number, duration, step(), or range()';

export const MATRIX_CASES: ParseCase[] = [
  { q: 'test[1000ms]', ast: 'MS(VS(test)@0-4; 1000)@0-12' },
  { q: 'test[1001ms]', ast: 'MS(VS(test)@0-4; 1001)@0-12' },
  { q: 'test[1002ms]', ast: 'MS(VS(test)@0-4; 1002)@0-12' },
  { q: 'test[5s]', ast: 'MS(VS(test)@0-4; 5000)@0-8' },
  { q: 'test[5m]', ast: 'MS(VS(test)@0-4; 300000)@0-8' },
  { q: 'foo[5m30s]', ast: 'MS(VS(foo)@0-3; 330000)@0-10' },
  { q: 'test[5h] OFFSET 5m', ast: 'MS(VS(test off=300000)@0-4; 18000000)@0-18' },
  { q: 'test[5d] OFFSET 10s', ast: 'MS(VS(test off=10000)@0-4; 432000000)@0-19' },
  { q: 'test[5w] offset 2w', ast: 'MS(VS(test off=1209600000)@0-4; 3024000000)@0-18' },
  { q: 'test{a="b"}[5y] OFFSET 3d', ast: `MS(VS(test{a="b"} off=259200000)@0-11; ${Y5})@0-25` },
  { q: 'test{a="b"}[5m] OFFSET 3600', ast: 'MS(VS(test{a="b"} off=3600000)@0-11; 300000)@0-27' },
  { q: 'foo[3ms] @ 2.345', ast: 'MS(VS(foo @=2345)@0-3; 3)@0-16' },
  { q: 'foo[4s180ms] @ 2.345', ast: 'MS(VS(foo @=2345)@0-3; 4180)@0-20' },
  { q: 'foo[4.18] @ 2.345', ast: 'MS(VS(foo @=2345)@0-3; 4180)@0-17' },
  { q: 'foo[4s18ms] @ 2.345', ast: 'MS(VS(foo @=2345)@0-3; 4018)@0-19' },
  { q: 'foo[4.018] @ 2.345', ast: 'MS(VS(foo @=2345)@0-3; 4018)@0-18' },
  { q: 'test{a="b"}[5y] @ 1603774699', ast: `MS(VS(test{a="b"} @=1603774699000)@0-11; ${Y5})@0-28` },
  { q: 'test[5]', ast: 'MS(VS(test)@0-4; 5000)@0-7' },
  { q: 'some_metric[5m] @ 1m', ast: 'MS(VS(some_metric @=60000)@0-11; 300000)@0-20' },
  { q: 'foo[5mm]', err: [4, 8, 'bad number or duration syntax: "5mm"'] },
  { q: 'foo[5m1]', err: [4, 8, 'bad number or duration syntax: "5m1"'] },
  { q: 'foo[5m:1m1]', err: [7, 11, 'bad number or duration syntax: "1m1"'] },
  { q: 'foo[5y1hs]', err: [4, 9, 'unknown unit "hs" in duration "5y1hs"'] },
  { q: 'foo[5m1h]', err: [4, 8, 'not a valid duration string: "5m1h"'] },
  { q: 'foo[5m1m]', err: [4, 8, 'not a valid duration string: "5m1m"'] },
  { q: 'foo[0m]', err: [4, 6, 'duration must be greater than 0'] },
  { q: 'foo["5m"]', err: [4, 9, `unexpected character in duration expression: '"'`] },
  { q: 'foo[]', err: [4, 5, `unexpected "]" ${RANGE_CTX}`] },
  { q: 'foo[-1]', err: [4, 6, 'duration must be greater than 0'] },
  { q: 'some_metric[5m] OFFSET 1mm', err: [23, 26, 'bad number or duration syntax: "1mm"'] },
  {
    q: 'some_metric[5m] OFFSET',
    err: [22, 22, 'unexpected end of input in offset, expected number, duration, step(), or range()'],
  },
  { q: 'some_metric OFFSET 1m[5m]', err: [21, 25, 'no offset modifiers allowed before range'] },
  { q: 'some_metric[5m] @', err: [17, 17, 'unexpected end of input in @, expected timestamp'] },
  { q: 'some_metric @ 1234 [5m]', err: [19, 23, 'no @ modifiers allowed before range'] },
  { q: 'some_metric @ start() [5m]', err: [22, 26, 'no @ modifiers allowed before range'] },
  { q: 'some_metric @ end()[5m]', err: [19, 23, 'no @ modifiers allowed before range'] },
  { q: 'some_metric offset step()[5m]', err: [25, 29, 'no offset modifiers allowed before range'] },
  { q: '(foo + bar)[5m]', err: [11, 15, 'ranges only allowed for vector selectors'] },
];

export const AGGREGATE_CASES: ParseCase[] = [
  { q: 'sum by (foo)(some_metric)', ast: 'A:sum(VS(some_metric)@13-24; by(foo))@0-25' },
  { q: 'sum by (anchored)(some_metric)', ast: 'A:sum(VS(some_metric)@18-29; by(anchored))@0-30' },
  { q: 'sum by (smoothed)(some_metric)', ast: 'A:sum(VS(some_metric)@18-29; by(smoothed))@0-30' },
  { q: 'sum by ("foo bar")({"some.metric"})', ast: 'A:sum(VS({__name__="some.metric"})@19-34; by(foo bar))@0-35' },
  { q: 'sum by ("foo)(some_metric{})', err: [8, 28, 'unterminated quoted string'] },
  {
    q: `sum by ("foo", bar, 'baz')({"some.metric"})`,
    ast: 'A:sum(VS({__name__="some.metric"})@27-42; by(foo,bar,baz))@0-43',
  },
  { q: 'avg by (foo)(some_metric)', ast: 'A:avg(VS(some_metric)@13-24; by(foo))@0-25' },
  { q: 'max by (foo)(some_metric)', ast: 'A:max(VS(some_metric)@13-24; by(foo))@0-25' },
  { q: 'sum without (foo) (some_metric)', ast: 'A:sum(VS(some_metric)@19-30; without(foo))@0-31' },
  { q: 'sum (some_metric) without (foo)', ast: 'A:sum(VS(some_metric)@5-16; without(foo))@0-31' },
  { q: 'stddev(some_metric)', ast: 'A:stddev(VS(some_metric)@7-18)@0-19' },
  { q: 'stdvar by (foo)(some_metric)', ast: 'A:stdvar(VS(some_metric)@16-27; by(foo))@0-28' },
  { q: 'sum by ()(some_metric)', ast: 'A:sum(VS(some_metric)@10-21)@0-22' },
  { q: 'sum by (foo,bar,)(some_metric)', ast: 'A:sum(VS(some_metric)@18-29; by(foo,bar))@0-30' },
  { q: 'sum by (foo,)(some_metric)', ast: 'A:sum(VS(some_metric)@14-25; by(foo))@0-26' },
  { q: 'topk(5, some_metric)', ast: 'A:topk(VS(some_metric)@8-19; param=N(5)@5-6)@0-20' },
  { q: 'count_values("value", some_metric)', ast: 'A:count_values(VS(some_metric)@22-33; param=S("value")@13-20)@0-34' },
  {
    q: 'sum without(and, by, avg, count, alert, annotations)(some_metric)',
    ast: 'A:sum(VS(some_metric)@53-64; without(and,by,avg,count,alert,annotations))@0-65',
  },
  { q: 'sum without(==)(some_metric)', err: [12, 14, 'unexpected <op:==> in grouping opts, expected label'] },
  { q: 'sum without(,)(some_metric)', err: [12, 13, 'unexpected "," in grouping opts, expected label'] },
  { q: 'sum without(foo,,)(some_metric)', err: [16, 17, 'unexpected "," in grouping opts, expected label'] },
  { q: 'sum some_metric by (test)', err: [4, 15, 'unexpected identifier "some_metric"'] },
  { q: 'sum (some_metric) by test', err: [21, 25, 'unexpected identifier "test" in grouping opts, expected "("'] },
  { q: 'sum () by (test)', err: [0, 16, 'no arguments for aggregate expression provided'] },
  { q: 'MIN keep_common (some_metric)', err: [4, 15, 'unexpected identifier "keep_common"'] },
  { q: 'MIN (some_metric) keep_common', err: [18, 29, 'unexpected identifier "keep_common"'] },
  { q: 'sum (some_metric) without (test) by (test)', err: [33, 35, 'unexpected <by>'] },
  { q: 'sum without (test) (some_metric) by (test)', err: [33, 35, 'unexpected <by>'] },
  {
    q: 'topk(some_metric)',
    err: [0, 17, 'wrong number of arguments for aggregate expression provided, expected 2, got 1'],
  },
  { q: 'topk(some_metric,)', err: [16, 17, 'trailing commas not allowed in function call args'] },
  {
    q: 'topk(some_metric, other_metric)',
    err: [5, 16, 'expected type scalar in aggregation parameter, got instant vector'],
  },
  { q: 'count_values(5, other_metric)', err: [13, 14, 'expected type string in aggregation parameter, got scalar'] },
  { q: 'rate(some_metric[5m]) @ 1234', err: [0, 21, `@ modifier must be preceded by an ${NO_SELECTOR}`] },
];

export const FUNCTION_CASES: ParseCase[] = [
  { q: 'time()', ast: 'C:time()@0-6' },
  { q: 'floor(some_metric{foo!="bar"})', ast: 'C:floor(VS(some_metric{foo!="bar"})@6-29)@0-30' },
  { q: 'rate(some_metric[5m])', ast: 'C:rate(MS(VS(some_metric)@5-16; 300000)@5-20)@0-21' },
  { q: 'round(some_metric)', ast: 'C:round(VS(some_metric)@6-17)@0-18' },
  { q: 'round(some_metric, 5)', ast: 'C:round(VS(some_metric)@6-17, N(5)@19-20)@0-21' },
  { q: 'floor()', err: [0, 7, 'expected 1 argument(s) in call to "floor", got 0'] },
  { q: 'floor(some_metric, other_metric)', err: [0, 32, 'expected 1 argument(s) in call to "floor", got 2'] },
  { q: 'floor(some_metric, 1)', err: [0, 21, 'expected 1 argument(s) in call to "floor", got 2'] },
  { q: 'floor(1)', err: [6, 7, 'expected type instant vector in call to function "floor", got scalar'] },
  {
    q: 'hour(some_metric, some_metric, some_metric)',
    err: [0, 43, 'expected at most 1 argument(s) in call to "hour", got 3'],
  },
  { q: 'time(some_metric)', err: [0, 17, 'expected 0 argument(s) in call to "time", got 1'] },
  {
    q: 'non_existent_function_far_bar()',
    err: [0, 29, 'unknown function with name "non_existent_function_far_bar"'],
  },
  { q: 'rate(some_metric)', err: [5, 16, 'expected type range vector in call to function "rate", got instant vector'] },
  // Prometheus has the byte \xff here (end 38); U+FFFD takes 3 bytes.
  { q: 'label_replace(a, `b`, `c\uFFFD`, `d`, `.*`)', err: [22, 40, 'invalid UTF-8 rune'] },
  // Fuzzing regression tests.
  { q: '*1', err: [0, 1, 'unexpected <op:*>'] },
  { q: '-=', err: [1, 2, 'unexpected "="'] },
  { q: '++-++-+-+-<', err: [10, 11, 'unexpected <op:<>'] },
  { q: 'e-+=/(0)', err: [3, 4, 'unexpected "="'] },
  { q: 'a>b()', err: [2, 3, 'unknown function with name "b"'] },
  { q: 'rate(avg)', err: [5, 8, 'expected type range vector in call to function "rate", got instant vector'] },
  { q: 'sum(sum)', ast: 'A:sum(VS(sum)@4-7)@0-8' },
  { q: 'a + sum', ast: 'B+(VS(a)@0-1, VS(sum)@4-7; 1:1)@0-7' },
];

export const STRING_CASES: ParseCase[] = [
  {
    q: String.raw`"double-quoted string \" with escaped quote"`,
    ast: String.raw`S("double-quoted string \" with escaped quote")@0-44`,
  },
  {
    q: String.raw`'single-quoted string \' with escaped quote'`,
    ast: `S("single-quoted string ' with escaped quote")@0-44`,
  },
  { q: '`backtick-quoted string`', ast: 'S("backtick-quoted string")@0-24' },
  {
    q: String.raw`"\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺"`,
    ast: String.raw`S("\a\b\f\n\r\t\v\\\" - \xff\xff` + '\u1234\u{10111}\u{10111}11☺")@0-62',
  },
  {
    q: String.raw`'\a\b\f\n\r\t\v\\\' - \xFF\377\u1234\U00010111\U0001011111☺'`,
    ast: String.raw`S("\a\b\f\n\r\t\v\\' - \xff\xff` + '\u1234\u{10111}\u{10111}11☺")@0-62',
  },
  {
    q: '`' + String.raw`\a\b\f\n\r\t\v\\\"\' - \xFF\377\u1234\U00010111\U0001011111☺` + '`',
    ast: String.raw`S("\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺")@0-64`,
  },
  { q: '`\\``', err: [3, 4, 'unterminated raw string'] },
  { q: '"\\', err: [0, 2, 'escape sequence not terminated'] },
  { q: '"\\c"', err: [0, 4, "unknown escape sequence U+0063 'c'"] },
  { q: '"\\x."', err: [0, 5, "illegal character U+002E '.' in escape sequence"] },
];

const INNER_RATE = 'C:rate(MS(VS(foo{bar="baz"})@19-33; 2000)@19-37)@14-38';

export const SUBQUERY_CASES: ParseCase[] = [
  { q: 'foo{bar="baz"}[', err: [15, 15, 'unexpected end of input in duration expression'] },
  { q: 'foo{bar="baz"}[10m:6s]', ast: 'SQ(VS(foo{bar="baz"})@0-14; 600000:6000)@0-22' },
  { q: 'foo{bar="baz"}[10m5s:1h6ms]', ast: 'SQ(VS(foo{bar="baz"})@0-14; 605000:3600006)@0-27' },
  { q: 'foo[10m:]', ast: 'SQ(VS(foo)@0-3; 600000:)@0-9' },
  {
    q: 'min_over_time(rate(foo{bar="baz"}[2s])[5m:5s])',
    ast: `C:min_over_time(SQ(${INNER_RATE}; 300000:5000)@14-45)@0-46`,
  },
  {
    q: 'min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s]',
    ast: `SQ(C:min_over_time(SQ(${INNER_RATE}; 300000:)@14-43)@0-44; 240000:3000)@0-51`,
  },
  {
    q: 'min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s]',
    ast: `SQ(C:min_over_time(SQ(${INNER_RATE}; 300000:; off=240000)@14-53)@0-54; 240000:3000)@0-61`,
  },
  {
    q: 'min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ 1603775091)[4m:3s]',
    ast: `SQ(C:min_over_time(SQ(${INNER_RATE}; 300000:; @=1603775091000)@14-56)@0-57; 240000:3000)@0-64`,
  },
  {
    q: 'min_over_time(rate(foo{bar="baz"}[2s])[5m:] @ -160377509)[4m:3s]',
    ast: `SQ(C:min_over_time(SQ(${INNER_RATE}; 300000:; @=-160377509000)@14-56)@0-57; 240000:3000)@0-64`,
  },
  {
    q: 'sum without(and, by, avg, count, alert, annotations)(some_metric) [30m:10s]',
    ast: 'SQ(A:sum(VS(some_metric)@53-64; without(and,by,avg,count,alert,annotations))@0-65; 1800000:10000)@0-75',
  },
  { q: 'some_metric OFFSET 1m [10m:5s]', ast: 'SQ(VS(some_metric off=60000)@0-21; 600000:5000)@0-30' },
  { q: 'some_metric @ 123 [10m:5s]', ast: 'SQ(VS(some_metric @=123000)@0-17; 600000:5000)@0-26' },
  { q: 'some_metric @ 123 offset 1m [10m:5s]', ast: 'SQ(VS(some_metric off=60000 @=123000)@0-27; 600000:5000)@0-36' },
  { q: 'some_metric offset 1m @ 123 [10m:5s]', ast: 'SQ(VS(some_metric off=60000 @=123000)@0-27; 600000:5000)@0-36' },
  { q: 'some_metric[10m:5s] offset 1m @ 123', ast: 'SQ(VS(some_metric)@0-11; 600000:5000; off=60000; @=123000)@0-35' },
  {
    q: '(foo + bar{nm="val"})[5m:]',
    ast: 'SQ(P(B+(VS(foo)@1-4, VS(bar{nm="val"})@7-20; 1:1)@1-20)@0-21; 300000:)@0-26',
  },
  {
    q: '(foo + bar{nm="val"})[5m:] offset 10m',
    ast: 'SQ(P(B+(VS(foo)@1-4, VS(bar{nm="val"})@7-20; 1:1)@1-20)@0-21; 300000:; off=600000)@0-37',
  },
  {
    q: '(foo + bar{nm="val"} @ 1234)[5m:] @ 1603775019',
    ast: 'SQ(P(B+(VS(foo)@1-4, VS(bar{nm="val"} @=1234000)@7-27; 1:1)@1-27)@0-28; 300000:; @=1603775019000)@0-46',
  },
  { q: 'test[5d] OFFSET 10s [10m:5s]', err: [0, 28, 'subquery is only allowed on instant vector, got matrix instead'] },
  {
    q: '(foo + bar{nm="val"})[5m:][10m:5s]',
    err: [0, 34, 'subquery is only allowed on instant vector, got matrix instead'],
  },
  { q: 'rate(food[1m])[1h] offset 1h', err: [14, 18, 'ranges only allowed for vector selectors'] },
  { q: 'rate(food[1m])[1h] @ 100', err: [14, 18, 'ranges only allowed for vector selectors'] },
  // Preprocessors.
  { q: 'foo @ start()', ast: 'VS(foo @start)@0-13' },
  { q: 'foo @ end()', ast: 'VS(foo @end)@0-11' },
  { q: 'test[5y] @ start()', ast: `MS(VS(test @start)@0-4; ${Y5})@0-18` },
  { q: 'test[5y] @ end()', ast: `MS(VS(test @end)@0-4; ${Y5})@0-16` },
  { q: 'foo[10m:6s] @ start()', ast: 'SQ(VS(foo)@0-3; 600000:6000; @start)@0-21' },
  { q: 'foo[10m:6s] @ end()', ast: 'SQ(VS(foo)@0-3; 600000:6000; @end)@0-19' },
  { q: 'start()', ast: 'C:start()@0-7' },
  { q: 'end()', ast: 'C:end()@0-5' },
  { q: 'start', ast: 'VS(start)@0-5' },
  { q: 'end', ast: 'VS(end)@0-3' },
  { q: 'start{end="foo"}', ast: 'VS(start{end="foo"})@0-16' },
  { q: 'end{start="foo"}', ast: 'VS(end{start="foo"})@0-16' },
  { q: 'foo unless on(start) bar', ast: 'Bunless(VS(foo)@0-3, VS(bar)@21-24; n:n; on(start))@0-24' },
  { q: 'foo unless on(end) bar', ast: 'Bunless(VS(foo)@0-3, VS(bar)@19-22; n:n; on(end))@0-22' },
  {
    q: 'info(rate(http_request_counter_total{}[5m]))',
    ast: 'C:info(C:rate(MS(VS(http_request_counter_total)@10-38; 300000)@10-42)@5-43)@0-44',
  },
  {
    q: 'info(rate(http_request_counter_total{}[5m]), target_info{foo="bar"})',
    err: [45, 67, 'expected label selectors only, got vector selector instead'],
  },
  {
    q: 'info(http_request_counter_total{namespace="zzz"}, {foo="bar", bar="baz"})',
    ast: 'C:info(VS(http_request_counter_total{namespace="zzz"})@5-48, VS({foo="bar", bar="baz"} bypass)@50-72)@0-73',
  },
  {
    q: 'info(http_request_counter_total{namespace="zzz"}, {foo="bar"} == 1)',
    err: [50, 66, 'expected label selectors only'],
  },
];
