/**
 * Runs promqltest files against our engine with the upstream harness rules: lookback 5m,
 * `@` and negative offsets on, experimental syntax on, max samples 10,000, subquery default
 * step 1m; each instant eval is repeated with `@` pinned at other times and as a range query
 * over [t-1m, t+1m] (see upstream test.go). Every eval command counts once: passed or
 * failed (with the first reason).
 */
import type { Labels } from '@edgeprom/shared';
import { extractSelectors, formatExpr, inspect, parseExpr, type Expr } from '../parser/index.js';
import { CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Matcher, MemoryStorage } from '../../storage/index.js';
import { createEngine, type Engine } from '../engine.js';
import type { QueryResult, Sample } from '../value.js';
import { compareResult, compareVector, Mismatch } from './compare.js';
import { parseTestFile, type EvalCmd, type Expectation, type LoadCmd } from './test-file.js';

export interface EvalOutcome {
  line: number;
  expr: string;
  passed: boolean;
  /** Involves a native histogram (loaded or expected). */
  histogram: boolean;
  reason?: string;
}

export interface FileReport {
  file: string;
  evals: EvalOutcome[];
}

const PARSE_OPTS = {
  enableExperimentalFunctions: true,
  experimentalDurationExpr: true,
  enableExtendedRangeSelectors: true,
  enableBinopFillModifiers: true,
};

export function createTestEngine(): Engine {
  return createEngine({
    lookbackDeltaMs: 300_000,
    maxSamples: 10_000,
    timeoutMs: 100_000,
    enableAtModifier: true,
    enableNegativeOffset: true,
    enableExperimentalFunctions: true,
    enableDurationExpressions: true,
    enableExtendedRangeSelectors: true,
    enableBinopFillModifiers: true,
    defaultSubqueryStepMs: 60_000,
    enableDelayedNameRemoval: true,
  });
}

const AT_UNSAFE = new Set([
  'start', 'end', 'step', 'range',
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'time', 'timestamp',
]);

