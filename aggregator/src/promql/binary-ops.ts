/**
 * Binary operators: scalar/scalar, vector/scalar and vector/vector with label matching
 * (on/ignoring, group_left/group_right), `bool`, and the set operators and/or/unless.
 * Errors are raised where Prometheus raises them, with its messages.
 */
import { Labels } from '@edgeprom/shared';
import type { BinaryExpr, BinaryOp, VectorMatching } from './parser/index.js';
import { executionError, unsupported } from './errors.js';
import { goQuote } from './parser/go-text.js';
import { memoLabels, memoLabels2 } from './labels-util.js';
import type { Annotations, ESeries, EValue, StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';
import { HistogramError, type FloatHistogram } from '../storage/index.js';
import { trimHistogram } from './histogram-native.js';

const TRIM = new Set<BinaryOp>(['</', '>/']);

/** Where an operator's annotations go, and the position they name. */
interface BinCtx {
  annotations: Annotations;
  pos: { start: number };
}

/** The outcome of an operator on a pair where at least one side is a native histogram. */
interface HistResult {
  f: number;
  h: FloatHistogram | undefined;
  keep: boolean;
}

/**
 * Prometheus's vectorElemBinop for pairs involving a histogram: histogram × float and
 * histogram / float scale it, histogram ± histogram add up, == and != compare histograms
 * exactly; anything else yields nothing and an info annotation. Returns null when the
 * pair gives no output at all (even with `bool`).
 */
export function histogramBinop(
  op: BinaryOp,
  lf: number,
  lh: FloatHistogram | undefined,
  rf: number,
  rh: FloatHistogram | undefined,
  ctx: BinCtx,
  metricName = '',
): HistResult | null {
  const incompatible = (): null => {
    ctx.annotations.info(
      `incompatible sample types encountered for binary operator ${JSON.stringify(op)}: ${lh ? 'histogram' : 'float'} ${op} ${rh ? 'histogram' : 'float'}`,
      ctx.pos,
    );
    return null;
  };
  if (lh === undefined && rh !== undefined) {
    if (op === '*') return { f: 0, h: rh.copy().mul(lf).compact(), keep: true };
    return incompatible();
  }
  if (lh !== undefined && rh === undefined) {
    if (TRIM.has(op)) return { f: 0, h: trimHistogram(lh, rf, op === '</'), keep: true };
    if (op === '*') return { f: 0, h: lh.copy().mul(rf).compact(), keep: true };
    if (op === '/') return { f: 0, h: lh.copy().div(rf).compact(), keep: true };
    return incompatible();
  }
  if (lh !== undefined && rh !== undefined) {
    switch (op) {
      case '+':
      case '-': {
        const r = lh.copy();
        let reconciled: boolean;
        try {
          reconciled = r.addScaled(rh, op === '+' ? 1 : -1);
        } catch (e) {
          if (e instanceof HistogramError) {
            ctx.annotations.warn(
              `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(metricName)}`,
              ctx.pos,
            );
            return null;
          }
          throw e;
        }
        if (reconciled) {
          ctx.annotations.info(`mismatched custom buckets were reconciled during ${op === '+' ? 'addition' : 'subtraction'}`, ctx.pos);
        }
        return { f: 0, h: r.compact(), keep: true };
      }
      case '==':
        return { f: 0, h: lh, keep: lh.equals(rh) };
      case '!=':
        return { f: 0, h: lh, keep: !lh.equals(rh) };
      default:
        return incompatible();
    }
  }
  return null;
}

const COMPARISON = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);

export function isComparison(op: BinaryOp): boolean {
  return COMPARISON.has(op);
}

/** Go's math.Pow, which differs from Math.pow on a few special cases. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if ((x === -1) && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** The arithmetic result, or for comparisons whether the pair is kept (value = lhs). */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw unsupported(`operator ${op} on floats`);
  }
}

export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      return false;
  }
}

