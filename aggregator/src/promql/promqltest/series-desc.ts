/**
 * Series descriptions of the promqltest format: `metric{l="v"} 1+2x5 _ stale 3x2 _x4`.
 * Pure: a line in, labels and a value sequence out.
 *
 *   `a+bxN`  a, then N more values adding b each time (repeated addition, as upstream)
 *   `axN`    a, N + 1 times
 *   `_`      no sample; `_xN`: N times no sample
 *   `stale`  the stale marker
 *   `{{..}}` a native histogram: kept as an unsupported marker
 */
import { Labels } from '@edgeprom/shared';
import { parseMetricSelector } from '../parser/index.js';
import { STALE_NAN } from '../../storage/index.js';

export type SeqValue =
  | { kind: 'omitted' }
  | { kind: 'float'; value: number }
  | { kind: 'histogram'; text: string };

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
      const rep = /x(\d+)$/.exec(tok);
      const n = rep && tok.lastIndexOf('}}') < tok.length - 2 ? Number(rep[1]) + 1 : 1;
      for (let j = 0; j < n; j++) values.push({ kind: 'histogram', text: tok });
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
