/**
 * Metadata lines: `# HELP`, `# TYPE` (and in OpenMetrics `# UNIT` and `# EOF`). The text
 * format reads them as Prometheus's promparse does (blanks may vary; other `#` lines are
 * comments); OpenMetrics allows exactly one space between fields and no other comments.
 */
import type { MetricType } from './model.js';
import { META_HELP, META_TYPE, META_UNIT, type FamilyTracker, type MetaKind } from './parse-families.js';
import { badToken, describe, skipBlanks, unescape, type BackslashFinder, type Cursor } from './parse-labels.js';
import type { ResolvedLimits } from './parse-options.js';
import { detach, equalsAt, hashRange, isMetricNameChar, isMetricNameStart, type ParseMemory } from './parse-scanner.js';

const SP = 32;
const TAB = 9;

/** Type words and their model types; untyped is the text format's unknown. */
const TEXT_TYPES: readonly (readonly [string, MetricType])[] = [
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['summary', 'summary'],
  ['untyped', 'unknown'],
];
const OM_TYPES: readonly (readonly [string, MetricType])[] = [
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['gaugehistogram', 'gaugehistogram'],
  ['summary', 'summary'],
  ['info', 'info'],
  ['stateset', 'stateset'],
  ['unknown', 'unknown'],
];

/** The type whose word is exactly s[a, b), if any. */
function matchType(types: readonly (readonly [string, MetricType])[], s: string, a: number, b: number): MetricType | undefined {
  for (const [word, type] of types) if (word.length === b - a && sameAt(s, a, word)) return type;
  return undefined;
}

/** True when s holds the 4-letter keyword at p. */
function keywordAt(s: string, p: number, kw: string): boolean {
  return (
    s.charCodeAt(p) === kw.charCodeAt(0) &&
    s.charCodeAt(p + 1) === kw.charCodeAt(1) &&
    s.charCodeAt(p + 2) === kw.charCodeAt(2) &&
    s.charCodeAt(p + 3) === kw.charCodeAt(3)
  );
}

function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}

function sameAt(s: string, p: number, str: string): boolean {
  for (let i = 0; i < str.length; i++) if (s.charCodeAt(p + i) !== str.charCodeAt(i)) return false;
  return true;
}

export class MetadataReader {
  readonly #limits: ResolvedLimits;
  readonly #tracker: FamilyTracker;
  readonly #cur: Cursor;
  readonly #backslashes: BackslashFinder;
  /** Kept from earlier parses (ParseOptions.memory): last time's HELP texts and names. */
  readonly #memory: ParseMemory | undefined;
  /** The previous metadata line's metric name: `# TYPE` repeats the `# HELP` name. */
  #prev = '';
  /** The name #name found, or '' when it is new. */
  #nameValue = '';

  constructor(limits: ResolvedLimits, tracker: FamilyTracker, cursor: Cursor, backslashes: BackslashFinder, memory?: ParseMemory) {
    this.#limits = limits;
    this.#tracker = tracker;
    this.#cur = cursor;
    this.#backslashes = backslashes;
    this.#memory = memory;
  }

