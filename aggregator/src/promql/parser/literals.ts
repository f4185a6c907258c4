/**
 * Values of literal items: numbers (Go's strconv.ParseInt, then ParseFloat), strings (Go
 * escapes, as Prometheus's strutil.Unquote), and the regular expressions of matchers (RE2,
 * whose error messages are Go's).
 */
import { RE2JS } from 're2js';
import type { LabelMatcher } from './ast.js';
import { decodeUtf8, goQuote, pushUtf8 } from './go-text.js';

/** Go's underscoreOK: underscores only between digits, or after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  const p = s[1]?.toLowerCase();
  if (s.length >= 2 && s[0] === '0' && (p === 'b' || p === 'o' || p === 'x')) {
    i = 2;
    saw = '0';
    hex = p === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    const lc = c.toLowerCase();
    if ((c >= '0' && c <= '9') || (hex && lc >= 'a' && lc <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

const INT64_MAX = (1n << 63n) - 1n;

/** strconv.ParseInt(s, 0, 64); undefined on any error. */
function parseIntBase0(s: string): number | undefined {
  if (s === '') return undefined;
  const orig = s;
  let base = 10;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && (p === 'b' || p === 'o' || p === 'x')) {
      base = p === 'b' ? 2 : p === 'o' ? 8 : 16;
      s = s.slice(2);
    } else {
      base = 8;
      s = s.slice(1);
    }
  }
  if (orig.includes('_') && !underscoreOK(orig)) return undefined;
  s = s.replaceAll('_', '');
  let n = 0n;
  for (const c of s) {
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return undefined;
    n = n * BigInt(base) + BigInt(d);
    if (n > INT64_MAX) return undefined;
  }
  return Number(n);
}

const DECIMAL_FLOAT = /^(?=[0-9_]*\.?[0-9_]*[0-9])[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?$/;

/** strconv.ParseFloat(s, 64): a value, or the error text. */
function parseFloatGo(s: string): number | string {
  const lower = s.toLowerCase();
  const body = lower.replace(/^[+-]/, '');
  const neg = lower.startsWith('-');
  if (body === 'inf' || body === 'infinity') return neg ? -Infinity : Infinity;
  if (body === 'nan') return NaN;
  const prefix = `strconv.ParseFloat: parsing ${goQuote(s)}: `;
  const unsigned = s.replace(/^[+-]/, '');
  if (!DECIMAL_FLOAT.test(unsigned) || (s.includes('_') && !underscoreOK(s))) return prefix + 'invalid syntax';
  const v = Number(s.replaceAll('_', ''));
  if (!Number.isFinite(v)) return prefix + 'value out of range';
  return v;
}

/** The value of a NUMBER item, or the reason it has none (Prometheus's parser.number). */
export function parseNumber(s: string): number | { error: string } {
  const i = parseIntBase0(s);
  if (i !== undefined) return i;
  const f = parseFloatGo(s);
  return typeof f === 'number' ? f : { error: `error parsing number: ${f}` };
}

function unhex(c: string | undefined): number {
  if (c === undefined) return -1;
  const d = parseInt(c, 16);
  return Number.isNaN(d) || c.length !== 1 ? -1 : d;
}

/**
 * Prometheus's strutil.Unquote: `"..."` and `'...'` with Go escapes, `` `...` `` raw.
 * `\x` and octal escapes give raw bytes, as in Go; bytes that do not form UTF-8 are kept as
 * surrogate escapes (see go-text.ts). Throws Error('invalid syntax').
 */
export function unquote(s: string): string {
  const quote = s[0];
  if (s.length < 2 || quote !== s[s.length - 1]) throw new Error('invalid syntax');
  const body = s.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body;
  }
  if (quote !== '"' && quote !== "'") throw new Error('invalid syntax');
  if (!body.includes('\\') && !body.includes(quote)) return body;
  const cps = Array.from(body, (ch) => ch.codePointAt(0)!);
  const out: number[] = [];
  let i = 0;
  const bad = (): never => {
    throw new Error('invalid syntax');
  };
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === quote.codePointAt(0)) bad();
    if (c !== 0x5c) {
      pushUtf8(out, c);
      i++;
      continue;
    }
    if (i + 1 >= cps.length) bad();
    const e = String.fromCodePoint(cps[i + 1]!);
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };
    if (simple[e] !== undefined) {
      out.push(simple[e]!);
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      let v = 0;
      for (let j = 0; j < n; j++) {
        const cp = cps[i + j];
        const x = unhex(cp === undefined ? undefined : String.fromCodePoint(cp));
        if (x < 0) bad();
        v = v * 16 + x;
      }
      i += n;
      if (e === 'x') out.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) bad();
      else pushUtf8(out, v);
    } else if (e >= '0' && e <= '7') {
      let v = Number(e);
      for (let j = 0; j < 2; j++) {
        const cp = cps[i + j];
        if (cp === undefined || cp < 0x30 || cp > 0x37) bad();
        v = v * 8 + (cp! - 0x30);
      }
      i += 2;
      if (v > 255) bad();
      out.push(v);
    } else if (e === "'" || e === '"') {
      if (e !== quote) bad();
      out.push(e.codePointAt(0)!);
    } else {
      bad();
    }
  }
  return decodeUtf8(out);
}

/** Compiles a matcher's regular expression; returns Go's error text if it is not valid RE2. */
export function regexError(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Whether a matcher matches the empty string (Prometheus's Matcher.Matches("")). */
export function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
    case '!~': {
      let matches: boolean;
      try {
        matches = RE2JS.compile(`^(?s:${m.value})$`).matches('');
      } catch {
        // Invalid patterns are reported when the matcher is built; never reached then.
        matches = false;
      }
      return m.type === '=~' ? matches : !matches;
    }
  }
}
