/**
 * Escaping and series rendering shared by the text 0.0.4 and OpenMetrics encoders. Both formats
 * write a series identically (`name{a="x",b="y"}`), and escape label values alike: `\` → `\\`,
 * `"` → `\"`, line feed → `\n`. They differ only for HELP, where the text format leaves `"`
 * alone.
 *
 * These run once per sample per scrape, so they scan char codes instead of running a regex, and
 * return the input string untouched in the common case where nothing needs escaping.
 */
import type { Labels } from '../labels.js';
import { METRIC_NAME } from '../labels.js';

const BACKSLASH = 92;
const QUOTE = 34;
const LF = 10;

/** Escapes a label value (both formats) or an OpenMetrics HELP text. */
export function escapeQuoted(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === BACKSLASH || c === QUOTE || c === LF) return escapeFrom(v, i, true);
  }
  return v;
}

/** Escapes a text-format HELP text: only `\` and line feed (a `"` stays as it is). */
export function escapeHelpText(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === BACKSLASH || c === LF) return escapeFrom(v, i, false);
  }
  return v;
}

function escapeFrom(v: string, first: number, quote: boolean): string {
  let out = v.slice(0, first);
  let start = first;
  for (let i = first; i < v.length; i++) {
    const c = v.charCodeAt(i);
    let rep: string;
    if (c === BACKSLASH) rep = '\\\\';
    else if (c === LF) rep = '\\n';
    else if (c === QUOTE && quote) rep = '\\"';
    else continue;
    out += v.slice(start, i) + rep;
    start = i + 1;
  }
  return out + v.slice(start);
}

/**
 * Renders `name{a="x",b="y"}` (or just `name`) for a sample: the metric name from `__name__`,
 * then every other label in the set's sorted order. Names are written as they are: the encoders
 * take families that exporters built from valid names, as client_golang's encoders do.
 */
export function renderSeries(labels: Labels): string {
  const kv = labels.pairs();
  let name = '';
  let body = '';
  for (let i = 0; i < kv.length; i += 2) {
    const n = kv[i];
    if (n === METRIC_NAME) {
      name = kv[i + 1];
      continue;
    }
    body += `${body === '' ? '' : ','}${n}="${escapeQuoted(kv[i + 1])}"`;
  }
  return body === '' ? name : `${name}{${body}}`;
}

/** Renders exemplar labels as OpenMetrics wants them: always braced, `{}` when empty. */
export function renderLabelSet(labels: Labels): string {
  const kv = labels.pairs();
  let body = '';
  for (let i = 0; i < kv.length; i += 2) {
    body += `${i === 0 ? '' : ','}${kv[i]}="${escapeQuoted(kv[i + 1])}"`;
  }
  return `{${body}}`;
}
