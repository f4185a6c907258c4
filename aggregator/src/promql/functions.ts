/**
 * Function calls: the driver for functions over ranges (one window per series and step),
 * and the instant-vector and scalar functions.
 */
import { Labels } from '@edgeprom/shared';
import type { Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './parser/index.js';
import { executionError, unsupported } from './errors.js';
import type { ESeries, EValue, RangeWindow, StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';
import { counterResets, KEEPS_NAME, RANGE_FUNCTIONS, type RangeEnv } from './functions-range.js';
import { INSTANT_FUNCTIONS } from './functions-instant.js';
import { formatOpenMetricsFloat, histogramFraction, histogramQuantile, histogramQuantiles } from './histogram-quantile.js';
import { labelJoin, labelReplace, sortByLabel } from './functions-labels.js';
import { formatGo } from './aggregations.js';
import { evalInfo } from './functions-info.js';
import { anchoredPoints, checkExtendedModifier, extendedRate } from './functions-extended.js';
import { histogramExtendedRate, histogramRangeFn, windowHasHistogram, type HistEnv } from './functions-histogram.js';
import type { FloatHistogram } from '../storage/index.js';
import { nativeFraction, nativeQuantile, nativeVariance } from './histogram-native.js';

export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

const SORTS = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc']);

export function evalCall(ev: Evaluator, e: Call): EValue {
  const name = e.func.name;
  const matrixIdx = e.func.argTypes.indexOf('matrix');
  if (matrixIdx >= 0 && matrixIdx < e.args.length) return evalRangeCall(ev, e, matrixIdx);
  if (SORTS.has(name) && ev.ctx.queryIsRange) {
    ev.ctx.annotations.warn(
      'sort is ineffective for range queries since results are always ordered by labels',
      e.positionRange,
    );
  }
  switch (name) {
    case 'time':
      return scalarSteps(ev, (t) => t / 1000);
    case 'pi':
      return ev.scalarConst(Math.PI);
    case 'start':
      return ev.scalarConst(ev.ctx.queryStart / 1000);
    case 'end':
      return ev.scalarConst(ev.ctx.queryEnd / 1000);
    case 'step':
      return ev.scalarConst(ev.ctx.queryStep / 1000);
    case 'range':
      return ev.scalarConst((ev.ctx.queryEnd - ev.ctx.queryStart) / 1000);
    case 'min_of':
    case 'max_of': {
      const a = ev.evalScalar(e.args[0]);
      const b = ev.evalScalar(e.args[1]);
      return scalarSteps(ev, (_t, k) => (name === 'min_of' ? Math.min(a[k], b[k]) : Math.max(a[k], b[k])));
    }
    case 'scalar': {
      const v = ev.evalVector(e.args[0]);
      const out = new Array<number>(ev.numSteps).fill(NaN);
      ev.stepLoop([v], ([vec], k) => {
        // Histograms do not count: the one float among them, if any, is the scalar.
        let f = NaN;
        let floats = 0;
        for (const s of vec) {
          if (s.h !== undefined) continue;
          floats++;
          f = s.f;
        }
        out[k] = floats === 1 ? f : NaN;
        return [];
      });
      return scalarSteps(ev, (_t, k) => out[k]);
    }
    case 'vector': {
      const s = ev.evalScalar(e.args[0]);
      return vec(ev, [], (_v, k) => [{ metric: Labels.EMPTY, f: s[k], dropName: false }]);
    }
    case 'timestamp': {
      const arg = unwrapParens(e.args[0]);
      if (arg.type === 'VectorSelector') {
        return { kind: 'vector', series: ev.vectorSelector(arg, true).map((s) => ({ ...s, dropName: true })) };
      }
      return vec(ev, [ev.evalVector(arg)], ([v], _k, t) =>
        v.map((s) => ({ metric: s.metric, f: t / 1000, dropName: true })),
      );
    }
    case 'absent': {
      const input = ev.evalVector(e.args[0]);
      const labels = absentLabels(e.args[0]);
      return vec(ev, [input], ([v]) => (v.length === 0 ? [{ metric: labels, f: 1, dropName: false }] : []));
    }
    case 'histogram_quantile': {
      const q = ev.evalScalar(e.args[0]);
      const input = ev.evalVector(e.args[1]);
      return vec(ev, [input], ([v], k) => {
        const { classic, native } = splitNative(ev, e, 1, v);
        const out = histogramQuantile(ev, e, q[k], classic);
        for (const s of native) out.push({ metric: s.metric, f: quantileOf(ev, e.args[1], q[k], s), dropName: true });
        return out;
      });
    }
    case 'label_replace':
      return labelReplace(ev, e);
    case 'label_join':
      return labelJoin(ev, e);
    case 'sort':
    case 'sort_desc': {
      const input = ev.evalVector(e.args[0]);
      const desc = name === 'sort_desc';
      // Histogram samples have no order: they are left out.
      return vec(ev, [input], ([v]) => v.filter((s) => s.h === undefined).sort((a, b) => sortCompare(a.f, b.f, desc)));
    }
    case 'sort_by_label':
    case 'sort_by_label_desc':
      return sortByLabel(ev, e, name === 'sort_by_label_desc');
    case 'histogram_fraction': {
      const lo = ev.evalScalar(e.args[0]);
      const hi = ev.evalScalar(e.args[1]);
      const input = ev.evalVector(e.args[2]);
      return vec(ev, [input], ([v], k) => {
        const { classic, native } = splitNative(ev, e, 2, v);
        const out = histogramFraction(ev, e, lo[k], hi[k], classic);
        for (const s of native) {
          if (Number.isNaN(s.h!.sum)) {
            ev.ctx.annotations.info(
              `input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${JSON.stringify(s.metric.get('__name__'))}`,
              e.args[2].positionRange,
            );
          }
          out.push({ metric: s.metric, f: nativeFraction(lo[k], hi[k], s.h!), dropName: true });
        }
        return out;
      });
    }
    case 'histogram_quantiles': {
      const input = ev.evalVector(e.args[0]);
      const label = ev.eval(e.args[1]);
      if (label.kind !== 'string') throw executionError('histogram_quantiles needs a label name');
      const qs = e.args.slice(2).map((a) => ev.evalScalar(a));
      return vec(ev, [input], ([v], k) => {
        const { classic, native } = splitNative(ev, e, 0, v);
        const out = histogramQuantiles(ev, e, label.value, qs.map((q) => q[k]), classic);
        for (const s of native) {
          for (const q of qs) {
            out.push({ metric: s.metric.with(label.value, formatOpenMetricsFloat(q[k])), f: quantileOf(ev, e.args[0], q[k], s), dropName: true });
          }
        }
        return out;
      });
    }
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_avg':
    case 'histogram_stddev':
    case 'histogram_stdvar': {
      // Defined on native histograms only: float samples give no output.
      const input = ev.evalVector(e.args[0]);
      const stat = HISTOGRAM_STATS[name];
      return { kind: 'vector', series: ev.mapPoints(input, true, () => null, (h) => stat(h)) };
    }
    case 'info':
      return evalInfo(ev, e);
    case 'start_timestamp':
      throw unsupported(`function ${name}`);
    default:
      break;
  }
  const impl = INSTANT_FUNCTIONS[name];
  if (impl === undefined) throw unsupported(`function ${name}`);
  const vecArg = e.args.length > 0 ? ev.evalVector(e.args[0]) : null;
  const scalars = e.args.slice(1).map((a) => ev.evalScalar(a));
  if (vecArg === null) {
    // Date functions default to vector(time()).
    return vec(ev, [], (_v, _k, t) => {
      const f = impl(t / 1000, []);
      return f === null ? [] : [{ metric: Labels.EMPTY, f, dropName: true }];
    });
  }
  // Each output series is its input series: map the points, no per-step vectors.
  const args: number[] = [];
  return {
    kind: 'vector',
    series: ev.mapPoints(vecArg, true, (f, k) => {
      for (let i = 0; i < scalars.length; i++) args[i] = scalars[i][k];
      if (name === 'clamp' && args[1] < args[0]) return null;
      return impl(f, args);
    }),
  };
}

/** A native histogram's quantile, with Prometheus's info when NaN observations affect it. */
function quantileOf(ev: Evaluator, arg: Expr, q: number, s: StepSample): number {
  const [v, effect] = nativeQuantile(q, s.h!);
  if (effect !== null) {
    ev.ctx.annotations.info(
      `input to histogram_quantile has NaN observations, result is ${effect === 'nan' ? 'NaN' : 'skewed higher'} for metric name ${JSON.stringify(s.metric.get('__name__'))}`,
      arg.positionRange,
    );
  }
  return v;
}

const HISTOGRAM_STATS: Readonly<Record<string, (h: FloatHistogram) => number>> = {
  histogram_count: (h) => h.count,
  histogram_sum: (h) => h.sum,
  histogram_avg: (h) => h.sum / h.count,
  histogram_stddev: (h) => Math.sqrt(nativeVariance(h)),
  histogram_stdvar: nativeVariance,
};

/**
 * Native histogram samples apart from classic bucket samples. A native histogram with the
 * labels of a classic one (without `le`) makes both ambiguous: both are dropped, with a
 * warning, as Prometheus does.
 */
function splitNative(ev: Evaluator, e: Call, argIdx: number, v: StepSample[]): { classic: StepSample[]; native: StepSample[] } {
  let native: StepSample[] | undefined;
  for (const s of v) if (s.h !== undefined) (native ??= []).push(s);
  if (native === undefined) return { classic: v, native: [] };
  const nativeKeys = new Set(native.map((s) => s.metric.key));
  const conflicts = new Set<string>();
  const classic: StepSample[] = [];
  for (const s of v) {
    if (s.h !== undefined) continue;
    const key = s.metric.without('le').key;
    if (nativeKeys.has(key)) {
      if (!conflicts.has(key)) {
        conflicts.add(key);
        ev.ctx.annotations.warn(
          `vector contains a mix of classic and native histograms for metric name ${JSON.stringify(s.metric.get('__name__'))}`,
          e.args[argIdx].positionRange,
        );
      }
      continue;
    }
    classic.push(s);
  }
  return { classic, native: conflicts.size === 0 ? native : native.filter((s) => !conflicts.has(s.metric.key)) };
}

/** Ascending with NaN last (sort), or descending with NaN last (sort_desc). */
function sortCompare(a: number, b: number, desc: boolean): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return desc ? b - a || 0 : a - b || 0;
}

function vec(
  ev: Evaluator,
  inputs: ESeries[][],
  fn: (vectors: StepSample[][], k: number, t: number) => StepSample[],
): EValue {
  return { kind: 'vector', series: ev.stepLoop(inputs, fn) };
}

function scalarSteps(ev: Evaluator, f: (t: number, k: number) => number): EValue {
  const ts: number[] = [];
  const vs: number[] = [];
  for (let k = 0; k < ev.numSteps; k++) {
    const t = ev.stepTime(k);
    ts.push(t);
    vs.push(f(t, k));
  }
  return { kind: 'scalar', series: [{ metric: Labels.EMPTY, ts, vs, dropName: false }] };
}

/** Labels absent() and absent_over_time() give their output: the selector's equality matchers. */
export function absentLabels(arg: Expr): Labels {
  const a = unwrapParens(arg);
  let vs: VectorSelector | null = null;
  if (a.type === 'VectorSelector') vs = a;
  else if (a.type === 'MatrixSelector') vs = a.vectorSelector;
  if (vs === null) return Labels.EMPTY;
  const m = new Map<string, string>();
  const seen = new Set<string>();
  for (const ma of vs.matchers) {
    if (ma.name === '__name__') continue;
    if (ma.type === '=' && !seen.has(ma.name)) m.set(ma.name, ma.value);
    else m.delete(ma.name);
    seen.add(ma.name);
  }
  return Labels.from(m);
}

function evalRangeCall(ev: Evaluator, e: Call, idx: number): EValue {
  const name = e.func.name;
  const arg = unwrapParens(e.args[idx]);
  if (arg.type !== 'MatrixSelector' && arg.type !== 'SubqueryExpr') {
    throw executionError(`expected range vector as argument ${idx + 1} of ${name}`);
  }
  const scalarArgs = e.args.map((a, i) => (i === idx ? null : ev.evalScalar(a)));
  const otherArgs = scalarArgs.filter((a): a is number[] => a !== null);
  const src = ev.matrixSource(arg as MatrixSelector | SubqueryExpr);
  const isAbsent = name === 'absent_over_time';
  const fn = RANGE_FUNCTIONS[name];
  if (fn === undefined && !isAbsent) throw unsupported(`function ${name}`);
  const keepName = KEEPS_NAME.has(name);
  const extended = src.anchored || src.smoothed;
  if (extended) checkExtendedModifier(name, src.anchored, src.smoothed);
  const before = extended ? ev.ctx.lookbackMs : 0;
  const after = src.smoothed ? ev.ctx.lookbackMs : 0;
  const n = ev.numSteps;
  const present = isAbsent ? new Uint8Array(n) : null;
  const out: ESeries[] = [];
  const env: RangeEnv = { t: 0, rangeStart: 0, rangeEnd: 0, rangeMs: src.range, args: [] };
  const w: RangeWindow = { ts: [], vs: [], hs: undefined, lo: 0, hi: 0, resets: undefined };
  // rate and increase skip the reset scan of windows without resets (same sums, same order).
  const countResets = (name === 'rate' || name === 'increase') && !extended;
  let total = 0;
  // Prometheus holds one window at a time besides the output: count the widest one.
  let widest = 0;
  if (name === 'rate' || name === 'increase') checkCounterNames(ev, e, src.series.map((s) => s.metric));
  if (name === 'quantile_over_time' && src.series.length > 0) {
    for (const q of scalarArgs[0]!) {
      if (!(q >= 0 && q <= 1)) {
        ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${formatGo(q)}`, e.args[0].positionRange);
        break;
      }
    }
  }
  let seen = 0;
  for (const s of src.series) {
    if ((++seen & 63) === 0) ev.ctx.checkAbort('expression evaluation');
    let lo = 0;
    let hi = 0;
    const ts: number[] = [];
    const vs: number[] = [];
    let hs: (FloatHistogram | undefined)[] | undefined;
    w.ts = s.ts;
    w.vs = s.vs;
    w.hs = s.hs;
    w.resets = countResets ? counterResets(s.vs, s.n) : undefined;
    const henv: HistEnv | undefined =
      s.hs === undefined ? undefined : { annotations: ev.ctx.annotations, pos: e.args[idx].positionRange, metric: s.metric };
    for (let k = 0; k < n; k++) {
      const t = ev.stepTime(k);
      const ref = (src.at ?? t) - src.offset;
      while (hi < s.n && s.ts[hi] <= ref + after) hi++;
      while (lo < hi && s.ts[lo] <= ref - src.range - before) lo++;
      if (lo >= hi) continue;
      if (hi - lo > widest) widest = hi - lo;
      if (present !== null) {
        present[k] = 1;
        continue;
      }
      w.lo = lo;
      w.hi = hi;
      env.t = t;
      env.rangeStart = ref - src.range;
      env.rangeEnd = ref;
      for (let i = 0; i < otherArgs.length; i++) env.args[i] = otherArgs[i][k];
      let v: number | null;
      if (henv !== undefined && windowHasHistogram(w)) {
        let r: number | FloatHistogram | null;
        if (!extended) r = histogramRangeFn(name, fn, w, env, henv);
        else if (name === 'rate' || name === 'increase' || name === 'delta') {
          r = histogramExtendedRate(w, env.rangeStart, env.rangeEnd, src.range, src.smoothed, name !== 'delta', name === 'rate', henv);
        } else {
          const aw = anchoredPoints(w, env.rangeStart, env.rangeEnd);
          r = aw === null ? null : histogramRangeFn(name, fn, aw, env, henv);
        }
        if (r === null) continue;
        if (typeof r !== 'number') {
          if (hs === undefined) hs = new Array<FloatHistogram | undefined>(ts.length).fill(undefined);
          hs.push(r);
          ts.push(t);
          vs.push(0);
          continue;
        }
        v = r;
      } else if (!extended) v = fn!(w, env);
      else if (name === 'rate' || name === 'increase' || name === 'delta') {
        v = extendedRate(w, env.rangeStart, env.rangeEnd, src.range, src.smoothed, name !== 'delta', name === 'rate');
      } else {
        const aw = anchoredPoints(w, env.rangeStart, env.rangeEnd);
        v = aw === null ? null : fn!(aw, env);
      }
      if (v === null) continue;
      ts.push(t);
      vs.push(v);
      if (hs !== undefined) hs.push(undefined);
    }
    if (ts.length > 0) {
      total += ts.length;
      const es: ESeries = { metric: s.metric, ts, vs, dropName: keepName ? s.dropName : true };
      if (hs !== undefined) es.hs = hs;
      out.push(es);
    }
  }
  ev.countSamples(total + widest);
  if (present !== null) {
    const labels = arg.type === 'MatrixSelector' ? absentLabels(arg) : Labels.EMPTY;
    const ts: number[] = [];
    const vs: number[] = [];
    for (let k = 0; k < n; k++) {
      if (present[k]) continue;
      ts.push(ev.stepTime(k));
      vs.push(1);
    }
    return { kind: 'vector', series: ts.length > 0 ? [{ metric: labels, ts, vs, dropName: false }] : [] };
  }
  return { kind: 'vector', series: out };
}

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

function checkCounterNames(ev: Evaluator, e: Call, metrics: Labels[]): void {
  for (const m of metrics) {
    const name = m.get('__name__');
    if (!COUNTER_SUFFIXES.some((s) => name.endsWith(s))) {
      ev.ctx.annotations.info(
        `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`,
        e.args[0].positionRange,
      );
    }
  }
}