/** Upstream's atModifierTestCases: the expression with every selector pinned `@ t`, at other times. */
export function atModifierTestCases(exprStr: string, evalTime: number): { expr: string; t: number }[] {
  const expr = structuredClone(parseExpr(exprStr, PARSE_OPTS)) as Expr;
  let unsafe = false;
  inspect(expr, (n, path) => {
    if (path.some((p) => p.type === 'SubqueryExpr' && p.timestamp !== null)) return;
    if (n.type === 'VectorSelector' && n.timestamp === null) {
      n.timestamp = evalTime;
      n.startOrEnd = null;
    } else if (n.type === 'MatrixSelector' && n.vectorSelector.timestamp === null) {
      n.vectorSelector.timestamp = evalTime;
      n.vectorSelector.startOrEnd = null;
    } else if (n.type === 'SubqueryExpr' && n.timestamp === null) {
      n.timestamp = evalTime;
      n.startOrEnd = null;
    } else if (n.type === 'Call' && AT_UNSAFE.has(n.func.name)) {
      unsafe = true;
    }
  });
  if (unsafe) return [];
  const s = formatExpr(expr);
  const ts = evalTime;
  const times = ts === 0 ? [-1000, -ts, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  return times.map((t) => ({ expr: s, t }));
}

function matches(e: Expectation, s: string): boolean {
  return e.regex === undefined ? e.message === s : e.regex.test(s);
}

function checkExpectedFailure(cmd: EvalCmd, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  if (cmd.failMessage !== undefined && cmd.failMessage !== msg) throw new Mismatch(`expected error ${JSON.stringify(cmd.failMessage)}, got: ${msg}`);
  if (cmd.failRegexp !== undefined && !cmd.failRegexp.test(msg)) throw new Mismatch(`expected error matching ${cmd.failRegexp}, got: ${msg}`);
  if (cmd.expectFail.length > 0 && !matches(cmd.expectFail[0], msg)) {
    throw new Mismatch(`expected error matching ${cmd.expectFail[0].message ?? cmd.expectFail[0].regex}, got: ${msg}`);
  }
}

function checkAnnotationsOf(kind: string, expected: Expectation[], actual: string[]): void {
  if (expected.length === 0) return;
  if (actual.length === 0) throw new Mismatch(`expected ${kind} annotations but none were found`);
  for (const e of expected) {
    if (!actual.some((a) => matches(e, a))) throw new Mismatch(`expected ${kind} annotation ${e.message ?? e.regex} not found, got ${JSON.stringify(actual)}`);
  }
  for (const a of actual) {
    if (!expected.some((e) => matches(e, a))) throw new Mismatch(`unexpected ${kind} annotation ${JSON.stringify(a)}`);
  }
}

function checkAnnotations(cmd: EvalCmd, r: QueryResult): void {
  if (cmd.warn && r.warnings.length === 0) throw new Mismatch('expected warnings but got none');
  if (cmd.info && r.infos.length === 0) throw new Mismatch('expected info annotations but got none');
  checkAnnotationsOf('warn', cmd.expectWarn, r.warnings);
  checkAnnotationsOf('info', cmd.expectInfo, r.infos);
  if (cmd.expectNoWarn && r.warnings.length > 0) throw new Mismatch(`unexpected warnings: ${JSON.stringify(r.warnings)}`);
  if (cmd.expectNoInfo && r.infos.length > 0) throw new Mismatch(`unexpected infos: ${JSON.stringify(r.infos)}`);
}

const isFail = (cmd: EvalCmd): boolean => cmd.fail || cmd.expectFail.length > 0;

function runRangeEval(engine: Engine, storage: MemoryStorage, cmd: EvalCmd): void {
  let r: QueryResult;
  try {
    r = engine.execSync(storage, cmd.expr, cmd.start, cmd.end, cmd.step, true);
  } catch (e) {
    if (isFail(cmd)) return checkExpectedFailure(cmd, e);
    throw e;
  }
  if (isFail(cmd)) throw new Mismatch('expected error but got none');
  checkAnnotations(cmd, r);
  compareResult(cmd, r.value);
}

function runInstant(engine: Engine, storage: MemoryStorage, cmd: EvalCmd, expr: string, t: number): void {
  let r: QueryResult;
  try {
    r = engine.execSync(storage, expr, t, t, 0, false);
  } catch (e) {
    if (isFail(cmd)) return checkExpectedFailure(cmd, e);
    throw e;
  }
  if (isFail(cmd)) throw new Mismatch(`expected error evaluating ${expr} but got none`);
  checkAnnotations(cmd, r);
  compareResult(cmd, r.value);
  if (cmd.excludeFromRangeQuery || /(start|end|range|step)\(\)/.test(expr)) return;
  let rr: QueryResult;
  try {
    rr = engine.execSync(storage, expr, t - 60_000, t + 60_000, 60_000, true);
  } catch (e) {
    throw new Mismatch(`range mode: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (cmd.ordered || cmd.expectOrdered) return;
  if (rr.value.type !== 'matrix') throw new Mismatch('range mode: not a matrix');
  const vec: Sample[] = [];
  for (const s of rr.value.series) {
    const p = s.points.find((x) => x.t === t);
    if (p !== undefined) vec.push(p.h === undefined ? { metric: s.metric, t, f: p.f } : { metric: s.metric, t, f: 0, h: p.h });
  }
  try {
    if (r.value.type === 'scalar') {
      if (vec.length === 0) throw new Mismatch('no scalar point');
      compareResult(cmd, { type: 'scalar', t, v: vec[0].f });
    } else {
      compareVector(cmd, vec);
    }
  } catch (e) {
    throw new Mismatch(`range mode: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function runEval(engine: Engine, storage: MemoryStorage, cmd: EvalCmd): void {
  if (cmd.parseError !== undefined) throw new Mismatch(`bad expectation: ${cmd.parseError}`);
  if (cmd.isRange) return runRangeEval(engine, storage, cmd);
  let cases: { expr: string; t: number }[] = [];
  try {
    cases = atModifierTestCases(cmd.expr, cmd.evalTime);
  } catch (e) {
    if (!isFail(cmd)) throw e;
  }
  runInstant(engine, storage, cmd, cmd.expr, cmd.evalTime);
  for (const c of cases) runInstant(engine, storage, cmd, c.expr, c.t);
}

/** Series loaded as native histograms (directly, or converted by load_with_nhcb). */
function histogramSeries(cmd: LoadCmd, into: Labels[]): void {
  for (const s of cmd.series) {
    if (s.hasHistogram) into.push(s.labels);
    if (cmd.withNhcb) {
      const m = /^(.*)_(bucket|count|sum)$/.exec(s.labels.get('__name__'));
      if (m) into.push(s.labels.without('le').with('__name__', m[1]));
    }
  }
}

/** Whether any selector of the expression selects a native histogram series. */
function involvesHistogram(cmd: EvalCmd, hist: Labels[]): boolean {
  if (cmd.expectsHistogram) return true;
  if (hist.length === 0) return false;
  let selectors;
  try {
    selectors = extractSelectors(parseExpr(cmd.expr, PARSE_OPTS));
  } catch {
    return false;
  }
  for (const sel of selectors) {
    let ms: Matcher[];
    try {
      ms = sel.map((m) => Matcher.create(m.type, m.name, m.value));
    } catch {
      continue;
    }
    if (hist.some((l) => ms.every((m) => m.matches(l.get(m.name))))) return true;
  }
  return false;
}

async function load(storage: MemoryStorage, cmd: LoadCmd): Promise<void> {
  const app = storage.appender();
  // A series defined twice in one load keeps its last definition, as upstream.
  const last = new Map<string, LoadCmd['series'][number]>();
  for (const s of cmd.series) last.set(s.labels.key, s);
  for (const s of last.values()) {
    s.values.forEach((v, i) => {
      if (v.kind === 'float') app.append(s.labels, i * cmd.intervalMs, v.value);
      else if (v.kind === 'histogram') app.appendHistogram!(s.labels, i * cmd.intervalMs, v.h);
    });
  }
  if (cmd.withNhcb) {
    for (const [labels, byT] of classicToNhcb([...last.values()], cmd.intervalMs)) {
      for (const [t, h] of byT) app.appendHistogram!(labels, t, h);
    }
  }
  await app.commit();
}

/**
 * load_with_nhcb: each classic histogram (`_bucket` series with `le`, plus `_sum`/`_count`)
 * also becomes a native histogram with custom buckets, named without the suffix, as
 * upstream's test loader does. Counts per bucket are the differences of the cumulative
 * `le` buckets; count is the highest bucket, sum the `_sum` series (0 without one).
 */
function classicToNhcb(series: LoadCmd['series'], intervalMs: number): Map<Labels, Map<number, FloatHistogram>> {
  interface Group {
    labels: Labels;
    buckets: { le: number; values: LoadCmd['series'][number]['values'] }[];
    sum?: LoadCmd['series'][number]['values'];
  }
  const groups = new Map<string, Group>();
  const groupOf = (l: Labels, base: string): Group => {
    const labels = l.without('le').with('__name__', base);
    let g = groups.get(labels.key);
    if (g === undefined) {
      g = { labels, buckets: [] };
      groups.set(labels.key, g);
    }
    return g;
  };
  for (const s of series) {
    const m = /^(.*)_(bucket|sum)$/.exec(s.labels.get('__name__'));
    if (!m) continue;
    if (m[2] === 'sum') {
      groupOf(s.labels, m[1]).sum = s.values;
      continue;
    }
    const leText = s.labels.get('le');
    if (leText === '') continue;
    const le = leText === '+Inf' ? Infinity : Number(leText);
    if (Number.isNaN(le)) continue;
    groupOf(s.labels, m[1]).buckets.push({ le, values: s.values });
  }
  const out = new Map<Labels, Map<number, FloatHistogram>>();
  for (const g of groups.values()) {
    if (g.buckets.length === 0) continue;
    g.buckets.sort((a, b) => a.le - b.le);
    const bounds = g.buckets.filter((b) => b.le !== Infinity).map((b) => b.le);
    const n = Math.max(...g.buckets.map((b) => b.values.length));
    const byT = new Map<number, FloatHistogram>();
    for (let i = 0; i < n; i++) {
      const cum: number[] = [];
      let ok = true;
      for (const b of g.buckets) {
        const v = b.values[i];
        if (v === undefined || v.kind !== 'float' || Number.isNaN(v.value)) ok = false;
        else cum.push(v.value);
      }
      if (!ok) continue;
      const h = new FloatHistogram();
      h.schema = CUSTOM_BUCKETS_SCHEMA;
      h.customValues = bounds;
      h.count = cum[cum.length - 1]; // the highest bucket, +Inf or not, as upstream's loader
      const sv = g.sum?.[i];
      h.sum = sv !== undefined && sv.kind === 'float' ? sv.value : 0;
      for (let j = 0; j < cum.length; j++) {
        h.pIdx.push(j);
        h.pCnt.push(j === 0 ? cum[0] : cum[j] - cum[j - 1]);
      }
      byT.set(i * intervalMs, h);
    }
    out.set(g.labels, byT);
  }
  return out;
}

export async function runTestText(file: string, text: string, engine: Engine = createTestEngine()): Promise<FileReport> {
  const cmds = parseTestFile(text);
  let storage = new MemoryStorage();
  let hist: Labels[] = [];
  const evals: EvalOutcome[] = [];
  for (const cmd of cmds) {
    if (cmd.kind === 'clear') {
      storage = new MemoryStorage();
      hist = [];
    } else if (cmd.kind === 'load') {
      histogramSeries(cmd, hist);
      await load(storage, cmd);
    } else {
      const histogram = involvesHistogram(cmd, hist);
      try {
        runEval(engine, storage, cmd);
        evals.push({ line: cmd.line, expr: cmd.expr, passed: true, histogram });
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        evals.push({ line: cmd.line, expr: cmd.expr, passed: false, histogram, reason });
      }
    }
  }
  return { file, evals };
}
