/**
 * The differential corpus, generated systematically: range functions × selectors × ranges,
 * instant functions × selectors, aggregations × groupings, binary operators × matching
 * modes, subqueries, offset and @.
 *
 * Every evaluation time (instant `time`, range `start`, `@`) is a whole second plus 500 ms,
 * and every duration, step and offset a whole second. Range and lookback windows then start
 * at x.500 s, where no sample sits (dataset.ts), and subquery windows, whose inner steps are
 * aligned to absolute multiples of the subquery step (whole seconds), never start on one of
 * their own steps either. Both matter because Prometheus 2.x closes windows on the left and
 * 3.x does not.
 */
import { END_MS, T0_MS } from './dataset.js';

export interface Query {
  /** Stable id used by the exclusion and known-gap lists: `instant: <q>` or `range: <q>`. */
  id: string;
  kind: 'instant' | 'range';
  query: string;
  /** Seconds. Instant: `time`; range: start..end every step. */
  time?: number;
  start?: number;
  end?: number;
  step?: number;
}

/** Seconds, plus the half second that keeps every window boundary off data (see above). */
const sec = (ms: number): number => ms / 1000 + 0.5;
/** Mid-data instant time, and one just after the data ends (lookback runs out). */
export const T_MID = sec(T0_MS) + 2 * 3600 + 7 * 60;
export const T_AFTER = sec(END_MS) + 2 * 60;
export const RANGE = { start: sec(T0_MS) + 20 * 60, end: sec(T0_MS) + 2 * 3600 + 50 * 60, step: 60 };
/** A short range with an odd step that is not a divisor of the scrape interval. */
export const SHORT_RANGE = { start: sec(T0_MS) + 58 * 60, end: sec(T0_MS) + 78 * 60, step: 17 };

const COUNTERS = ['demo_requests_total', 'demo_errors_total{instance!="c"}', 'demo_request_duration_seconds_count'];
const GAUGES = [
  'demo_temperature_celsius',
  'demo_memory_bytes{instance=~"a|b"}',
  'demo_queue_length',
  'demo_flaky_up',
  'demo_balance',
];
const RANGES = ['1m', '5m', '17m', '1h', '45s'];

const COUNTER_FNS = ['rate', 'irate', 'increase', 'resets'];
const GAUGE_FNS = [
  'delta',
  'idelta',
  'deriv',
  'changes',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'last_over_time',
  'present_over_time',
  'absent_over_time',
];
const MATH_FNS = [
  'abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'round', 'sin', 'cos', 'tan',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'deg', 'rad', 'timestamp',
];
const MATH_ARGS = ['demo_ratio', 'demo_balance', 'demo_temperature_celsius{sensor="cpu"}'];
const TIME_FNS = ['minute', 'hour', 'day_of_week', 'day_of_month', 'day_of_year', 'days_in_month', 'month', 'year'];

const AGGS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count'];
const PARAM_AGGS = ['topk(2, ', 'bottomk(2, ', 'quantile(0.75, ', 'count_values("v", ', 'limitk(1, ', 'limit_ratio(0.5, '];
const GROUPINGS = ['', ' by (instance)', ' without (instance)', ' by (job)'];
const AGG_INNER = ['demo_temperature_celsius', 'rate(demo_requests_total[5m])', 'demo_queue_length'];

const ARITH = ['+', '-', '*', '/', '%', '^', 'atan2'];
const COMPARE = ['==', '!=', '>', '<', '>=', '<='];
const SETS = ['and', 'or', 'unless'];

/** `[lhs, op-suffix, rhs]` per matching mode; op-suffix goes after the operator. */
const MODES: [string, string, string][] = [
  ['demo_temperature_celsius', '', '41'],
  ['3', '', 'demo_queue_length'],
  ['rate(demo_requests_total[5m])', '', 'rate(demo_requests_total[5m] offset 10m)'],
  ['demo_temperature_celsius', ' on (instance) group_left', 'demo_memory_bytes / 1e9'],
  ['demo_memory_bytes / 1e9', ' on (instance) group_right', 'demo_temperature_celsius'],
  ['sum by (instance, code) (rate(demo_requests_total[5m]))', ' ignoring (code)', 'sum by (instance) (rate(demo_errors_total[5m]))'],
];

