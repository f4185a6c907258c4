/**
 * info(v, selector): enriches each sample with the data labels of the info series
 * (default `target_info`) sharing its identifying labels (instance, job), as of the same
 * time the sample was read (its selector's `@` and offsets).
 */
import { Labels } from '@edgeprom/shared';
import type { Call, Expr, LabelMatcher, VectorSelector } from './parser/index.js';
import { Matcher } from '../storage/index.js';
import { executionError } from './errors.js';
import type { EValue, StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';
import { memoLabels } from './labels-util.js';

const IDENTIFYING = ['instance', 'job'];

/** The reference time function of the first selector of an expression: t -> read time. */
function readTime(ev: Evaluator, e: Expr): (t: number) => number {
  const path: { offset: number; at: number | null }[] = [];
  const walk = (n: Expr): boolean => {
    switch (n.type) {
      case 'VectorSelector':
        path.push({ offset: ev.duration(n.originalOffset, n.originalOffsetExpr), at: ev.atTime(n) });
        return true;
      case 'MatrixSelector':
        return walk(n.vectorSelector);
      case 'SubqueryExpr': {
        path.push({ offset: ev.duration(n.originalOffset, n.originalOffsetExpr), at: ev.atTime(n) });
        if (walk(n.expr)) return true;
        path.pop();
        return false;
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        return walk(n.expr);
      case 'BinaryExpr':
        return walk(n.lhs) || walk(n.rhs);
      case 'AggregateExpr':
        return walk(n.expr);
      case 'Call':
        return n.args.some(walk);
      default:
        return false;
    }
  };
  walk(e);
  let off = 0;
  for (let i = path.length - 1; i >= 0; i--) {
    off += path[i].offset;
    const at = path[i].at;
    if (at !== null) {
      const fixed = at - off;
      return () => fixed;
    }
  }
  return (t) => t - off;
}

export function evalInfo(ev: Evaluator, e: Call): EValue {
  const base = ev.evalVector(e.args[0]);
  let matchers: LabelMatcher[] = [];
  if (e.args.length > 1) {
    const sel = e.args[1];
    if (sel.type !== 'VectorSelector') throw executionError('info() expects a label selector as second argument');
    matchers = sel.matchers;
  }
  let nameMatchers = matchers.filter((m) => m.name === '__name__');
  const dataMatchers = matchers.filter((m) => m.name !== '__name__').map((m) => Matcher.create(m.type, m.name, m.value));
  if (nameMatchers.length === 0) nameMatchers = [{ type: '=', name: '__name__', value: 'target_info' }];
  // Only negative name matchers: they narrow the info metrics (names ending in _info).
  if (!nameMatchers.some((m) => m.type === '=' || m.type === '=~')) {
    nameMatchers = [...nameMatchers, { type: '=~', name: '__name__', value: '.+_info' }];
  }
  const nameMs = nameMatchers.map((m) => Matcher.create(m.type, m.name, m.value));
  // A base series that is itself an info series (matches every name matcher) passes through.
  const isInfo = memoLabels((l: Labels) => nameMs.every((m) => m.matches(l.get('__name__'))));
  const emptyOk = dataMatchers.every((m) => m.matchesEmpty);
  const refOf = readTime(ev, e.args[0]);

  // The info series over every read time the base needs, each step looked up by read time.
  const refs: number[] = [];
  for (let k = 0; k < ev.numSteps; k++) refs.push(refOf(ev.stepTime(k)));
  const sel: VectorSelector = {
    type: 'VectorSelector',
    name: '',
    matchers: nameMatchers,
    originalOffset: 0,
    originalOffsetExpr: null,
    timestamp: null,
    startOrEnd: null,
    anchored: false,
    smoothed: false,
    bypassEmptyMatcherCheck: true,
    positionRange: e.positionRange,
  };
  const infoAt = infoByReadTime(ev, sel, refs);
  const addLabels = memoLabels((l: Labels): string[] => {
    const names: string[] = [];
    for (const [n] of l) {
      if (n === '__name__' || IDENTIFYING.includes(n)) continue;
      if (dataMatchers.length > 0 && !dataMatchers.some((m) => m.name === n)) continue;
      names.push(n);
    }
    return names;
  });

  return {
    kind: 'vector',
    series: ev.stepLoop([base], ([vec], k) => {
      const infos = infoAt(k);
      const out: StepSample[] = [];
      for (const s of vec) {
        if (isInfo(s.metric)) {
          out.push(s);
          continue;
        }
        const ids = IDENTIFYING.filter((n) => s.metric.has(n));
        // The latest matching series of each info metric name.
        const byName = new Map<string, { labels: Labels; t: number }>();
        if (ids.length > 0) {
          for (const inf of infos) {
            if (!ids.every((n) => inf.labels.get(n) === s.metric.get(n))) continue;
            if (!dataMatchers.every((m) => m.matches(inf.labels.get(m.name)))) continue;
            const name = inf.labels.get('__name__');
            const prev = byName.get(name);
            if (prev === undefined || inf.t > prev.t) byName.set(name, inf);
          }
        }
        if (byName.size === 0) {
          if (emptyOk) out.push(s);
          continue;
        }
        const add = new Map<string, string>();
        for (const inf of byName.values()) {
          for (const n of addLabels(inf.labels)) {
            const v = inf.labels.get(n);
            const prev = add.get(n);
            if (prev !== undefined && prev !== v) {
              throw executionError(`conflicting label: ${n} has values ${JSON.stringify(prev)} and ${JSON.stringify(v)} in info metrics`);
            }
            add.set(n, v);
          }
        }
        let metric = s.metric;
        for (const [n, v] of add) if (!metric.has(n)) metric = metric.with(n, v);
        out.push({ metric, f: s.f, dropName: s.dropName });
      }
      return out;
    }),
  };
}

/** For each step, the info series present at its read time, with their sample times. */
function infoByReadTime(ev: Evaluator, sel: VectorSelector, refs: number[]): (k: number) => { labels: Labels; t: number }[] {
  if (refs.length === 0) return () => [];
  // Read times are either fixed (`@`) or the step times shifted by an offset: one
  // evaluation over them selects the info series once.
  const constant = refs.every((r) => r === refs[0]);
  const sub = constant ? ev.withRange(refs[0], refs[0], 1) : ev.withRange(refs[0], refs[refs.length - 1], ev.interval);
  const series = sub.vectorSelector(sel, true, true);
  const perStep: { labels: Labels; t: number }[][] = [];
  for (let k = 0; k < sub.numSteps; k++) perStep.push([]);
  for (const s of series) {
    for (let i = 0; i < s.ts.length; i++) {
      const k = constant ? 0 : Math.round((s.ts[i] - sub.start) / sub.interval);
      perStep[k].push({ labels: s.metric, t: s.vs[i] });
    }
  }
  return (k) => perStep[constant ? 0 : k] ?? [];
}
