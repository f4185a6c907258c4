/**
 * Label sets `{name="value",...}` for the line parser: scanning, unescaping, sorting and
 * turning them into the flat sorted pairs that Labels.fromSortedPairs takes.
 *
 * The hot path leans on native string search: a label name is first compared (startsWith)
 * with the name at the same position on the previous line, which it nearly always equals;
 * a value's end is found with indexOf('"'), and a backslash (rare) is looked up once per
 * chunk and remembered, so values without escapes are never walked in JavaScript.
 */
import { METRIC_NAME } from '../labels.js';
import type { ResolvedLimits } from './parse-options.js';
import { detach, hashRange, isLabelNameChar, isLabelNameStart, type StringCache } from './parse-scanner.js';

const SP = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const RBRACE = 125;
const COMMA = 44;
const EQUALS = 61;

/** Where the label code reports errors, at an index of the current line. */
export interface Cursor {
  /** The line being parsed (1-based). */
  readonly lineNo: number;
  fail(reason: string, p: number): never;
  limit(limit: string, max: number, what: string, p: number): never;
}

/** Scratch for one label set; reused line after line (which the name fast path relies on). */
export class LabelSet {
  readonly names: string[] = [];
  readonly values: string[] = [];
  /** Index of each label name in the line, for errors. */
  readonly pos: number[] = [];
  n = 0;
}

export function skipBlanks(s: string, p: number, end: number): number {
  let c: number;
  while (p < end && ((c = s.charCodeAt(p)) === SP || c === TAB)) p++;
  return p;
}

/** A character for an error message. */
export function describe(s: string, p: number, end: number): string {
  if (p >= end) return 'end of line';
  const c = s.charCodeAt(p);
  return c < 32 || c === 127 ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(s[p]);
}

/** Fails at a token that should have been a `what`: empty, or not one. */
export function badToken(cur: Cursor, what: string, s: string, p: number, le: number, extra = ''): never {
  let q = p;
  let c: number;
  while (q < le && (c = s.charCodeAt(q)) !== SP && c !== TAB) q++;
  if (q === p) cur.fail(`expected ${what}, got ${describe(s, p, le)}`, p);
  const t = s.slice(p, Math.min(q, p + 40));
  cur.fail(`invalid ${what} ${JSON.stringify(q - p > 40 ? t + '...' : t)}${extra}`, p);
}

/**
 * Unescapes a HELP text or a label value: `\\`, `\n` and, with `quote`, `\"`. Other
 * backslashes stay as they are, as Prometheus does.
 */
export function unescape(s: string, a: number, b: number, quote: boolean, backslashes?: BackslashFinder): string {
  if (backslashes !== undefined && backslashes.next(s, a) >= b) return detach(s.slice(a, b));
  let out = '';
  let last = a;
  for (let i = a; i < b; i++) {
    if (s.charCodeAt(i) !== BACKSLASH || i + 1 >= b) continue;
    const c = s.charCodeAt(i + 1);
    const r = c === BACKSLASH ? '\\' : c === 110 ? '\n' : c === QUOTE && quote ? '"' : null;
    if (r !== null) {
      out += s.slice(last, i) + r;
      last = i + 2;
    }
    i++;
  }
  return detach(last === a ? s.slice(a, b) : out + s.slice(last, b));
}

/**
 * Finds the next backslash (escapes are rare) with one indexOf per backslash per string,
 * however many values ask. Queries move forward, except that the general path may re-read
 * the current line after the fast path gave up; that short range is scanned by hand, so a
 * body without backslashes never costs more than one pass.
 */
export class BackslashFinder {
  /** The first backslash at or after #from (s.length when there is none). */
  #pos = -1;
  #from = 0;

  /** Call when the parser moves to a new string (indices restart). */
  reset(): void {
    this.#pos = -1;
    this.#from = 0;
  }

