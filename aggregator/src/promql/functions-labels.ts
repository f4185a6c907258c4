/** label_replace, label_join and sort_by_label. */
import { Labels } from '@edgeprom/shared';
import { RE2JS } from 're2js';
import type { Call } from './parser/index.js';
import { executionError } from './errors.js';
import type { EValue, StepSample } from './eval-types.js';
import type { Evaluator } from './evaluator.js';
import { isValidLabelName } from './labels-util.js';

function str(ev: Evaluator, e: Call, i: number): string {
  const v = ev.eval(e.args[i]);
  if (v.kind !== 'string') throw executionError(`expected string argument ${i + 1} of ${e.func.name}`);
  return v.value;
}

/** Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(template: string, m: { group(g: string | number): string | null }, names: Record<string, number>, ngroups: number): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const n = template[i + 1];
    if (n === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (n === '{') {
      const close = template.indexOf('}', i + 2);
      if (close < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, close);
      end = close;
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        out += c;
        continue;
      }
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (mm === null) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + name.length;
    }
    i = end;
    let idx = -1;
    if (/^[0-9]+$/.test(name)) idx = Number(name);
    else if (names[name] !== undefined) idx = names[name];
    if (idx >= 0 && idx <= ngroups) out += m.group(idx) ?? '';
  }
  return out;
}

export function labelReplace(ev: Evaluator, e: Call): EValue {
  const input = ev.evalVector(e.args[0]);
  const dst = str(ev, e, 1);
  const repl = str(ev, e, 2);
  const src = str(ev, e, 3);
  const regex = str(ev, e, 4);
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?s:${regex})$`);
  } catch {
    throw executionError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!isValidLabelName(dst)) throw executionError(`invalid destination label name in label_replace(): ${dst}`);
  const names = re.namedGroups();
  const ngroups = re.groupCount();
  const cache = new Map<string, Labels>();
  const map = (metric: Labels): Labels => {
    let r = cache.get(metric.key);
    if (r !== undefined) return r;
    r = metric;
    const m = re.matcher(metric.get(src));
    if (m.matches()) r = metric.with(dst, expand(repl, m, names, ngroups));
    cache.set(metric.key, r);
    return r;
  };
  return {
    kind: 'vector',
    series: ev.stepLoop([input], ([v]) =>
      v.map((s) => {
        const metric = map(s.metric);
        return { metric, f: s.f, dropName: dst === '__name__' ? false : s.dropName };
      }),
    ),
  };
}

export function labelJoin(ev: Evaluator, e: Call): EValue {
  const input = ev.evalVector(e.args[0]);
  const dst = str(ev, e, 1);
  const sep = str(ev, e, 2);
  const srcs: string[] = [];
  for (let i = 3; i < e.args.length; i++) {
    const s = str(ev, e, i);
    if (!isValidLabelName(s)) throw executionError(`invalid source label name in label_join(): ${s}`);
    srcs.push(s);
  }
  if (!isValidLabelName(dst)) throw executionError(`invalid destination label name in label_join(): ${dst}`);
  return {
    kind: 'vector',
    series: ev.stepLoop([input], ([v]) =>
      v.map((s) => ({
        metric: s.metric.with(dst, srcs.map((n) => s.metric.get(n)).join(sep)),
        f: s.f,
        dropName: dst === '__name__' ? false : s.dropName,
      })),
    ),
  };
}

/** Natural order: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i];
    const cb = b[j];
    const da = ca >= '0' && ca <= '9';
    const db = cb >= '0' && cb <= '9';
    if (da && db) {
      let ei = i;
      while (ei < a.length && a[ei] >= '0' && a[ei] <= '9') ei++;
      let ej = j;
      while (ej < b.length && b[ej] >= '0' && b[ej] <= '9') ej++;
      const na = a.slice(i, ei).replace(/^0+/, '');
      const nb = b.slice(j, ej).replace(/^0+/, '');
      if (na.length !== nb.length) return na.length - nb.length;
      if (na !== nb) return na < nb ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}

export function sortByLabel(ev: Evaluator, e: Call, desc: boolean): EValue {
  const input = ev.evalVector(e.args[0]);
  const names: string[] = [];
  for (let i = 1; i < e.args.length; i++) names.push(str(ev, e, i));
  const cmp = (a: StepSample, b: StepSample): number => {
    for (const n of names) {
      const c = naturalCompare(a.metric.get(n), b.metric.get(n));
      if (c !== 0) return desc ? -c : c;
    }
    const c = Labels.compare(a.metric, b.metric);
    return desc ? -c : c;
  };
  return { kind: 'vector', series: ev.stepLoop([input], ([v]) => [...v].sort(cmp)) };
}
