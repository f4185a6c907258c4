/**
 * The line parser: turns complete lines of decoded text into metadata and samples for a
 * FamilyTracker. It scans char codes (no regex, no per-line substrings), reuses scratch for
 * labels, and allocates per sample only the sample: its pair array, Labels and object.
 *
 * Both formats share the code; `om` selects OpenMetrics's stricter grammar (single spaces,
 * no trailing commas, float-seconds timestamps, exemplars, `# EOF`).
 */
import { LimitError, ParseError } from '../errors.js';
import { Labels, METRIC_NAME } from '../labels.js';
import type { Exemplar, Sample } from './model.js';
import type { FamilyTracker, TransientLabel } from './parse-families.js';
import type { ExpositionSink } from './parse-options.js';
import {
  BackslashFinder,
  badToken,
  codePoints,
  describe,
  ensureSorted,
  exemplarPairs,
  LabelReader,
  LabelSet,
  samplePairs,
  skipBlanks,
  type Cursor,
} from './parse-labels.js';
import { MetadataReader } from './parse-metadata.js';
import type { ResolvedLimits } from './parse-options.js';
import {
  hashRange,
  hashStep,
  matchesAt,
  isLabelNameChar,
  isLabelNameStart,
  isMetricNameChar,
  isMetricNameStart,
  scanFloat,
  scanInteger,
  scanSecondsAsMs,
  type NumberOut,
  type ParseMemory,
  type StringCache,
} from './parse-scanner.js';

const SP = 32;
const TAB = 9;
const LF = 10;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const EQUALS = 61;
const LBRACE = 123;
const RBRACE = 125;

/** OpenMetrics: exemplar label names and values together, in code points. */
const MAX_EXEMPLAR_RUNES = 128;

function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}

export class LineParser implements Cursor {
  /** Number of the line being parsed (1-based); after a line, of the next one. */
  lineNo = 1;
  /** True once `# EOF` was read (OpenMetrics). */
  eof = false;
  samples = 0;

  readonly #om: boolean;
  readonly #limits: ResolvedLimits;
  readonly #source: string | undefined;
  readonly #cache: StringCache;
  readonly #tracker: FamilyTracker;
  readonly #reader: LabelReader;
  readonly #metadata: MetadataReader;
  readonly #backslashes = new BackslashFinder();
  readonly #num: NumberOut = { value: 0 };
  readonly #labels = new LabelSet();
  readonly #exLabels = new LabelSet();
  readonly #fastPath: boolean;
  #lineStart = 0;
  /** The previous sample's metric name: most lines repeat it. */
  #prevName = '';
  /** Label count of the previous sample (-1: unknown). */
  #prevCount = -1;
  /** The sample being delivered, as written (`name{labels}`): text and range; end -1 if unknown. */
  #seriesText = '';
  #seriesStart = 0;
  #seriesEnd = -1;

  /** Fast-path samples go out as one reused object whose labels are built when read. */
  readonly #transient: TransientSample | undefined;
  /** The sink, when it can tell known series by their text (ExpositionSink.knownSeries). */
  readonly #known: ExpositionSink | undefined;
  /** Set by #fastLabels: the label names read are the previous sample's, in order. */
  #sameNames = true;
  /** A sample of a series the sink called known is being delivered. */
  #knownNow = false;

  /**
   * `fastPath: false` parses every line with the general code (tests compare the two).
   * `transient`: the sink keeps no sample (ExpositionSink.transientSamples; text format);
   * `sink`, with transient: asked for known series (ExpositionSink.knownSeries).
   * `memory`: kept from earlier parses (ParseOptions.memory); `cache` is its string cache.
   */
  constructor(
    om: boolean,
    limits: ResolvedLimits,
    source: string | undefined,
    cache: StringCache,
    tracker: FamilyTracker,
    fastPath = true,
    transient = false,
    sink?: ExpositionSink,
    memory?: ParseMemory,
  ) {
    this.#transient = transient && !om ? new TransientSample(this.#labels, this) : undefined;
    this.#known = this.#transient !== undefined && fastPath && typeof sink?.knownSeries === 'function' ? sink : undefined;
    this.#om = om;
    this.#limits = limits;
    this.#source = source;
    this.#cache = cache;
    this.#tracker = tracker;
    this.#fastPath = fastPath;
    this.#reader = new LabelReader(om, limits, cache, this, this.#backslashes);
    this.#metadata = new MetadataReader(limits, tracker, this, this.#backslashes, memory);
  }

