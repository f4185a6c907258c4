/**
 * The evaluator: walks the syntax tree and computes every node for all steps of the query
 * at once (Prometheus's approach): an instant query is a range query with one step.
 */
import { Labels } from '@edgeprom/shared';
import type { DurationExpr, DurationNode, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './parser/index.js';
import type { FloatHistogram, Queryable, SampleIterator } from '../storage/index.js';
import { CounterResetHint, HistogramError, isStaleNaN, ValueType } from '../storage/index.js';
import { interpolateHistogram } from './functions-histogram.js';
import { executionError, duplicateLabelset, tooManySamples } from './errors.js';
import { Annotations, type ESeries, type EValue, type StepSample } from './eval-types.js';
import { loadSeries, toMatchers } from './eval-selectors.js';
import { dropNames } from './name-removal.js';
import { anchoredPoints, smoothedPoints } from './functions-extended.js';
import { evalBinary } from './binary-ops.js';
import { evalAggregate } from './aggregations.js';
import { evalCall } from './functions.js';

export interface EvalContext {
  queryable: Queryable;
  lookbackMs: number;
  maxSamples: number;
  /** The query's own start, end and step: what `@ start()`, `@ end()`, step() and range() mean. */
  queryStart: number;
  queryEnd: number;
  queryStep: number;
  /** Step of subqueries written without one (`[1h:]`). */
  defaultSubqueryStepMs: number;
  annotations: Annotations;
  /** Throws when the query is canceled or past its deadline. */
  checkAbort(where: string): void;
  stats: { totalQueryableSamples: number; peakSamples: number };
  /** A range query (sort functions then warn that sorting is ineffective). */
  queryIsRange: boolean;
  /** Keep `__name__` until the end of the query instead of dropping it at each node. */
  delayedNameRemoval: boolean;
}

/** Go's integer division truncates towards zero. */
function goDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

export class Evaluator {
  readonly numSteps: number;
  constructor(
    readonly ctx: EvalContext,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.numSteps = interval > 0 ? Math.floor((end - start) / interval) + 1 : 1;
  }

  /** An evaluator over other times, sharing this query's context. */
  withRange(start: number, end: number, interval: number): Evaluator {
    return new Evaluator(this.ctx, start, end, interval);
  }

  stepTime(k: number): number {
    return this.start + k * this.interval;
  }

  eval(e: Expr): EValue {
    const v = this.evalNode(e);
    if (!this.ctx.delayedNameRemoval && v.kind === 'vector') v.series = dropNames(v.series);
    return v;
  }

  private evalNode(e: Expr): EValue {
    this.ctx.checkAbort('expression evaluation');
    switch (e.type) {
      case 'NumberLiteral':
        return this.scalarConst(e.value);
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'ParenExpr':
        return this.eval(e.expr);
      case 'UnaryExpr': {
        const v = this.eval(e.expr);
        if (e.op === '+' || v.kind === 'string') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', series: [{ ...v.series[0], vs: v.series[0].vs.map((x) => -x) }] };
        return {
          kind: v.kind,
          series: v.series.map((s) => {
            const n: ESeries = { metric: s.metric, ts: s.ts, vs: s.vs.map((x) => -x), dropName: true };
            if (s.hs !== undefined) n.hs = s.hs.map((h) => (h === undefined ? undefined : h.copy().mul(-1)));
            return n;
          }),
        };
      }
      case 'VectorSelector':
        return { kind: 'vector', series: this.vectorSelector(e, false) };
      case 'MatrixSelector':
        return { kind: 'matrix', series: this.rawRange(this.matrixSource(e)) };
      case 'SubqueryExpr':
        return { kind: 'matrix', series: this.rawRange(this.matrixSource(e)) };
      case 'BinaryExpr':
        return evalBinary(this, e);
      case 'AggregateExpr':
        return evalAggregate(this, e);
      case 'Call':
        return evalCall(this, e);
    }
  }

  scalarConst(v: number): EValue {
    const ts = new Array<number>(this.numSteps);
    const vs = new Array<number>(this.numSteps);
    for (let k = 0; k < this.numSteps; k++) {
      ts[k] = this.stepTime(k);
      vs[k] = v;
    }
    return { kind: 'scalar', series: [{ metric: Labels.EMPTY, ts, vs, dropName: false }] };
  }

  /** Evaluates an expression that must be a scalar; its value at every step. */
  evalScalar(e: Expr): number[] {
    const v = this.eval(e);
    if (v.kind !== 'scalar') throw executionError(`expected scalar, got ${v.kind}`);
    return v.series[0].vs;
  }

  evalVector(e: Expr): ESeries[] {
    const v = this.eval(e);
    if (v.kind !== 'vector') throw executionError(`expected instant vector, got ${v.kind}`);
    return v.series;
  }

  /** Milliseconds of a duration expression (`[5m * 2]`, `offset step()`). */
  duration(fixed: number, expr: DurationExpr | null): number {
    if (expr === null) return fixed;
    return Math.round(this.durationSeconds(expr) * 1000);
  }

  private durationSeconds(n: DurationNode): number {
    if (n.type === 'NumberLiteral') return n.value;
    const l = n.lhs === null ? 0 : this.durationSeconds(n.lhs);
    const r = n.rhs === null ? 0 : this.durationSeconds(n.rhs);
    switch (n.op) {
      case 'step':
        return this.ctx.queryStep / 1000;
      case 'range':
        return (this.ctx.queryEnd - this.ctx.queryStart) / 1000;
      case '+':
        return n.lhs === null ? r : l + r;
      case '-':
        return n.lhs === null ? -r : l - r;
      case '*':
        return l * r;
      case '/':
        return l / r;
      case '%':
        return l % r;
      case '^':
        return Math.pow(l, r);
      case 'min_of':
        return Math.min(l, r);
      case 'max_of':
        return Math.max(l, r);
    }
  }

  /** The `@` time of a selector or subquery, or null. */
  atTime(n: { timestamp: number | null; startOrEnd: 'start' | 'end' | null }): number | null {
    if (n.timestamp !== null) return n.timestamp;
    if (n.startOrEnd === 'start') return this.ctx.queryStart;
    if (n.startOrEnd === 'end') return this.ctx.queryEnd;
    return null;
  }

  countSamples(n: number): void {
    const st = this.ctx.stats;
    if (n > st.peakSamples) st.peakSamples = n;
    if (n > this.ctx.maxSamples) throw tooManySamples();
  }

  /**
   * An instant vector selector at every step: the newest sample in (ref - lookback, ref],
   * unless it is a stale marker. With `sampleTimes`, the value is the sample's timestamp in
   * seconds (what timestamp() returns for a selector). With `floatsOnly`, a native histogram
   * sample is an error naming the series (info series must be floats).
   */
  vectorSelector(vs: VectorSelector, sampleTimes: boolean, floatsOnly = false): ESeries[] {
    const offset = this.duration(vs.originalOffset, vs.originalOffsetExpr);
    const at = this.atTime(vs);
    const lookback = this.ctx.lookbackMs;
    const firstRef = (at ?? this.start) - offset;
    const lastRef = (at ?? this.end) - offset;
    // smoothed interpolates towards the next sample, up to one lookback delta ahead.
    const ahead = vs.smoothed ? lookback : 0;
    const mint = firstRef - lookback + 1;
    const maxt = lastRef + ahead;
    const matchers = toMatchers(vs.matchers);
    const q = this.ctx.queryable.querier(mint, maxt);
    const out: ESeries[] = [];
    let total = 0;
    try {
      // Streams each series' samples straight off the storage iterator: `prev` is the
      // newest sample at or before the step's reference time, `next` the one after it.
      let it: SampleIterator | undefined;
      for (const series of q.select(matchers, { start: mint, end: maxt, step: this.interval })) {
        it = series.iterator(it);
        const ts: number[] = [];
        const vals: number[] = [];
        let hs: (FloatHistogram | undefined)[] | undefined;
        let pt = -Infinity;
        let pv = 0;
        let ph: FloatHistogram | undefined;
        // A histogram sample seen again at a later step (lookback, subqueries) is no new reset.
        let emittedT = NaN;
        let repeat: FloatHistogram | undefined;
        let nvt = it.next();
        let nt = nvt ? it.atT() : Infinity;
        for (let k = 0; k < this.numSteps; k++) {
          const t = this.stepTime(k);
          const ref = (at ?? t) - offset;
          while (nt <= ref) {
            pt = nt;
            if (nvt === ValueType.FloatHistogram || nvt === ValueType.Histogram) {
              ph = it.atFloatHistogram!();
              pv = 0;
            } else {
              ph = undefined;
              pv = it.atV();
            }
            nvt = it.next();
            nt = nvt ? it.atT() : Infinity;
          }
          if (pt <= ref - lookback) continue;
          let v = pv;
          if (ph === undefined && isStaleNaN(v)) continue;
          let sh: FloatHistogram | undefined;
          if (vs.smoothed && pt < ref && nt < ref + lookback) {
            const nextIsH = nvt === ValueType.FloatHistogram || nvt === ValueType.Histogram;
            if (ph === undefined && !nextIsH) {
              const nv = it.atV();
              if (!isStaleNaN(nv)) v = v + ((nv - v) * (ref - pt)) / (nt - pt);
            } else if (ph !== undefined && nextIsH) {
              const nh = it.atFloatHistogram!();
              try {
                sh = interpolateHistogram(ph, pt, nh, nt, ref, nh.counterResetHint !== CounterResetHint.Gauge);
              } catch (e) {
                if (!(e instanceof HistogramError)) throw e;
                this.ctx.annotations.warn(
                  `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(series.labels.get('__name__'))}`,
                  vs.positionRange,
                );
                continue;
              }
            } else if (nextIsH || !isStaleNaN(it.atV())) {
              // One float, one histogram (a stale marker ahead ends the series instead).
              this.ctx.annotations.warn(
                `encountered a mix of histograms and floats for metric name ${JSON.stringify(series.labels.get('__name__'))}`,
                vs.positionRange,
              );
              continue;
            }
          }
          if (ph !== undefined && floatsOnly) {
            throw executionError(`info series ${series.labels.toString()} has a native histogram sample: info metrics must have float samples`);
          }
          if (ph !== undefined && !sampleTimes) {
            if (hs === undefined) hs = new Array<FloatHistogram | undefined>(ts.length).fill(undefined);
            let h = sh ?? ph;
            if (sh === undefined && pt === emittedT && h.counterResetHint === CounterResetHint.Reset) {
              if (repeat === undefined) {
                repeat = h.copy();
                repeat.counterResetHint = CounterResetHint.NotReset;
              }
              h = repeat;
            } else repeat = undefined;
            emittedT = pt;
            hs.push(h);
          } else if (hs !== undefined) hs.push(undefined);
          ts.push(t);
          vals.push(sampleTimes ? pt / 1000 : v);
        }
        if (ts.length > 0) {
          total += ts.length;
          const es: ESeries = { metric: series.labels, ts, vs: vals, dropName: false };
          if (hs !== undefined) es.hs = hs;
          out.push(es);
        }
      }
    } finally {
      q.close();
    }
    this.ctx.stats.totalQueryableSamples += total;
    this.countSamples(total);
    return out;
  }

  /**
   * The data behind a range: a range selector's samples (stale markers dropped) or a
   * subquery's result, with the range and offset that place its window at each step.
   */
  matrixSource(e: MatrixSelector | SubqueryExpr): MatrixSource {
    if (e.type === 'MatrixSelector') {
      const vs = e.vectorSelector;
      const range = this.duration(e.range, e.rangeExpr);
      const offset = this.duration(vs.originalOffset, vs.originalOffsetExpr);
      const at = this.atTime(vs);
      const firstRef = (at ?? this.start) - offset;
      const lastRef = (at ?? this.end) - offset;
      // anchored reaches back one lookback delta before the range, smoothed also one after.
      const before = vs.anchored || vs.smoothed ? this.ctx.lookbackMs : 0;
      const after = vs.smoothed ? this.ctx.lookbackMs : 0;
      const loaded = loadSeries(this.ctx.queryable, toMatchers(vs.matchers), firstRef - range - before + 1, lastRef + after, true, {
        range,
        step: this.interval,
      });
      for (const s of loaded) this.ctx.stats.totalQueryableSamples += s.n;
      return {
        series: loaded.map((s) => ({ metric: s.labels, ts: s.ts, vs: s.vs, hs: s.hs, n: s.n, dropName: false })),
        range,
        offset,
        at,
        selector: vs,
        anchored: vs.anchored,
        smoothed: vs.smoothed,
      };
    }
    const range = this.duration(e.range, e.rangeExpr);
    const offset = this.duration(e.originalOffset, e.originalOffsetExpr);
    const at = this.atTime(e);
    let step = this.duration(e.step, e.stepExpr);
    if (step === 0) step = this.ctx.defaultSubqueryStepMs;
    const firstRef = (at ?? this.start) - offset;
    const lastRef = (at ?? this.end) - offset;
    const from = firstRef - range;
    let subStart = step * goDiv(from, step);
    if (subStart <= from) subStart += step;
    const inner = new Evaluator(this.ctx, subStart, lastRef, step);
    const v = subStart > lastRef ? { kind: 'vector' as const, series: [] } : inner.eval(e.expr);
    if (v.kind === 'string' || v.kind === 'matrix') throw executionError('subquery of a non-instant expression');
    return {
      series: v.series.map((s) => ({ metric: s.metric, ts: s.ts, vs: s.vs, hs: s.hs, n: s.ts.length, dropName: s.dropName })),
      range,
      offset,
      at,
      selector: innerSelector(e.expr),
      anchored: false,
      smoothed: false,
    };
  }

  /** The raw points of a range at the (single) evaluation step: a matrix result. */
  private rawRange(src: MatrixSource): ESeries[] {
    const ref = (src.at ?? this.end) - src.offset;
    const out: ESeries[] = [];
    if (src.anchored || src.smoothed) {
      for (const s of src.series) {
        let lo = 0;
        while (lo < s.n && s.ts[lo] <= ref - src.range - this.ctx.lookbackMs) lo++;
        let hi = lo;
        while (hi < s.n && s.ts[hi] <= ref + (src.smoothed ? this.ctx.lookbackMs : 0)) hi++;
        const w = src.smoothed
          ? smoothedPoints({ ts: s.ts, vs: s.vs, hs: s.hs, lo, hi }, ref - src.range, ref)
          : anchoredPoints({ ts: s.ts, vs: s.vs, hs: s.hs, lo, hi }, ref - src.range, ref);
        if (w === null) continue;
        const es: ESeries = { metric: s.metric, ts: Array.from(w.ts), vs: Array.from(w.vs), dropName: s.dropName };
        if (w.hs !== undefined) es.hs = Array.from(w.hs);
        out.push(es);
      }
      return out;
    }
    for (const s of src.series) {
      const ts: number[] = [];
      const vs: number[] = [];
      const hs: (FloatHistogram | undefined)[] | undefined = s.hs === undefined ? undefined : [];
      for (let i = 0; i < s.n; i++) {
        if (s.ts[i] > ref - src.range && s.ts[i] <= ref) {
          ts.push(s.ts[i]);
          vs.push(s.vs[i]);
          if (hs !== undefined) hs.push(s.hs![i]);
        }
      }
      if (ts.length > 0) out.push(hs === undefined ? { metric: s.metric, ts, vs, dropName: s.dropName } : { metric: s.metric, ts, vs, hs, dropName: s.dropName });
    }
    return out;
  }

  /**
   * Maps every point of every series on its own (functions and operators whose output
   * series are their input series): no per-step vectors. fn gets the value and the step
   * index and returns the new value, or null to drop the point. Histogram points go to hfn
   * (a histogram, a float or null to drop it); without hfn they are dropped, as Prometheus's
   * float-only functions do.
   */
  mapPoints(
    series: ESeries[],
    dropName: boolean,
    fn: (f: number, k: number) => number | null,
    hfn?: (h: FloatHistogram, k: number) => FloatHistogram | number | null,
  ): ESeries[] {
    const out: ESeries[] = [];
    let total = 0;
    for (const s of series) {
      const ts: number[] = [];
      const vs: number[] = [];
      const shs = s.hs;
      let hs: (FloatHistogram | undefined)[] | undefined;
      for (let i = 0; i < s.ts.length; i++) {
        const k = this.interval > 0 ? Math.round((s.ts[i] - this.start) / this.interval) : 0;
        const h = shs === undefined ? undefined : shs[i];
        if (h !== undefined) {
          if (hfn === undefined) continue;
          const r = hfn(h, k);
          if (r === null) continue;
          if (typeof r === 'number') {
            if (hs !== undefined) hs.push(undefined);
            vs.push(r);
          } else {
            if (hs === undefined) hs = new Array<FloatHistogram | undefined>(ts.length).fill(undefined);
            hs.push(r);
            vs.push(0);
          }
          ts.push(s.ts[i]);
          continue;
        }
        const v = fn(s.vs[i], k);
        if (v === null) continue;
        ts.push(s.ts[i]);
        vs.push(v);
        if (hs !== undefined) hs.push(undefined);
      }
      if (ts.length > 0) {
        total += ts.length;
        const es: ESeries = { metric: s.metric, ts, vs, dropName: dropName || s.dropName };
        if (hs !== undefined) es.hs = hs;
        out.push(es);
      }
    }
    this.countSamples(total);
    return out;
  }

  /** The step of ts[0] when ts holds exactly the step times from there on without a gap, else -1. */
  private denseFirstStep(ts: readonly number[]): number {
    const n = ts.length;
    if (n === 0 || this.interval <= 0) return -1;
    const k0 = (ts[0] - this.start) / this.interval;
    if (!Number.isInteger(k0) || k0 < 0 || k0 + n > this.numSteps) return -1;
    if (ts[n - 1] !== this.stepTime(k0 + n - 1)) return -1;
    for (let c = 1; c < n - 1; c++) if (ts[c] !== this.stepTime(k0 + c)) return -1;
    return k0;
  }

  /**
   * Calls fn at every step with the instant vectors of the inputs at that step and collects
   * its outputs into series. Two outputs with the same labels at one step are an error.
   */
  stepLoop(inputs: ESeries[][], fn: (vectors: StepSample[][], k: number, t: number) => StepSample[]): ESeries[] {
    const cursors = inputs.map((m) => new Int32Array(m.length));
    // One sample object per input series, updated in place each step: fn's outputs are
    // consumed before the next step, so nothing may keep them.
    // `h` is present from the start so that every cell keeps one shape (fast property loads).
    const cells = inputs.map((m) => m.map((s, i): StepSample => ({ metric: s.metric, f: 0, h: undefined, dropName: s.dropName, i })));
    const byKey = new Map<string, ESeries>();
    const byObject = new WeakMap<Labels, ESeries>();
    const bySlot: (ESeries | undefined)[] = [];
    const vectors: StepSample[][] = inputs.map(() => []);
    // A series with a point at every step from its first to its last (the usual case) is
    // "dense": whether it has a point at step k, and which, follows from its first step
    // alone, so the step loop reads only its value instead of chasing its timestamps.
    // firstStep is -1 for the others, which go by cursor.
    const firstStep = inputs.map((m) => {
      const out = new Int32Array(m.length);
      for (let j = 0; j < m.length; j++) out[j] = this.denseFirstStep(m[j].ts);
      return out;
    });
    const lastStep = inputs.map((m, i) => {
      const out = new Int32Array(m.length);
      for (let j = 0; j < m.length; j++) out[j] = firstStep[i][j] + m[j].ts.length - 1;
      return out;
    });
    // The value arrays side by side, so a step reads no series object.
    const values = inputs.map((m) => m.map((s) => s.vs));
    const hists = inputs.map((m) => m.map((s) => s.hs));
    let total = 0;
    for (let k = 0; k < this.numSteps; k++) {
      const t = this.stepTime(k);
      for (let i = 0; i < inputs.length; i++) {
        const m = inputs[i];
        const cur = cursors[i];
        const vec = vectors[i];
        const cell = cells[i];
        const first = firstStep[i];
        const last = lastStep[i];
        const vals = values[i];
        const hvals = hists[i];
        // Filled by index and cut to length afterwards: `length = 0` would drop the backing
        // store and make every step grow it again.
        let len = 0;
        for (let j = 0; j < m.length; j++) {
          const f0 = first[j];
          let c: number;
          if (f0 >= 0) {
            if (k < f0 || k > last[j]) continue;
            c = k - f0;
          } else {
            c = cur[j];
            const sts = m[j].ts;
            if (c >= sts.length || sts[c] !== t) continue;
            cur[j] = c + 1;
          }
          const x = cell[j];
          x.f = vals[j][c];
          // A series without histograms leaves its cell's h undefined from the start.
          const hs = hvals[j];
          if (hs !== undefined) x.h = hs[c];
          vec[len++] = x;
        }
        if (vec.length !== len) vec.length = len;
      }
      const out = fn(vectors, k, t);
      for (const o of out) {
        // Outputs usually reuse the same Labels objects step after step: look up by slot
        // hint or identity before falling back to the label key.
        let s = o.o !== undefined ? bySlot[o.o] : byObject.get(o.metric);
        if (s === undefined) {
          const key = o.metric.key;
          s = byKey.get(key);
          if (s === undefined) {
            s = { metric: o.metric, ts: [], vs: [], dropName: o.dropName };
            byKey.set(key, s);
          }
          if (o.o !== undefined) bySlot[o.o] = s;
          else byObject.set(o.metric, s);
        }
        if (s.ts.length > 0 && s.ts[s.ts.length - 1] === t) throw duplicateLabelset();
        if (o.h !== undefined) {
          if (s.hs === undefined) s.hs = new Array<FloatHistogram | undefined>(s.ts.length).fill(undefined);
          s.hs.push(o.h);
        } else if (s.hs !== undefined) s.hs.push(undefined);
        s.ts.push(t);
        s.vs.push(o.f);
        total++;
      }
      if ((k & 63) === 63) this.ctx.checkAbort('expression evaluation');
    }
    this.countSamples(total);
    return [...byKey.values()];
  }
}

export interface SourceSeries {
  metric: Labels;
  ts: ArrayLike<number>;
  vs: ArrayLike<number>;
  hs?: ArrayLike<FloatHistogram | undefined>;
  n: number;
  dropName: boolean;
}

export interface MatrixSource {
  series: SourceSeries[];
  range: number;
  offset: number;
  at: number | null;
  /** The selector whose matchers name the series (for absent_over_time), if any. */
  selector: VectorSelector | null;
  /** Extended range selector modifiers (the window then reaches beyond the range). */
  anchored: boolean;
  smoothed: boolean;
}

function innerSelector(e: Expr): VectorSelector | null {
  return e.type === 'VectorSelector' ? e : null;
}