export function evalBinary(ev: Evaluator, e: BinaryExpr): EValue {
  const lhs = ev.eval(e.lhs);
  const rhs = ev.eval(e.rhs);
  const op = e.op;
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const l = lhs.series[0];
    const r = rhs.series[0].vs;
    const vs = l.vs.map((x, k) => (COMPARISON.has(op) ? (compare(op, x, r[k]) ? 1 : 0) : arith(op, x, r[k])));
    return { kind: 'scalar', series: [{ metric: Labels.EMPTY, ts: l.ts, vs, dropName: false }] };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const matching = e.vectorMatching ?? defaultMatching(op);
    const sig = memoLabels((m) => signature(m, matching));
    if (SET_OPS.has(op)) {
      return { kind: 'vector', series: ev.stepLoop([lhs.series, rhs.series], ([l, r]) => setOp(op, l, r, sig)) };
    }
    const binop = new Binop(
      op,
      matching,
      e.returnBool,
      memoLabels2((l, r) => resultMetric(l, r, matching)),
      lhs.series,
      rhs.series,
      ctxOf(ev, e),
    );
    return { kind: 'vector', series: ev.stepLoop([lhs.series, rhs.series], ([l, r]) => binop.step(l, r)) };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
    return { kind: 'vector', series: vectorScalar(ev, op, lhs.series, rhs.series[0].vs, false, e.returnBool, ctxOf(ev, e)) };
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
    return { kind: 'vector', series: vectorScalar(ev, op, rhs.series, lhs.series[0].vs, true, e.returnBool, ctxOf(ev, e)) };
  }
  throw executionError(`binary operator ${op} on ${lhs.kind} and ${rhs.kind}`);
}

/** Trim operators apply to histograms only: float pairs give nothing, with an info. */
function trimFloats(ctx: BinCtx, op: BinaryOp): null {
  ctx.annotations.info(`incompatible sample types encountered for binary operator ${JSON.stringify(op)}: float ${op} float`, ctx.pos);
  return null;
}

function ctxOf(ev: Evaluator, e: BinaryExpr): BinCtx {
  return { annotations: ev.ctx.annotations, pos: e.positionRange };
}

function defaultMatching(op: BinaryOp): VectorMatching {
  return {
    card: SET_OPS.has(op) ? 'many-to-many' : 'one-to-one',
    matchingLabels: [],
    on: false,
    include: [],
    fillValues: { lhs: null, rhs: null },
  };
}

/** Each output series is an input series: map the points directly. */
function vectorScalar(
  ev: Evaluator,
  op: BinaryOp,
  vec: ESeries[],
  scalar: number[],
  swap: boolean,
  returnBool: boolean,
  ctx: BinCtx,
): ESeries[] {
  const cmp = COMPARISON.has(op);
  const trim = TRIM.has(op);
  return ev.mapPoints(
    vec,
    (!cmp && !trim) || returnBool,
    (f, k) => {
      const l = swap ? scalar[k] : f;
      const r = swap ? f : scalar[k];
      if (trim) return trimFloats(ctx, op);
      if (!cmp) return arith(op, l, r);
      const keep = compare(op, l, r);
      if (returnBool) return keep ? 1 : 0;
      return keep ? f : null;
    },
    (h, k) => {
      const res = swap ? histogramBinop(op, scalar[k], undefined, 0, h, ctx) : histogramBinop(op, 0, h, scalar[k], undefined, ctx);
      if (res === null) return null;
      if (returnBool) return res.keep ? 1 : 0;
      if (!res.keep) return null;
      return cmp ? h : (res.h ?? res.f);
    },
  );
}

/** The labels two sides are matched on. */
export function signature(metric: Labels, matching: VectorMatching): string {
  if (matching.on) return metric.keep(...matching.matchingLabels).key;
  return metric.without('__name__', ...matching.matchingLabels).key;
}

function matchLabels(metric: Labels, matching: VectorMatching): Labels {
  return matching.on ? metric.keep(...matching.matchingLabels) : metric.without('__name__', ...matching.matchingLabels);
}

type SigFn = (m: Labels) => string;

function setOp(op: BinaryOp, lhs: StepSample[], rhs: StepSample[], sig: SigFn): StepSample[] {
  switch (op) {
    case 'and': {
      if (lhs.length === 0 || rhs.length === 0) return [];
      const right = new Set(rhs.map((s) => sig(s.metric)));
      return lhs.filter((s) => right.has(sig(s.metric)));
    }
    case 'or': {
      const left = new Set(lhs.map((s) => sig(s.metric)));
      return [...lhs, ...rhs.filter((s) => !left.has(sig(s.metric)))];
    }
    default: {
      const right = new Set(rhs.map((s) => sig(s.metric)));
      return lhs.filter((s) => !right.has(sig(s.metric)));
    }
  }
}