  /**
   * The metric name of a metadata line, at p; returns its end, which must be followed by
   * one of the given chars or the end of the line. Sets #nameValue to the name when it is
   * the previous metadata line's (`# TYPE` after `# HELP`), else to '' and the caller makes
   * the string: a HELP line copies name and text together.
   */
  #name(s: string, p: number, le: number, kw: string, sep1: number, sep2: number): number {
    const prev = this.#prev;
    const e = p + prev.length;
    let c: number;
    if (prev !== '' && e <= le && (e === le || (c = s.charCodeAt(e)) === sep1 || c === sep2) && equalsAt(s, p, prev)) {
      this.#nameValue = prev;
      return e;
    }
    c = s.charCodeAt(p);
    if (p >= le || !isMetricNameStart(c)) this.#cur.fail(`expected a metric name after ${kw}, got ${describe(s, p, le)}`, p);
    let end = p + 1;
    while (end < le && isMetricNameChar((c = s.charCodeAt(end)))) end++;
    if (end - p > this.#limits.labelValue) {
      this.#cur.limit('maxLabelValueLength', this.#limits.labelValue, `metric name is ${end - p} characters long`, p);
    }
    if (end < le && c !== sep1 && c !== sep2) this.#cur.fail(`invalid character ${describe(s, end, le)} in metric name`, end);
    this.#nameValue = '';
    return end;
  }

  /** The name at [p, nameEnd) (unless #name found it) and the HELP text at [helpStart, le). */
  #help(s: string, p: number, nameEnd: number, helpStart: number, le: number, quote: boolean): string {
    let name = this.#nameValue;
    let help: string;
    const memory = this.#memory;
    if (memory !== undefined && this.#backslashes.next(s, helpStart) >= le) {
      // A body scraped again: the name from the string cache, the text as last time's.
      if (name === '') name = memory.strings.get(s, p, nameEnd, hashRange(s, p, nameEnd));
      help = memory.help(name, s, helpStart, le);
    } else if (this.#backslashes.next(s, helpStart) >= le) {
      // One copy for both: the strings view a copy of this line, not the body.
      const copy = detach(s.slice(p, le));
      if (name === '') name = copy.slice(0, nameEnd - p);
      help = copy.slice(helpStart - p);
    } else {
      if (name === '') name = detach(s.slice(p, nameEnd));
      help = unescape(s, helpStart, le, quote, this.#backslashes);
    }
    this.#prev = name;
    this.#tracker.metadata(META_HELP, name, help, this.#cur.lineNo);
    return name;
  }

  /** The name of a TYPE or UNIT line: #nameValue, or a copy of [p, nameEnd). */
  #nameOf(s: string, p: number, nameEnd: number): string {
    let name = this.#nameValue;
    if (name === '') {
      const memory = this.#memory;
      name = memory === undefined ? detach(s.slice(p, nameEnd)) : memory.strings.get(s, p, nameEnd, hashRange(s, p, nameEnd));
      this.#prev = name;
    }
    return name;
  }

  /**
   * A `#` line of the text format: `# HELP`/`# TYPE` as Prometheus's promparse reads them,
   * else a comment. Returns the metric name of a TYPE line, else ''.
   */
  text(s: string, p: number, le: number): string {
    let q = p + 1;
    if (q >= le || !isBlank(s.charCodeAt(q))) return '';
    q = skipBlanks(s, q, le);
    let kind: MetaKind;
    if (keywordAt(s, q, 'HELP')) kind = META_HELP;
    else if (keywordAt(s, q, 'TYPE')) kind = META_TYPE;
    else return '';
    q += 4;
    if (q >= le || !isBlank(s.charCodeAt(q))) return ''; // e.g. "# HELPER"
    q = skipBlanks(s, q, le);
    const nameStart = q;
    const nameEnd = this.#name(s, q, le, kind === META_HELP ? 'HELP' : 'TYPE', SP, TAB);
    q = skipBlanks(s, nameEnd, le);
    if (kind === META_HELP) {
      this.#help(s, nameStart, nameEnd, q, le, false);
      return '';
    }
    const name = this.#nameOf(s, nameStart, nameEnd);
    const typeStart = q;
    while (q < le && !isBlank(s.charCodeAt(q))) q++;
    const type = matchType(TEXT_TYPES, s, typeStart, q);
    if (type === undefined) badToken(this.#cur, 'metric type', s, typeStart, le, ' (expected counter, gauge, histogram, summary or untyped)');
    q = skipBlanks(s, q, le);
    if (q < le) this.#cur.fail(`unexpected text after the metric type`, q);
    this.#tracker.metadata(META_TYPE, name, type, this.#cur.lineNo);
    return name;
  }

  /**
   * A `#` line of OpenMetrics: exactly `# EOF`, `# HELP name text`, `# TYPE name type` or
   * `# UNIT name unit`. Returns true for `# EOF`.
   */
  openMetrics(s: string, p: number, le: number): boolean {
    if (le - p === 5 && s.startsWith('# EOF', p)) return true;
    if (p + 1 >= le || s.charCodeAt(p + 1) !== SP) this.#cur.fail(`expected "# HELP", "# TYPE", "# UNIT" or "# EOF"`, p);
    let q = p + 2;
    let kind: MetaKind;
    if (keywordAt(s, q, 'HELP')) kind = META_HELP;
    else if (keywordAt(s, q, 'TYPE')) kind = META_TYPE;
    else if (keywordAt(s, q, 'UNIT')) kind = META_UNIT;
    else if (s.startsWith('EOF', q)) this.#cur.fail('unexpected text after "# EOF"', q + 3);
    else badToken(this.#cur, 'metadata keyword', s, q, le, ' (expected HELP, TYPE, UNIT or EOF)');
    const kw = s.slice(q, q + 4);
    q += 4;
    if (q >= le || s.charCodeAt(q) !== SP) {
      this.#cur.fail(q >= le ? `expected a metric name after ${kw}` : `expected a space after ${kw}`, q);
    }
    q++;
    const nameStart = q;
    const nameEnd = this.#name(s, q, le, kw, SP, SP);
    if (nameEnd >= le) this.#cur.fail(`expected a space and the ${kw.toLowerCase()} after the metric name`, nameEnd);
    q = nameEnd + 1;
    if (kind === META_HELP) {
      this.#help(s, nameStart, nameEnd, q, le, true);
      return false;
    }
    const name = this.#nameOf(s, nameStart, nameEnd);
    let text: string;
    if (kind === META_TYPE) {
      const type = matchType(OM_TYPES, s, q, le);
      if (type === undefined) {
        this.#cur.fail(`invalid metric type ${JSON.stringify(s.slice(q, Math.min(le, q + 40)))} (expected counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown)`, q);
      }
      text = type;
    } else {
      for (let i = q; i < le; i++) {
        if (!isMetricNameChar(s.charCodeAt(i))) this.#cur.fail(`invalid character ${describe(s, i, le)} in unit`, i);
      }
      text = detach(s.slice(q, le));
    }
    this.#tracker.metadata(kind, name, text, this.#cur.lineNo);
    return false;
  }
}
