/**
 * Series descriptions of the promqltest format: `metric{l="v"} 1+2x5 _ stale 3x2 _x4`.
 * Pure: a line in, labels and a value sequence out.
 *
 *   `a+bxN`  a, then N more values adding b each time (repeated addition, as upstream)
 *   `axN`    a, N + 1 times
 *   `_`      no sample; `_xN`: N times no sample
 *   `stale`  the stale marker
 *   `{{..}}` a native histogram (see parseHistogram); `{{a}}xN` repeats it, `{{a}}+{{b}}xN`
 *            adds b N times (`-` subtracts), as upstream
 */
import { Labels } from '@edgeprom/shared';
import { parseMetricSelector } from '../parser/index.js';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA, FloatHistogram, STALE_NAN } from '../../storage/index.js';

export type SeqValue =
  | { kind: 'omitted' }
  | { kind: 'float'; value: number }
  | { kind: 'histogram'; h: FloatHistogram };

export interface SeriesDesc {
  labels: Labels;
  values: SeqValue[];
  /** A value was a native histogram. */
  hasHistogram: boolean;
}

export class SeriesDescError extends Error {}

/** Splits `metric{...}` from the values that follow. */
function splitMetric(line: string): [string, string] {
  let i = 0;
  const s = line.trim();
  if (s[0] !== '{') {
    while (i < s.length && !/[\s{]/.test(s[i])) i++;
  }
  if (s[i] === '{') {
    let inQuote: string | null = null;
    for (; i < s.length; i++) {
      const c = s[i];
      if (inQuote !== null) {
        if (c === '\\') i++;
        else if (c === inQuote) inQuote = null;
      } else if (c === '"' || c === "'" || c === '`') inQuote = c;
      else if (c === '}') {
        i++;
        break;
      }
    }
  }
  return [s.slice(0, i), s.slice(i).trim()];
}

export function parseLabels(metric: string): Labels {
  let matchers;
  try {
    matchers = parseMetricSelector(metric);
  } catch (e) {
    throw new SeriesDescError(`bad metric ${metric}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const pairs: [string, string][] = [];
  for (const m of matchers) {
    if (m.type !== '=') throw new SeriesDescError(`bad metric ${metric}: only = matchers`);
    pairs.push([m.name, m.value]);
  }
  return Labels.from(pairs);
}

const NUM = String.raw`(?:[+-]?(?:Inf|inf|NaN|nan|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))`;
const EXPANDING = new RegExp(`^(${NUM})(?:([+-])(${NUM}))?x(\\d+)$`);
const SINGLE = new RegExp(`^${NUM}$`);

export function parseNumberText(s: string): number {
  const t = s.replace(/^\+/, '');
  if (/^-?inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^-?0[xX]/.test(t)) return t.startsWith('-') ? -Number.parseInt(t.slice(1), 16) : Number.parseInt(t, 16);
  const v = Number(t);
  if (Number.isNaN(v)) throw new SeriesDescError(`bad number ${s}`);
  return v;
}

/** Tokens of the value part; `{{...}}` (with its expansion suffix) stays one token. */
function tokens(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let j = i;
    let depth = 0;
    while (j < s.length && (depth > 0 || !/\s/.test(s[j]))) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}') depth--;
      j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

export function parseValues(text: string): { values: SeqValue[]; hasHistogram: boolean } {
  const values: SeqValue[] = [];
  let hasHistogram = false;
  for (const tok of tokens(text)) {
    if (tok === '_') {
      values.push({ kind: 'omitted' });
      continue;
    }
    const blank = /^_x(\d+)$/.exec(tok);
    if (blank) {
      for (let j = 0; j < Number(blank[1]); j++) values.push({ kind: 'omitted' });
      continue;
    }
    if (tok === 'stale') {
      values.push({ kind: 'float', value: STALE_NAN });
      continue;
    }
    if (tok.startsWith('{{')) {
      hasHistogram = true;
      for (const h of parseHistogramSeq(tok)) values.push({ kind: 'histogram', h });
      continue;
    }
    const m = EXPANDING.exec(tok);
    if (m) {
      let v = parseNumberText(m[1]);
      const n = Number(m[4]);
      values.push({ kind: 'float', value: v });
      const step = m[2] === undefined ? 0 : parseNumberText(m[3]) * (m[2] === '-' ? -1 : 1);
      for (let j = 1; j <= n; j++) {
        v += step;
        values.push({ kind: 'float', value: v });
      }
      continue;
    }
    if (SINGLE.test(tok)) {
      values.push({ kind: 'float', value: parseNumberText(tok) });
      continue;
    }
    throw new SeriesDescError(`bad value ${JSON.stringify(tok)}`);
  }
  return { values, hasHistogram };
}

export function parseSeriesDesc(line: string): SeriesDesc {
  const [metric, rest] = splitMetric(line);
  const labels = parseLabels(metric);
  return { labels, ...parseValues(rest) };
}

/** `{{a}}`, `{{a}}xN`, `{{a}}+{{b}}xN` or `{{a}}-{{b}}xN`. */
function parseHistogramSeq(tok: string): FloatHistogram[] {
  const end = tok.indexOf('}}');
  if (end < 0) throw new SeriesDescError(`unterminated histogram ${JSON.stringify(tok)}`);
  const base = parseHistogram(tok.slice(0, end + 2));
  const rest = tok.slice(end + 2);
  if (rest === '') return [base];
  const rep = /^x(\d+)$/.exec(rest);
  if (rep) {
    const out = [base];
    for (let i = 0; i < Number(rep[1]); i++) out.push(base);
    return out;
  }
  const m = /^([+-])(\{\{.*\}\})x(\d+)$/.exec(rest);
  if (!m) throw new SeriesDescError(`bad histogram sequence ${JSON.stringify(tok)}`);
  const inc = parseHistogram(m[2]);
  const out = [base];
  let cur = base;
  for (let i = 0; i < Number(m[3]); i++) {
    if (cur.schema > inc.schema && !cur.usesCustomBuckets()) {
      throw new SeriesDescError(`error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`);
    }
    cur = cur.copy();
    cur.addScaled(inc, m[1] === '+' ? 1 : -1);
    out.push(cur);
  }
  return out;
}

const HINTS: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.Reset,
  not_reset: CounterResetHint.NotReset,
  gauge: CounterResetHint.Gauge,
};

/**
 * One native histogram in the promqltest notation: `{{schema:1 sum:5 count:3 z_bucket:1
 * z_bucket_w:0.001 offset:1 buckets:[1 2] n_offset:0 n_buckets:[1] custom_values:[1 2]
 * counter_reset_hint:gauge}}`. Bucket counts are absolute; `offset` is the index of the
 * first bucket.
 */
export function parseHistogram(text: string): FloatHistogram {
  const m = /^\{\{(.*)\}\}$/s.exec(text.trim());
  if (!m) throw new SeriesDescError(`bad histogram ${JSON.stringify(text)}`);
  const h = new FloatHistogram();
  let buckets: number[] = [];
  let nBuckets: number[] = [];
  let offset = 0;
  let nOffset = 0;
  const re = /\s*([a-z_]+):\s*(\[[^\]]*\]|[^\s\]]+)/y;
  const body = m[1].trim();
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const f = re.exec(body);
    if (!f) throw new SeriesDescError(`bad histogram ${JSON.stringify(text)} at ${JSON.stringify(body.slice(pos))}`);
    pos = re.lastIndex;
    while (pos < body.length && /\s/.test(body[pos])) pos++;
    const [, key, val] = f;
    const list = (): number[] => {
      if (!val.startsWith('[')) throw new SeriesDescError(`histogram field ${key} needs a [list], got ${val}`);
      const inner = val.slice(1, -1).trim();
      return inner === '' ? [] : inner.split(/\s+/).map(parseNumberText);
    };
    const int = (): number => {
      const v = parseNumberText(val);
      if (!Number.isInteger(v)) throw new SeriesDescError(`histogram field ${key} needs an integer, got ${val}`);
      return v;
    };
    switch (key) {
      case 'schema': h.schema = int(); break;
      case 'sum': h.sum = parseNumberText(val); break;
      case 'count': h.count = parseNumberText(val); break;
      case 'z_bucket': h.zeroCount = parseNumberText(val); break;
      case 'z_bucket_w': h.zeroThreshold = parseNumberText(val); break;
      case 'buckets': buckets = list(); break;
      case 'n_buckets': nBuckets = list(); break;
      case 'offset': offset = int(); break;
      case 'n_offset': nOffset = int(); break;
      case 'custom_values': h.customValues = list(); break;
      case 'counter_reset_hint': {
        const hint = HINTS[val];
        if (hint === undefined) throw new SeriesDescError(`bad counter_reset_hint ${val}`);
        h.counterResetHint = hint;
        break;
      }
      default:
        throw new SeriesDescError(`unknown histogram field ${key} in ${JSON.stringify(text)}`);
    }
  }
  if (h.schema !== CUSTOM_BUCKETS_SCHEMA && (h.schema < -4 || h.schema > 8)) {
    throw new SeriesDescError(`histogram schema ${h.schema} is out of range (-4..8, or -53 for custom buckets)`);
  }
  h.pIdx = buckets.map((_, i) => offset + i);
  h.pCnt = buckets;
  h.nIdx = nBuckets.map((_, i) => nOffset + i);
  h.nCnt = nBuckets;
  return h;
}