/**
 * Per-node state of a vector/vector operator, kept across steps: match signatures are
 * interned as small integers, and per-step tables are arrays stamped with the step number
 * instead of fresh maps.
 */
class Binop {
  readonly ids = new Map<string, number>();
  readonly idOf: (m: Labels) => number;
  /** Result labels and output slot per (left series, right series) pair. */
  private readonly pairs = new Map<number, { metric: Labels; o: number }>();
  /** Signature ids by input series index, for samples that carry one. */
  private readonly lhsIds: Int32Array;
  private readonly width: number;
  private readonly rhsIds: Int32Array;
  right: (StepSample | undefined)[] = [];
  rightStamp = new Int32Array(16);
  matchedStamp = new Int32Array(16);
  /** Signatures seen on the left at this step (for fill_left). */
  leftStamp = new Int32Array(16);
  stamp = 0;

  constructor(
    readonly op: BinaryOp,
    readonly matching: VectorMatching,
    readonly returnBool: boolean,
    readonly resultOf: (l: Labels, r: Labels) => Labels,
    lhsSeries: readonly { metric: Labels }[],
    rhsSeries: readonly { metric: Labels }[],
    readonly ctx: BinCtx,
  ) {
    this.idOf = memoLabels((m) => {
      const sig = signature(m, matching);
      let id = this.ids.get(sig);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(sig, id);
      }
      return id;
    });
    this.width = Math.max(lhsSeries.length, rhsSeries.length);
    this.lhsIds = Int32Array.from(lhsSeries, (s) => this.idOf(s.metric));
    this.rhsIds = Int32Array.from(rhsSeries, (s) => this.idOf(s.metric));
    this.grow();
  }

  private sideId(s: StepSample, left: boolean): number {
    if (s.i === undefined) {
      const id = this.idOf(s.metric);
      this.grow();
      return id;
    }
    return left ? this.lhsIds[s.i] : this.rhsIds[s.i];
  }

  /** Sizes the stamp tables for every signature seen so far. */
  private grow(): void {
    const n = this.ids.size;
    if (n <= this.rightStamp.length) return;
    const size = Math.max(n, this.rightStamp.length * 2);
    const rs = new Int32Array(size);
    rs.set(this.rightStamp);
    this.rightStamp = rs;
    const ms = new Int32Array(size);
    ms.set(this.matchedStamp);
    this.matchedStamp = ms;
    const ls = new Int32Array(size);
    ls.set(this.leftStamp);
    this.leftStamp = ls;
  }

  step(lhsIn: StepSample[], rhsIn: StepSample[]): StepSample[] {
    const { matching, op, returnBool } = this;
    if (matching.card === 'many-to-many') throw executionError('many-to-many only allowed for set operators');
    const fillL = matching.fillValues.lhs;
    const fillR = matching.fillValues.rhs;
    if (lhsIn.length === 0 && rhsIn.length === 0) return [];
    if ((lhsIn.length === 0 && fillL === null) || (rhsIn.length === 0 && fillR === null)) return [];
    const stamp = ++this.stamp;
    const oneToMany = matching.card === 'one-to-many';
    const lhs = oneToMany ? rhsIn : lhsIn;
    const rhs = oneToMany ? lhsIn : rhsIn;
    for (const rs of rhs) {
      const id = this.sideId(rs, oneToMany);
      if (this.rightStamp[id] === stamp) {
        const dup = this.right[id]!;
        const side = oneToMany ? 'left' : 'right';
        const [a, b] = Labels.compare(rs.metric, dup.metric) <= 0 ? [rs.metric, dup.metric] : [dup.metric, rs.metric];
        throw executionError(
          `found duplicate series for the match group ${formatLabels(matchLabels(rs.metric, matching))} on the ${side} hand-side of the operation: [${formatLabels(a)}, ${formatLabels(b)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      this.rightStamp[id] = stamp;
      this.right[id] = rs;
    }
    const cmp = COMPARISON.has(op);
    const oneToOne = matching.card === 'one-to-one';
    let inserted: Map<number, Set<string>> | undefined;
    const out: StepSample[] = [];
    for (const ls of lhs) {
      const id = this.sideId(ls, !oneToMany);
      this.leftStamp[id] = stamp;
      if (this.rightStamp[id] !== stamp) {
        if (fillR !== null) this.filled(out, ls, fillR, false, oneToMany);
        continue;
      }
      const rs = this.right[id]!;
      const l = oneToMany ? rs.f : ls.f;
      const r = oneToMany ? ls.f : rs.f;
      let value: number;
      let hist: FloatHistogram | undefined;
      let keep = true;
      if (ls.h !== undefined || rs.h !== undefined) {
        const res = oneToMany
          ? histogramBinop(op, rs.f, rs.h, ls.f, ls.h, this.ctx, rs.metric.get('__name__'))
          : histogramBinop(op, ls.f, ls.h, rs.f, rs.h, this.ctx, ls.metric.get('__name__'));
        if (res === null) continue;
        value = res.f;
        hist = res.h;
        keep = res.keep;
      } else if (cmp) {
        keep = compare(op, l, r);
        value = l;
      } else if (TRIM.has(op)) {
        trimFloats(this.ctx, op);
        continue;
      } else {
        value = arith(op, l, r);
      }
      // Matching errors are raised whether or not a comparison filters the pair out.
      let metric: Labels;
      let slot: number | undefined;
      if (ls.i !== undefined && rs.i !== undefined) {
        const key = ls.i * this.width + rs.i;
        let p = this.pairs.get(key);
        if (p === undefined) {
          p = { metric: this.resultOf(ls.metric, rs.metric), o: this.pairs.size };
          this.pairs.set(key, p);
        }
        metric = p.metric;
        slot = p.o;
      } else {
        metric = this.resultOf(ls.metric, rs.metric);
      }
      if (oneToOne) {
        if (this.matchedStamp[id] === stamp) {
          throw executionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        this.matchedStamp[id] = stamp;
      } else {
        inserted ??= new Map();
        let set = inserted.get(id);
        if (set === undefined) {
          set = new Set();
          inserted.set(id, set);
        } else if (set.has(metric.key)) {
          throw executionError('multiple matches for labels: grouping labels must ensure unique matches');
        }
        set.add(metric.key);
      }
      if (returnBool) {
        value = keep ? 1 : 0;
        hist = undefined;
      } else if (!keep) continue;
      const o: StepSample = { metric, f: value, dropName: returnBool || (!cmp && !TRIM.has(op)) || ls.dropName, o: slot };
      if (hist !== undefined) o.h = hist;
      out.push(o);
    }
    if (fillL !== null) {
      for (const rs of rhs) {
        const id = this.sideId(rs, oneToMany);
        if (this.leftStamp[id] !== stamp) this.filled(out, rs, fillL, true, oneToMany);
      }
    }
    return out;
  }

  /**
   * A sample without a partner, paired with a fill value. A right-hand sample alone yields
   * the labels of its match group.
   */
  private filled(out: StepSample[], s: StepSample, fill: number, isRight: boolean, swapped: boolean): void {
    const cmp = COMPARISON.has(this.op);
    // The sample's own side, in the query's orientation.
    const sampleIsLeft = isRight === swapped;
    const l = sampleIsLeft ? s.f : fill;
    const r = sampleIsLeft ? fill : s.f;
    let value: number;
    let keep = true;
    if (cmp) {
      keep = compare(this.op, l, r);
      value = l;
    } else {
      value = arith(this.op, l, r);
    }
    if (this.returnBool) value = keep ? 1 : 0;
    else if (!keep) return;
    const metric = isRight ? matchLabels(s.metric, this.matching) : this.resultOf(s.metric, Labels.EMPTY);
    out.push({ metric, f: value, dropName: this.returnBool || !cmp || s.dropName });
  }
}

function resultMetric(lhs: Labels, rhs: Labels, matching: VectorMatching): Labels {
  let m = lhs;
  if (matching.card === 'one-to-one') {
    m = matching.on ? m.keep(...matching.matchingLabels) : m.without(...matching.matchingLabels);
  }
  if (matching.include.length > 0) {
    for (const ln of matching.include) m = m.with(ln, rhs.get(ln));
  }
  return m;
}

/** Prometheus's labels.String(): `{__name__="x", a="b"}`. */
export function formatLabels(l: Labels): string {
  const parts: string[] = [];
  for (const [n, v] of l) parts.push(`${n}=${goQuote(v)}`);
  return `{${parts.join(', ')}}`;
}
