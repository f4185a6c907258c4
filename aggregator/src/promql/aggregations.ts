/**
 * Aggregation operators, with Prometheus's float algorithms: Kahan-compensated sums,
 * the direct-then-incremental mean of avg, Welford's variance, the topk/bottomk heaps.
 */
import { Labels } from '@edgeprom/shared';
import type { AggregateExpr } from './parser/index.js';
import { executionError } from './errors.js';
import type { EValue, StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';
import { byValueAsc, formatFloatPlain, kahanSumInc, quantile } from './kahan.js';
import { isValidLabelName, memoLabels } from './labels-util.js';
import { goQuote } from './parser/go-text.js';
import type { FloatHistogram } from '../storage/index.js';
import { hasHistograms, histogramGoString, HistogramSum } from './histogram-util.js';

/** Aggregations that ignore native histograms (with an info annotation). */
const FLOAT_ONLY = new Set(['min', 'max', 'stddev', 'stdvar', 'quantile', 'topk', 'bottomk']);

interface Group {
  slot: number;
  labels: Labels;
  value: number;
  mean: number;
  c: number;
  count: number;
  incremental: boolean;
  values: number[];
  heap: StepSample[];
  first: StepSample | undefined;
  /** stddev/stdvar saw NaN or ±Inf. */
  nonFinite: boolean;
  dropName: boolean;
  /** sum/avg of native histograms; how many histograms and floats went in. */
  h: HistogramSum | undefined;
  nHist: number;
  nFloat: number;
  /** count_values of histograms: their Go strings. */
  hvalues: string[];
}

/** One output group of an aggregation, shared by every input series that falls into it. */
interface Slot {
  labels: Labels;
  /** Output slot hint for stepLoop. */
  o: number;
  group: Group | undefined;
  stamp: number;
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr): EValue {
  const op = e.op;
  let param: number[] | undefined;
  let label = '';
  if (e.param !== null) {
    if (op === 'count_values') {
      const p = ev.eval(e.param);
      if (p.kind !== 'string') throw executionError('count_values needs a string parameter');
      label = p.value;
      if (!isValidLabelName(label)) throw executionError(`invalid label name ${goQuote(label)}`);
    } else {
      param = ev.evalScalar(e.param);
    }
  }
  const input = ev.evalVector(e.expr);
  if (op === 'quantile' && param !== undefined) {
    for (const q of param) {
      if (!(q >= 0 && q <= 1)) {
        ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${formatGo(q)}`, e.param!.positionRange);
      }
    }
  }
  if (op === 'limit_ratio' && param !== undefined) {
    for (const r of param) {
      if (r < -1 || r > 1) {
        const capped = Math.max(-1, Math.min(1, r));
        ev.ctx.annotations.warn(
          `ratio value should be between -1 and 1, got ${formatGo(r)}, capping to ${formatGo(capped)}`,
          e.param!.positionRange,
        );
      }
    }
  }
  const grouping = e.grouping;
  const keyOf = memoLabels((m: Labels): Labels => (e.without ? m.without('__name__', ...grouping) : m.keep(...grouping)));
  const slots = new Map<string, Slot>();
  const slotOf = memoLabels((m: Labels): Slot => {
    const labels = keyOf(m);
    let slot = slots.get(labels.key);
    if (slot === undefined) {
      slot = { labels, o: slots.size, group: undefined, stamp: 0 };
      slots.set(labels.key, slot);
    }
    return slot;
  });
  // The slot of every input series, found once: stepLoop's cells carry their input index.
  const slotByInput: (Slot | undefined)[] = new Array<Slot | undefined>(input.length).fill(undefined);
  let step = 0;
  const anyHist = hasHistograms(input);
  const series = ev.stepLoop([input], ([vecIn], k) => {
    const p = param?.[k] ?? NaN;
    let vec = vecIn;
    if (anyHist && FLOAT_ONLY.has(op) && vec.some((s) => s.h !== undefined)) {
      ev.ctx.annotations.info(`ignored histogram in ${op} aggregation`, e.positionRange);
      vec = vec.filter((s) => s.h === undefined);
    }
    if (op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio') {
      return selectK(op, vec, p, keyOf);
    }
    // Groups are interned per label set and reused step after step (stamped, not reallocated).
    const stamp = ++step;
    const active: Group[] = [];
    for (let j = 0; j < vec.length; j++) {
      const s = vec[j];
      const i = s.i;
      let slot = i === undefined ? slotOf(s.metric) : slotByInput[i];
      if (slot === undefined) slot = slotByInput[i!] = slotOf(s.metric);
      let g = slot.group;
      if (g === undefined || slot.stamp !== stamp) {
        if (g === undefined) {
          g = {
            slot: slot.o,
            labels: slot.labels,
            value: 0,
            mean: 0,
            c: 0,
            count: 0,
            incremental: false,
            values: [],
            heap: [],
            first: undefined,
            nonFinite: false,
            dropName: false,
            h: undefined,
            nHist: 0,
            nFloat: 0,
            hvalues: [],
          };
          slot.group = g;
        }
        slot.stamp = stamp;
        g.value = op === 'stddev' || op === 'stdvar' ? 0 : s.f;
        g.mean = s.f;
        g.c = 0;
        g.count = 1;
        g.incremental = false;
        g.values.length = 0;
        g.values.push(s.f);
        g.first = s;
        g.nonFinite = !Number.isFinite(s.f);
        g.dropName = s.dropName;
        active.push(g);
        if (anyHist) {
          g.nHist = 0;
          g.nFloat = 0;
          g.h = undefined;
          g.hvalues.length = 0;
          if (s.h !== undefined) {
            g.values.length = 0;
            g.value = 0;
            g.count = 0;
            g.nonFinite = false;
            addHistogram(op, g, s.h);
          } else g.nFloat = 1;
        }
        continue;
      }
      if (s.dropName) g.dropName = true;
      if (s.h !== undefined) {
        addHistogram(op, g, s.h);
        continue;
      }
      if (anyHist) {
        g.nFloat++;
        if (g.nFloat === 1 && (op === 'sum' || op === 'avg')) {
          // The first float of a group that began with histograms.
          g.value = op === 'sum' ? s.f : s.f;
          g.mean = s.f;
          g.c = 0;
          if (!Number.isFinite(s.f)) g.nonFinite = true;
          continue;
        }
      }
      if (!Number.isFinite(s.f)) g.nonFinite = true;
      add(op, g, s.f);
    }
    const groups = active;
    const out: StepSample[] = [];
    if (op === 'count_values') {
      const counts = new Map<string, { labels: Labels; n: number }>();
      for (const g of groups) {
        for (const v of g.values) {
          const l = g.labels.with(label, formatFloatPlain(v));
          const c = counts.get(l.key);
          if (c) c.n++;
          else counts.set(l.key, { labels: l, n: 1 });
        }
        for (const v of g.hvalues) {
          const l = g.labels.with(label, v);
          const c = counts.get(l.key);
          if (c) c.n++;
          else counts.set(l.key, { labels: l, n: 1 });
        }
      }
      for (const c of counts.values()) out.push({ metric: c.labels, f: c.n, dropName: false });
      return out;
    }
    // Grouping by __name__ keeps a name that delayed removal would drop: pass the flag on.
    const byName = !e.without && grouping.includes('__name__');
    for (const g of groups) {
      if (g.nHist > 0 && (op === 'sum' || op === 'avg')) {
        if (g.nFloat > 0) {
          ev.ctx.annotations.warn(`encountered a mix of histograms and floats for aggregation`, e.positionRange);
          continue;
        }
        const h = op === 'avg' ? g.h!.mean() : g.h!.result();
        if (h === undefined) {
          ev.ctx.annotations.warn(
            `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(g.labels.get('__name__'))}`,
            e.positionRange,
          );
          continue;
        }
        if (g.h!.reconciled) ev.ctx.annotations.info('mismatched custom buckets were reconciled during aggregation', e.positionRange);
        out.push({ metric: g.labels, f: 0, h, dropName: byName && g.dropName, o: g.slot });
        continue;
      }
      out.push({ metric: g.labels, f: result(op, g, p), dropName: byName && g.dropName, o: g.slot });
    }
    return out;
  });
  return { kind: 'vector', series };
}

/** A histogram sample into its group: summed for sum/avg, counted for count/group. */
function addHistogram(op: AggregateExpr['op'], g: Group, h: FloatHistogram): void {
  g.nHist++;
  switch (op) {
    case 'sum':
    case 'avg':
      (g.h ??= new HistogramSum(op === 'avg')).add(h);
      return;
    case 'count':
    case 'group':
      g.count++;
      return;
    case 'count_values':
      g.hvalues.push(histogramGoString(h));
      return;
    default:
      return;
  }
}

function add(op: AggregateExpr['op'], g: Group, f: number): void {
  switch (op) {
    case 'sum': {
      // kahanSumInc, inlined: no pair per sample on the hottest path.
      const sum = g.value;
      const t = sum + f;
      if (t === Infinity || t === -Infinity) g.c = 0;
      else if (Math.abs(sum) >= Math.abs(f)) g.c += sum - t + f;
      else g.c += f - t + sum;
      g.value = t;
      break;
    }
    case 'avg': {
      g.count++;
      if (!g.incremental) {
        const [nv, nc] = kahanSumInc(f, g.value, g.c);
        if (nv !== Infinity && nv !== -Infinity) {
          g.value = nv;
          g.c = nc;
          break;
        }
        g.incremental = true;
        g.mean = g.value / (g.count - 1);
        g.c /= g.count - 1;
      }
      const q = (g.count - 1) / g.count;
      [g.mean, g.c] = kahanSumInc(f / g.count, q * g.mean, q * g.c);
      break;
    }
    case 'max':
      if (g.value < f || Number.isNaN(g.value)) g.value = f;
      break;
    case 'min':
      if (g.value > f || Number.isNaN(g.value)) g.value = f;
      break;
    case 'count':
    case 'group':
      g.count++;
      break;
    case 'stddev':
    case 'stdvar': {
      g.count++;
      const delta = f - g.mean;
      g.mean += delta / g.count;
      g.value += delta * (f - g.mean);
      break;
    }
    case 'quantile':
    case 'count_values':
      g.values.push(f);
      break;
    default:
      break;
  }
}

function result(op: AggregateExpr['op'], g: Group, p: number): number {
  switch (op) {
    case 'sum':
      return g.value + g.c;
    case 'avg':
      return g.incremental ? g.mean + g.c : g.value / g.count + g.c / g.count;
    case 'count':
      return g.count;
    case 'group':
      return 1;
    case 'stdvar':
      return g.nonFinite ? NaN : g.value / g.count;
    case 'stddev':
      return g.nonFinite ? NaN : Math.sqrt(g.value / g.count);
    case 'quantile':
      return quantile(p, g.values);
    default:
      return g.value;
  }
}

/** topk/bottomk/limitk/limit_ratio keep whole input samples, per group. */
function selectK(
  op: 'topk' | 'bottomk' | 'limitk' | 'limit_ratio',
  vec: StepSample[],
  p: number,
  keyOf: (m: Labels) => Labels,
): StepSample[] {
  if (op === 'limit_ratio') {
    if (Number.isNaN(p)) throw executionError('Ratio value is NaN');
    const r = Math.max(-1, Math.min(1, p));
    return vec.filter((s) => {
      const off = labelsHashRatio(s.metric);
      return (r >= 0 && off < r) || (r < 0 && off >= 1 + r);
    });
  }
  if (Number.isNaN(p)) throw executionError('Parameter value is NaN');
  if (p >= 2 ** 63 || p < -(2 ** 63)) throw executionError(`Scalar value ${formatGo(p)} overflows int64`);
  const k = Math.trunc(p);
  if (k < 1) return [];
  const groups = new Map<string, StepSample[]>();
  for (const s of vec) {
    const key = keyOf(s.metric).key;
    let h = groups.get(key);
    if (h === undefined) {
      h = [];
      groups.set(key, h);
    }
    if (op === 'limitk') {
      if (h.length < k) h.push(s);
      continue;
    }
    // A min-heap for topk (smallest on top), a max-heap for bottomk, as container/heap.
    const less =
      op === 'topk'
        ? (a: StepSample, b: StepSample) => (Number.isNaN(a.f) ? true : a.f < b.f)
        : (a: StepSample, b: StepSample) => (Number.isNaN(a.f) ? true : a.f > b.f);
    if (h.length < k) {
      heapPush(h, s, less);
    } else if (
      op === 'topk'
        ? h[0].f < s.f || (Number.isNaN(h[0].f) && !Number.isNaN(s.f))
        : h[0].f > s.f || (Number.isNaN(h[0].f) && !Number.isNaN(s.f))
    ) {
      h[0] = s;
      if (k > 1) heapDown(h, 0, less);
    }
  }
  const out: StepSample[] = [];
  for (const h of groups.values()) {
    if (op === 'topk') h.sort((a, b) => -byValueAsc(a.f, b.f) || 0);
    else if (op === 'bottomk') h.sort((a, b) => byReverse(a.f, b.f));
    for (const s of h) out.push(s);
  }
  return out;
}

/** Sort order of bottomk's output: ascending, NaN last. */
function byReverse(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function heapPush(h: StepSample[], s: StepSample, less: (a: StepSample, b: StepSample) => boolean): void {
  h.push(s);
  let j = h.length - 1;
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (i === j || !less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function heapDown(h: StepSample[], i0: number, less: (a: StepSample, b: StepSample) => boolean): void {
  const n = h.length;
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
}

/** A stable pseudo-random position in [0, 1) per label set (limit_ratio's sampling). */
function labelsHashRatio(l: Labels): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < l.key.length; i++) {
    const c = l.key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return (h1 * 2 ** 21 + (h2 >>> 11)) / 2 ** 53;
}

/** Go's %v for a float64 in messages. */
export function formatGo(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