  /** Index of the first backslash at or after `from` in s, or s.length. */
  next(s: string, from: number): number {
    if (from < this.#from) {
      for (let i = from; i < this.#from; i++) if (s.charCodeAt(i) === BACKSLASH) return i;
      return this.#pos;
    }
    if (from <= this.#pos) return this.#pos;
    const p = s.indexOf('\\', from);
    this.#from = from;
    this.#pos = p < 0 ? s.length : p;
    return this.#pos;
  }
}

export class LabelReader {
  readonly #om: boolean;
  readonly #limits: ResolvedLimits;
  readonly #cache: StringCache;
  readonly #cur: Cursor;
  readonly #backslashes: BackslashFinder;

  constructor(om: boolean, limits: ResolvedLimits, cache: StringCache, cursor: Cursor, backslashes: BackslashFinder) {
    this.#om = om;
    this.#limits = limits;
    this.#cache = cache;
    this.#cur = cursor;
    this.#backslashes = backslashes;
  }

  /** Reads labels from p (just after `{`) into set; returns the index after `}`. */
  read(s: string, p: number, le: number, set: LabelSet): number {
    const om = this.#om;
    const lim = this.#limits;
    const names = set.names;
    const values = set.values;
    let n = 0;
    let c: number;
    for (;;) {
      if (!om) p = skipBlanks(s, p, le);
      if (p >= le) this.#cur.fail(`expected a label name or "}", got end of line`, p);
      c = s.charCodeAt(p);
      if (c === RBRACE) {
        if (om && n > 0) this.#cur.fail(`expected a label name after ",", got "}"`, p);
        set.n = n;
        return p + 1;
      }
      const nameStart = p;
      // Most lines repeat the previous line's label names in the same order.
      let lname = n < names.length ? names[n] : '';
      const after = p + lname.length;
      if (lname !== '' && after < le && s.charCodeAt(after) === EQUALS && s.startsWith(lname, p)) {
        p = after;
      } else {
        if (!isLabelNameStart(c)) this.#cur.fail(`expected a label name, got ${describe(s, p, le)}`, p);
        p++;
        while (p < le && isLabelNameChar(s.charCodeAt(p))) p++;
        if (p - nameStart > lim.labelName) {
          this.#cur.limit('maxLabelNameLength', lim.labelName, `label name is ${p - nameStart} characters long`, nameStart);
        }
        lname = this.#cache.get(s, nameStart, p, hashRange(s, nameStart, p));
        if (!om) p = skipBlanks(s, p, le);
        if (p >= le || s.charCodeAt(p) !== EQUALS) {
          this.#cur.fail(`expected "=" after label name ${JSON.stringify(lname)}, got ${describe(s, p, le)}`, p);
        }
      }
      p++;
      if (!om) p = skipBlanks(s, p, le);
      if (p >= le || s.charCodeAt(p) !== QUOTE) {
        this.#cur.fail(`expected '"' to start the value of label ${JSON.stringify(lname)}, got ${describe(s, p, le)}`, p);
      }
      const vs = p + 1;
      const close = s.indexOf('"', vs);
      let value: string;
      if (close >= 0 && close < le && this.#backslashes.next(s, vs) > close) {
        value = close === vs ? '' : this.#cache.get(s, vs, close, hashRange(s, vs, close));
        p = close + 1;
      } else {
        p = this.#escapedValueEnd(s, vs, le, lname, vs - 1);
        value = unescape(s, vs, p, true);
        p++;
      }
      if (value.length > lim.labelValue) {
        this.#cur.limit('maxLabelValueLength', lim.labelValue, `value of label ${JSON.stringify(lname)} is ${value.length} characters long`, vs);
      }
      if (n >= lim.labels) this.#cur.limit('maxLabelsPerSample', lim.labels, `more than ${lim.labels} labels`, nameStart);
      names[n] = lname;
      values[n] = value;
      set.pos[n] = nameStart;
      n++;
      if (!om) p = skipBlanks(s, p, le);
      if (p < le) {
        c = s.charCodeAt(p);
        if (c === RBRACE) {
          set.n = n;
          return p + 1;
        }
        if (c === COMMA) {
          p++;
          continue;
        }
      }
      this.#cur.fail(`expected "," or "}" after the value of label ${JSON.stringify(lname)}, got ${describe(s, p, le)}`, p);
    }
  }

  /** The closing quote of a value that has escapes (or none before the line ends). */
  #escapedValueEnd(s: string, p: number, le: number, lname: string, open: number): number {
    for (;;) {
      if (p >= le) this.#cur.fail(`unterminated value of label ${JSON.stringify(lname)}`, open);
      const c = s.charCodeAt(p);
      if (c === QUOTE) return p;
      p += c === BACKSLASH ? 2 : 1;
    }
  }
}

/** Insertion-sorts a label set by name (they are nearly always sorted already). */
function sortSet(set: LabelSet): void {
  const { names, values, pos, n } = set;
  for (let i = 1; i < n; i++) {
    const name = names[i];
    const value = values[i];
    const at = pos[i];
    let j = i - 1;
    while (j >= 0 && names[j] > name) {
      names[j + 1] = names[j];
      values[j + 1] = values[j];
      pos[j + 1] = pos[j];
      j--;
    }
    names[j + 1] = name;
    values[j + 1] = value;
    pos[j + 1] = at;
  }
}

/** Sorts the set if needed and rejects a repeated name; true if it was sorted already. */
export function ensureSorted(set: LabelSet, cur: Cursor, what: string): boolean {
  const names = set.names;
  const n = set.n;
  let i = 1;
  // Names mostly differ in their first char, which decides without a string comparison.
  for (; i < n; i++) {
    const a = names[i - 1];
    const b = names[i];
    const d = a.charCodeAt(0) - b.charCodeAt(0);
    if (d > 0 || (d === 0 && !(a < b))) break;
  }
  if (i >= n) return true;
  sortSet(set);
  for (let j = 1; j < n; j++) {
    if (names[j] === names[j - 1]) {
      cur.fail(`duplicate ${what} name ${JSON.stringify(names[j])}`, Math.max(set.pos[j], set.pos[j - 1]));
    }
  }
  return false;
}

/**
 * Flat sorted pairs for Labels.fromSortedPairs: the set's labels with empty values dropped
 * (as Labels does) and `__name__` = name in its sorted place.
 */
export function samplePairs(set: LabelSet, name: string, cur: Cursor, sorted: boolean): string[] {
  if (!sorted) ensureSorted(set, cur, 'label');
  const { names, values, n } = set;
  let size = 2;
  for (let j = 0; j < n; j++) if (values[j] !== '') size += 2;
  // Exactly sized: the array lives as long as the series' Labels.
  const kv = new Array<string>(size);
  let k = 0;
  let named = false;
  for (let j = 0; j < n; j++) {
    const ln = names[j];
    if (!named) {
      const c0 = ln.charCodeAt(0);
      // "__name__" sorts after upper-case letters and before lower-case ones.
      if (c0 > 95 || (c0 === 95 && ln >= METRIC_NAME)) {
        if (ln === METRIC_NAME) cur.fail(`label "${METRIC_NAME}" repeats the metric name`, set.pos[j]);
        kv[k++] = METRIC_NAME;
        kv[k++] = name;
        named = true;
      }
    }
    const v = values[j];
    if (v !== '') {
      kv[k++] = ln;
      kv[k++] = v;
    }
  }
  if (!named) {
    kv[k++] = METRIC_NAME;
    kv[k] = name;
  }
  return kv;
}

/** Flat sorted pairs of an exemplar's labels (no name). */
export function exemplarPairs(set: LabelSet, cur: Cursor): string[] {
  ensureSorted(set, cur, 'exemplar label');
  const kv: string[] = [];
  for (let i = 0; i < set.n; i++) if (set.values[i] !== '') kv.push(set.names[i], set.values[i]);
  return kv;
}

/** Label names and values together, in code points (the OpenMetrics exemplar bound). */
export function codePoints(set: LabelSet): number {
  let total = 0;
  for (let i = 0; i < set.n; i++) total += runes(set.names[i]) + runes(set.values[i]);
  return total;
}

function runes(str: string): number {
  let n = str.length;
  for (let i = 1; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const prev = str.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) n--;
    }
  }
  return n;
}