  /** Parses the lines of s[0, end); s[end - 1] is a newline. */
  feed(s: string, end: number): void {
    this.#backslashes.reset();
    const om = this.#om;
    const fast = this.#fastPath;
    let p = 0;
    while (p < end) {
      const c = s.charCodeAt(p);
      let le: number;
      // Sample lines (most lines) go straight to the fast path, which also finds their end.
      if (fast && c !== HASH && c !== SP && c !== TAB && c !== LF && !(om && this.eof)) {
        this.#lineStart = p;
        le = this.#known === undefined ? -1 : this.#knownSample(s, p, end);
        if (le < 0) le = this.#fastSample(s, p, end);
        if (le < 0) {
          le = s.indexOf('\n', p);
          if (le < 0 || le > end) le = end;
          this.#line(s, p, le, false);
        }
      } else {
        le = s.indexOf('\n', p);
        if (le < 0 || le > end) le = end;
        this.#line(s, p, le, fast);
      }
      p = le + 1;
      this.lineNo++;
    }
  }

  /** Parses the last line (s, without a newline; may be empty) and runs the end-of-input checks. */
  finish(s: string): void {
    this.#backslashes.reset();
    let column = 1;
    if (s.length > 0) {
      this.#line(s, 0, s.length, this.#fastPath);
      column = s.length + 1;
    }
    this.#tracker.end(this.lineNo);
    if (this.#om && !this.eof) {
      throw new ParseError('missing "# EOF" at the end of OpenMetrics input', { line: this.lineNo, column }, this.#source);
    }
  }

  /**
   * The series of the sample being delivered exactly as the body writes it (`name{a="x"}`,
   * no value), or undefined when the general code parsed its line (escapes, extra blanks,
   * exemplars...). Read it inside the sink's `sample()`: equal texts are equal label sets,
   * so a consumer can key a cache by it (Prometheus's scrape cache does).
   */
  seriesText(): string | undefined {
    return this.#seriesEnd < 0 ? undefined : this.#seriesText.slice(this.#seriesStart, this.#seriesEnd);
  }

  /** The metric name of seriesText() (the name the sample was delivered with), or undefined. */
  seriesName(): string | undefined {
    return this.#seriesEnd < 0 ? undefined : this.#prevName;
  }

  /**
   * Inside the sink's `sample()`: whether the sample's series is the one the sink's last
   * `knownSeries` answer named (false when the line was read otherwise after all).
   */
  seriesKnown(): boolean {
    return this.#knownNow;
  }

  /** Throws a ParseError at index p of the current line. */
  fail(reason: string, p: number): never {
    throw new ParseError(reason, { line: this.lineNo, column: p - this.#lineStart + 1 }, this.#source);
  }

  limit(limit: string, max: number, what: string, p: number): never {
    const where = `${this.#source ? `${this.#source}:` : ''}${this.lineNo}:${p - this.#lineStart + 1}`;
    throw new LimitError(limit, max, `${where}: ${what} (limit ${limit} = ${max})`);
  }

  #line(s: string, ls: number, le: number, fast: boolean): void {
    this.#lineStart = ls;
    if (le - ls > this.#limits.lineLength) {
      this.limit('maxLineLength', this.#limits.lineLength, `line is ${le - ls} characters long`, ls);
    }
    if (this.#om) {
      if (this.eof) this.fail('unexpected content after "# EOF"', ls);
      if (ls === le) this.fail('blank lines are not allowed in OpenMetrics', ls);
      if (s.charCodeAt(ls) === HASH) this.eof = this.#metadata.openMetrics(s, ls, le);
      else this.#sample(s, ls, le, fast);
    } else {
      const p = skipBlanks(s, ls, le);
      if (p === le) return;
      let name: string;
      if (s.charCodeAt(p) !== HASH) this.#sample(s, p, le, fast);
      // After a TYPE line, the family's samples come next and start with its name.
      else if ((name = this.#metadata.text(s, p, le)) !== '') this.#prevName = name;
    }
  }

  /** Scans a metric name that must start at p; returns its end. */
  #metricNameEnd(s: string, p: number, le: number, what: string): number {
    if (p >= le || !isMetricNameStart(s.charCodeAt(p))) this.fail(`expected ${what}, got ${describe(s, p, le)}`, p);
    let q = p + 1;
    while (q < le && isMetricNameChar(s.charCodeAt(q))) q++;
    if (q - p > this.#limits.labelValue) {
      this.limit('maxLabelValueLength', this.#limits.labelValue, `metric name is ${q - p} characters long`, p);
    }
    return q;
  }

  #sample(s: string, p: number, le: number, fast: boolean): void {
    if (!fast || this.#fastSample(s, p, le) < 0) this.#slowSample(s, p, le);
  }

  /**
   * The common form of a sample line, `name{a="x",b="y"} value[ timestamp]`, with single
   * spaces, no escapes and no exemplar, valid in both formats. The line starts at p and
   * ends at the next newline, or at `end`; returns that end. Returns -1, having changed
   * nothing that matters, on anything else; the general code then parses the line again
   * and reports any error. Kept free of error handling so that it stays small.
   */
  #fastSample(s: string, p: number, end: number): number {
    const lim = this.#limits;
    const cache = this.#cache;
    let name = this.#prevName;
    let q = p + name.length;
    let c = s.charCodeAt(q);
    // slice and === beat startsWith (a builtin call comparing char by char) by far.
    if (name === '' || q > end || (c !== LBRACE && c !== SP) || s.slice(p, q) !== name) {
      c = s.charCodeAt(p);
      if (!isMetricNameStart(c)) return -1;
      let h = c;
      q = p + 1;
      while (q < end && isMetricNameChar((c = s.charCodeAt(q)))) {
        h = hashStep(h, c);
        q++;
      }
      c = s.charCodeAt(q);
      if ((c !== LBRACE && c !== SP) || q >= end || q - p > lim.labelValue) return -1;
      name = cache.get(s, p, q, h);
      this.#prevName = name;
    }
    const set = this.#labels;
    let n = 0;
    // Whether the label names are the previous sample's, in order (so sorted as they were).
    let same = true;
    if (c === LBRACE) {
      q = this.#fastLabels(s, q + 1, end);
      if (q < 0 || q >= end || s.charCodeAt(q) !== SP) return -1;
      n = set.n;
      same = this.#sameNames;
    } else {
      set.n = 0;
    }
    const num = this.#num;
    let le = scanFloat(s, q + 1, end, num, !this.#om);
    if (le < 0) return -1;
    const value = num.value;
    let ts: number | undefined;
    if (le < end && (c = s.charCodeAt(le)) !== LF) {
      // Timestamps in the text format only; OpenMetrics seconds take the general path.
      if (this.#om || c !== SP) return -1;
      le = scanInteger(s, le + 1, end, num);
      if (le < 0 || (le < end && s.charCodeAt(le) !== LF)) return -1;
      ts = num.value;
    }
    if (le - p > lim.lineLength) return -1;
    // The scratch names are left sorted by every parsed line, so the same names in the
    // same order are sorted and distinct already.
    if (!same || n !== this.#prevCount) ensureSorted(set, this, 'label');
    this.#prevCount = n;
    this.#seriesText = s;
    this.#seriesStart = p;
    this.#seriesEnd = q;
    this.#emit(name, value, ts, undefined, p, true);
    this.#seriesEnd = -1;
    return le;
  }

  /**
   * The labels of the fast path, `a="x",b="y"}` from q (just after the `{`) into the scratch
   * set; returns the index after the `}`, or -1 on anything else (escapes, blanks, a limit).
   * Sets #sameNames.
   */
  #fastLabels(s: string, q: number, end: number): number {
    const lim = this.#limits;
    const cache = this.#cache;
    const set = this.#labels;
    const names = set.names;
    const values = set.values;
    let n = 0;
    let same = true;
    let c: number;
    if (s.charCodeAt(q) === RBRACE) {
      set.n = 0;
      this.#sameNames = true;
      return q + 1;
    }
    for (;;) {
      const ns = q;
      let ln = n < names.length ? names[n] : '';
      const e = q + ln.length;
      if (ln === '' || e >= end || s.charCodeAt(e) !== EQUALS || !matchesAt(s, q, ln)) {
        same = false;
        c = s.charCodeAt(q);
        if (!isLabelNameStart(c)) return -1;
        let h = c;
        q++;
        while (q < end && isLabelNameChar((c = s.charCodeAt(q)))) {
          h = hashStep(h, c);
          q++;
        }
        if (c !== EQUALS || q >= end || q - ns > lim.labelName) return -1;
        ln = cache.get(s, ns, q, h);
      } else {
        q = e;
      }
      if (s.charCodeAt(q + 1) !== QUOTE || n >= lim.labels) return -1;
      const vs = q + 2;
      // One pass finds the closing quote, rejects escapes and hashes the value.
      let close = vs;
      let h = 0;
      while ((c = s.charCodeAt(close)) !== QUOTE) {
        if (c === BACKSLASH || c === LF || close >= end) return -1;
        h = hashStep(h, c);
        close++;
      }
      if (close - vs > lim.labelValue) return -1;
      names[n] = ln;
      values[n] = close === vs ? '' : cache.get(s, vs, close, h);
      set.pos[n] = ns;
      n++;
      q = close + 1;
      c = s.charCodeAt(q);
      if (c === COMMA) {
        q++;
        continue;
      }
      if (c !== RBRACE) return -1;
      set.n = n;
      this.#sameNames = same;
      return q + 1;
    }
  }

  /**
   * A sample line whose series the sink knows (ExpositionSink.knownSeries): its labels were
   * read and checked when the sink first saw its text, so only the name (for its family),
   * the value and the timestamp are read; the labels are built only if the sample's
   * `labels` are read. Returns the end of the line, or -1 (the fast path then reads it).
   */
  #knownSample(s: string, p: number, end: number): number {
    const known = this.#known!;
    const len = known.knownSeries!(s, p, end);
    if (len <= 0) return -1;
    const q = p + len;
    if (q >= end || s.charCodeAt(q) !== SP) return -1;
    // The sink's name for the text (seriesName() gave it with the text; checked for shape
    // only), else the previous line's if the line starts with it, else read.
    const given = known.knownName;
    let name: string;
    let ne: number;
    let c: number;
    if (given !== undefined && given !== '' && (ne = p + given.length) <= q && (ne === q || s.charCodeAt(ne) === LBRACE)) {
      name = given;
      this.#prevName = given;
    } else if ((name = this.#prevName) === '' || (ne = p + name.length) > q || (ne !== q && s.charCodeAt(ne) !== LBRACE) || s.slice(p, ne) !== name) {
      c = s.charCodeAt(p);
      if (!isMetricNameStart(c)) return -1;
      let h = c;
      ne = p + 1;
      while (ne < q && isMetricNameChar((c = s.charCodeAt(ne)))) {
        h = hashStep(h, c);
        ne++;
      }
      if (ne !== q && c !== LBRACE) return -1;
      name = this.#cache.get(s, p, ne, h);
      this.#prevName = name;
    }
    const lim = this.#limits;
    const num = this.#num;
    let le = scanFloat(s, q + 1, end, num, true);
    if (le < 0) return -1;
    const value = num.value;
    let ts: number | undefined;
    if (le < end && (c = s.charCodeAt(le)) !== LF) {
      if (c !== SP) return -1;
      le = scanInteger(s, le + 1, end, num);
      if (le < 0 || (le < end && s.charCodeAt(le) !== LF)) return -1;
      ts = num.value;
    }
    if (le - p > lim.lineLength) return -1;
    if (++this.samples > lim.samples) this.limit('maxSamples', lim.samples, `more than ${lim.samples} samples`, p);
    this.#seriesText = s;
    this.#seriesStart = p;
    this.#seriesEnd = q;
    const tr = this.#transient!;
    tr.setKnown(name, value, ts, s, ne, q);
    this.#knownNow = true;
    this.#tracker.sample(name, tr, null, this.lineNo);
    this.#knownNow = false;
    this.#seriesEnd = -1;
    return le;
  }

  /**
   * The labels of a known series (see #knownSample), `{...}` at s[b, e) or none (b === e),
   * read into the scratch set on demand, during the sink's or the tracker's call.
   */
  knownLabels(name: string, s: string, b: number, e: number): Labels {
    this.#readKnown(s, b, e);
    return Labels.fromSortedPairs(samplePairs(this.#labels, name, this, true));
  }

  /** The value of one label of a known series (see knownLabels), '' if none: no Labels built. */
  knownLabel(s: string, b: number, e: number, label: string): string {
    this.#readKnown(s, b, e);
    return scratchValue(this.#labels, label);
  }

  /** Reads a known series' labels into the scratch set, leaving it sorted (as every line does). */
  #readKnown(s: string, b: number, e: number): void {
    const set = this.#labels;
    if (b === e) {
      set.n = 0;
    } else if (this.#fastLabels(s, b + 1, e) !== e) {
      this.fail('a series the sink called known does not read as one', b);
    }
    const n = set.n;
    if (!this.#sameNames || n !== this.#prevCount) ensureSorted(set, this, 'label');
    this.#prevCount = n;
  }

  /** Makes the sample from the scratch labels and hands it to the tracker. */
  #emit(name: string, value: number, ts: number | undefined, ex: Exemplar | undefined, nameStart: number, sorted: boolean): void {
    if (++this.samples > this.#limits.samples) {
      this.limit('maxSamples', this.#limits.samples, `more than ${this.#limits.samples} samples`, nameStart);
    }
    const tr = this.#transient;
    if (tr !== undefined && sorted && ex === undefined && !namesMetricName(this.#labels)) {
      tr.set(name, value, ts);
      this.#tracker.sample(name, tr, null, this.lineNo);
      return;
    }
    const kv = samplePairs(this.#labels, name, this, sorted);
    const labels = Labels.fromSortedPairs(kv);
    let sample: Sample;
    if (ts === undefined) sample = ex === undefined ? { labels, value } : { labels, value, exemplar: ex };
    else sample = ex === undefined ? { labels, value, timestampMs: ts } : { labels, value, timestampMs: ts, exemplar: ex };
    this.#tracker.sample(name, sample, kv, this.lineNo);
  }

  #slowSample(s: string, p: number, le: number): void {
    const om = this.#om;
    const nameStart = p;
    let c: number;
    // Most lines repeat the previous line's metric name: compare natively, then check
    // that the name really ends there.
    let name = this.#prevName;
    const after = p + name.length;
    if (name !== '' && after <= le && !isMetricNameChar(s.charCodeAt(after)) && s.slice(p, after) === name) {
      p = after;
    } else {
      p = this.#metricNameEnd(s, p, le, 'a metric name');
      name = this.#cache.get(s, nameStart, p, hashRange(s, nameStart, p));
      this.#prevName = name;
    }
    if (p < le && (c = s.charCodeAt(p)) !== SP && c !== LBRACE && (om || c !== TAB)) {
      this.fail(`invalid character ${describe(s, p, le)} in metric name`, p);
    }

    // Labels.
    const set = this.#labels;
    set.n = 0;
    if (!om) p = skipBlanks(s, p, le);
    if (p < le && s.charCodeAt(p) === LBRACE) {
      p = this.#reader.read(s, p + 1, le, set);
      if (!om) p = skipBlanks(s, p, le);
    }

    // Value.
    if (om) {
      if (p >= le || s.charCodeAt(p) !== SP) {
        this.fail(p >= le ? `expected a space and a value after the metric` : `expected a space before the value, got ${describe(s, p, le)}`, p);
      }
      p++;
    }
    const valueStart = p;
    p = scanFloat(s, p, le, this.#num, !om);
    // What follows the number: a separator, or the end of the line (read as a space).
    c = p < 0 ? -1 : p < le ? s.charCodeAt(p) : SP;
    if (c !== SP && (om || c !== TAB)) {
      if (c === TAB) this.fail('unexpected U+0009 after the value: OpenMetrics separates fields with one space', p);
      badToken(this, 'value', s, valueStart, le);
    }
    const value = this.#num.value;

    // Timestamp and exemplar.
    let ts: number | undefined;
    let ex: Exemplar | undefined;
    if (p < le) {
      if (om) {
        p++;
        if (p >= le) this.fail('expected a timestamp or an exemplar after the space', p);
        if (s.charCodeAt(p) !== HASH) {
          const tsStart = p;
          p = scanSecondsAsMs(s, p, le, this.#num);
          if (p < 0 || (p < le && s.charCodeAt(p) !== SP)) badToken(this, 'timestamp', s, tsStart, le);
          ts = this.#num.value;
          if (p < le) {
            p++;
            if (p >= le || s.charCodeAt(p) !== HASH) this.fail(`expected "# {" to start an exemplar, got ${describe(s, p, le)}`, p);
          }
        }
        if (p < le) ex = this.#exemplar(s, p, le);
      } else {
        p = skipBlanks(s, p, le);
        if (p < le) {
          const tsStart = p;
          p = scanInteger(s, p, le, this.#num);
          if (p < 0 || (p < le && !isBlank(s.charCodeAt(p)))) badToken(this, 'timestamp', s, tsStart, le, ' (expected integer milliseconds)');
          ts = this.#num.value;
          p = skipBlanks(s, p, le);
          if (p < le) badToken(this, 'text after the timestamp', s, p, le);
        }
      }
    }

    this.#prevCount = -1; // the general path may reorder the scratch names
    this.#emit(name, value, ts, ex, nameStart, false);
  }

  /** ` # {labels} value [timestamp]` from the `#` at p to the end of the line (OpenMetrics). */
  #exemplar(s: string, p: number, le: number): Exemplar {
    if (p + 2 >= le || s.charCodeAt(p + 1) !== SP || s.charCodeAt(p + 2) !== LBRACE) {
      this.fail(`expected "# {" to start an exemplar`, p);
    }
    const set = this.#exLabels;
    const labelsStart = p + 2;
    p = this.#reader.read(s, p + 3, le, set);
    const runes = codePoints(set);
    if (runes > MAX_EXEMPLAR_RUNES) {
      this.fail(`exemplar labels have ${runes} characters, more than ${MAX_EXEMPLAR_RUNES}`, labelsStart);
    }
    if (p >= le || s.charCodeAt(p) !== SP) this.fail(`expected a space and a value after the exemplar labels`, p);
    p++;
    const valueStart = p;
    p = scanFloat(s, p, le, this.#num, false);
    if (p < 0 || (p < le && s.charCodeAt(p) !== SP)) badToken(this, 'exemplar value', s, valueStart, le);
    const value = this.#num.value;
    let ts: number | undefined;
    if (p < le) {
      p++;
      const tsStart = p;
      p = scanSecondsAsMs(s, p, le, this.#num);
      if (p < 0) badToken(this, 'exemplar timestamp', s, tsStart, le);
      if (p < le) this.fail(`unexpected ${describe(s, p, le)} after the exemplar timestamp`, p);
      ts = this.#num.value;
    }
    const labels = Labels.fromSortedPairs(exemplarPairs(set, this));
    return ts === undefined ? { labels, value } : { labels, value, timestampMs: ts };
  }
}

/** The value of label `name` in the scratch set, '' if none (as in pairs, which drop ''). */
function scratchValue(set: LabelSet, name: string): string {
  const names = set.names;
  for (let j = 0; j < set.n; j++) if (names[j] === name) return set.values[j];
  return '';
}

/** Whether a label of the scratch set is `__name__` (an error samplePairs reports). */
function namesMetricName(set: LabelSet): boolean {
  const names = set.names;
  for (let j = 0; j < set.n; j++) if (names[j] === METRIC_NAME) return true;
  return false;
}

/**
 * The sample handed to a sink that keeps none (ExpositionSink.transientSamples): one object
 * per parser, refilled for each fast-path line; `labels` is built from the parser's scratch
 * labels on first read, so it is valid only during the sink's `sample()`.
 */
class TransientSample implements Sample, TransientLabel {
  value = 0;
  timestampMs: number | undefined = undefined;
  readonly #set: LabelSet;
  readonly #parser: LineParser;
  #name = '';
  #labels: Labels | undefined;
  /** A known series (LineParser.knownLabels): its text and the range of its `{...}`; -1: none. */
  #text = '';
  #braces = -1;
  #end = 0;

  constructor(set: LabelSet, parser: LineParser) {
    this.#set = set;
    this.#parser = parser;
  }

  /** A sample whose labels are in the parser's scratch set. */
  set(name: string, value: number, ts: number | undefined): void {
    this.#name = name;
    this.value = value;
    this.timestampMs = ts;
    this.#labels = undefined;
    this.#braces = -1;
  }

  /** A sample of a known series, whose labels `{...}` are s[b, e) (none when b === e), not yet read. */
  setKnown(name: string, value: number, ts: number | undefined, s: string, b: number, e: number): void {
    this.#name = name;
    this.value = value;
    this.timestampMs = ts;
    this.#labels = undefined;
    this.#text = s;
    this.#braces = b;
    this.#end = e;
  }

  /**
   * The value of one label ('' if none), without building `labels` when they were not read:
   * the text format's checks of `le` and `quantile` (TransientLabel).
   */
  label(name: string): string {
    if (this.#labels !== undefined) return this.#labels.get(name);
    return this.#braces < 0 ? scratchValue(this.#set, name) : this.#parser.knownLabel(this.#text, this.#braces, this.#end, name);
  }

  get labels(): Labels {
    if (this.#labels === undefined) {
      this.#labels =
        this.#braces < 0
          ? Labels.fromSortedPairs(samplePairs(this.#set, this.#name, this.#parser, true))
          : this.#parser.knownLabels(this.#name, this.#text, this.#braces, this.#end);
    }
    return this.#labels;
  }
}