const SET_PAIRS: [string, string][] = [
  ['demo_queue_length > 1', 'demo_queue_length < 5'],
  ['demo_temperature_celsius', 'on (instance) demo_memory_bytes{instance="a"}'],
  ['demo_flaky_up', 'demo_constant'],
];

export function generateCorpus(): Query[] {
  const exprs: string[] = [];
  const add = (...q: string[]): void => void exprs.push(...q);

  COUNTERS.forEach((s) => COUNTER_FNS.forEach((f) => RANGES.forEach((r) => add(`${f}(${s}[${r}])`))));
  GAUGE_FNS.forEach((f, i) => GAUGES.forEach((s, j) => add(`${f}(${s}[${RANGES[(i + j) % RANGES.length]}])`)));
  GAUGES.forEach((s, j) => {
    add(`quantile_over_time(0.9, ${s}[${RANGES[j % 4]}])`);
    add(`predict_linear(${s}[${RANGES[(j + 1) % 4]}], 600)`);
    add(`holt_winters(${s}[${RANGES[(j + 2) % 4]}], 0.5, 0.3)`);
  });
  MATH_FNS.forEach((f) => MATH_ARGS.forEach((a) => add(`${f}(${a})`)));
  TIME_FNS.forEach((f) => add(`${f}()`, `${f}(demo_constant * 1e7)`, `${f}(timestamp(demo_flaky_up))`));
  add(
    'round(demo_temperature_celsius, 0.5)',
    'clamp(demo_temperature_celsius, 40, 45)',
    'clamp_min(demo_balance, 0)',
    'clamp_max(demo_balance, 0)',
    'clamp(demo_balance, 5, -5)',
    'sort(demo_temperature_celsius)',
    'sort_desc(rate(demo_requests_total[5m]))',
    '-demo_balance',
    'pi()',
    'time()',
    'vector(1)',
    'vector(time())',
    'scalar(demo_constant{kind="answer"})',
    'scalar(demo_constant)',
    'scalar(sum(demo_queue_length))',
    'absent(demo_nonexistent{job="x"})',
    'absent(demo_constant)',
    'absent(sum(demo_nonexistent))',
    'absent_over_time(demo_nonexistent{instance="z"}[5m])',
    'label_replace(demo_memory_bytes, "host", "host-$1", "instance", "(.*)")',
    'label_replace(demo_memory_bytes, "instance", "", "instance", "a")',
    'label_join(demo_temperature_celsius, "where", "/", "instance", "sensor")',
    'histogram_quantile(0.9, rate(demo_request_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.5, sum by (le) (rate(demo_request_duration_seconds_bucket[10m])))',
    'histogram_quantile(0.99, sum by (le, instance) (increase(demo_request_duration_seconds_bucket[1h])))',
    'histogram_quantile(1.5, rate(demo_request_duration_seconds_bucket[5m]))',
    'histogram_quantile(-1, rate(demo_request_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.9, demo_request_duration_seconds_bucket)',
    'rate(demo_request_duration_seconds_sum[5m]) / rate(demo_request_duration_seconds_count[5m])',
    'histogram_count(demo_request_duration_seconds_count)',
    'double_exponential_smoothing(demo_temperature_celsius[10m], 0.5, 0.5)',
    'mad_over_time(demo_temperature_celsius[10m])',
    'sort_by_label(demo_memory_bytes, "instance")',
    '"a string"',
    '42',
    '1 + 2 * 3 ^ 2 ^ 0.5',
    '(1 > bool 0) + (2 == bool 3)',
    '-2 ^ 2',
    'demo_nonexistent',
    'rate(demo_temperature_celsius[5m]',
  );

  AGGS.forEach((a, i) => GROUPINGS.forEach((g, j) => add(`${a}${g} (${AGG_INNER[(i + j) % AGG_INNER.length]})`)));
  PARAM_AGGS.forEach((a, i) => GROUPINGS.forEach((g, j) => add(`${a.slice(0, a.indexOf('('))}${g} (${a.slice(a.indexOf('(') + 1)}${AGG_INNER[(i + j) % AGG_INNER.length]})`)));
  add(
    'sum(demo_constant) by (kind)',
    'count(count by (instance) (demo_temperature_celsius))',
    'avg(demo_memory_bytes) * 2',
    'quantile(1.5, demo_queue_length)',
    'topk(scalar(demo_constant{kind="one"}), demo_queue_length)',
    'sum by (__name__) ({__name__=~"demo_(queue_length|ratio)"})',
    'max without () (demo_ratio)',
  );

  ARITH.forEach((op) => MODES.forEach(([l, m, r], k) => {
    if (k !== 5 || op === '+' || op === '/') add(`${l} ${op}${m} ${r}`);
  }));
  COMPARE.forEach((op) => MODES.slice(0, 4).forEach(([l, m, r]) => {
    add(`${l} ${op}${m} ${r}`);
    add(`${l} ${op} bool${m} ${r}`);
  }));
  SETS.forEach((op) => SET_PAIRS.forEach(([l, r]) => add(`${l} ${op} ${r}`)));
  add(
    'demo_temperature_celsius + on (instance) demo_memory_bytes',
    'demo_requests_total + on (instance) group_left demo_temperature_celsius',
    'demo_requests_total / ignoring (code) group_left demo_requests_total{code="200"}',
    'demo_requests_total{code="500"} / ignoring (code) demo_requests_total{code="200"}',
    '{__name__=~"demo_(ratio|queue_length)"} + 1',
    'demo_queue_length == 0',
  );

  add(
    'max_over_time(rate(demo_requests_total[5m])[30m:1m])',
    'avg_over_time(demo_temperature_celsius[1h:5m])',
    'deriv(sum(demo_memory_bytes)[20m:])',
    'min_over_time((demo_queue_length > 2)[15m:30s])',
    'rate(demo_requests_total[5m:1m])',
    'count_over_time(demo_flaky_up[10m:1m])',
    'max_over_time(sum by (instance) (rate(demo_requests_total[1m]))[1h:2m] offset 10m)',
    'last_over_time(demo_queue_length[10m:1m] @ 1700003600.5)',
    'quantile_over_time(0.5, demo_balance[30m:90s])',
    'changes(demo_queue_length[1h:1m])',
    'sum_over_time(irate(demo_errors_total[45s])[7m:45s])',
    'stddev_over_time(deriv(demo_memory_bytes[2m])[13m:17s] offset 3m)',
  );
  add(
    'demo_temperature_celsius offset 10m',
    'rate(demo_requests_total[5m] offset 1h)',
    'demo_memory_bytes @ 1700003000.5',
    'rate(demo_requests_total[5m] @ end())',
    'demo_queue_length @ start()',
    'demo_queue_length offset -5m',
    'sum(demo_memory_bytes @ 1700005000.5 offset 5m)',
    'demo_flaky_up offset 1h',
    'timestamp(demo_flaky_up @ 1700004000.5)',
    'increase(demo_errors_total[10m] @ 1700008000.5 offset 30s)',
  );

  const out: Query[] = [];
  // Probes that put a subquery window boundary on one of its steps on purpose (whole-minute
  // time, whole-minute range and step): they show the 2.x/3.x left-open difference is real.
  for (const q of ['count_over_time(demo_constant[30m:1m])', 'max_over_time(rate(demo_requests_total[5m])[30m:1m])']) {
    out.push({ id: `boundary: ${q}`, kind: 'instant', query: q, time: 1_700_003_820 });
  }
  exprs.forEach((q, i) => {
    out.push({ id: `instant: ${q}`, kind: 'instant', query: q, time: T_MID });
    if (i % 2 === 0) out.push({ id: `range: ${q}`, kind: 'range', query: q, ...RANGE });
    else if (i % 3 === 0) out.push({ id: `short-range: ${q}`, kind: 'range', query: q, ...SHORT_RANGE });
    if (i % 7 === 0) out.push({ id: `after-end: ${q}`, kind: 'instant', query: q, time: T_AFTER });
  });
  return out;
}
