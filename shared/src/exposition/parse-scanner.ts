/**
 * Low-level scanning for the exposition parser: character classes, a string cache that
 * turns source ranges into shared, long-lived strings, and number scanning. Everything works
 * on char codes of a string range; no regular expressions.
 */

/** Character class bits, for ASCII only (non-ASCII is never part of a name). */
const METRIC_START = 1;
const METRIC_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;

const CLASSES = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  const digit = c >= 48 && c <= 57;
  let bits = 0;
  if (alpha || c === 95) bits |= METRIC_START | METRIC_CHAR | LABEL_START | LABEL_CHAR;
  if (c === 58) bits |= METRIC_START | METRIC_CHAR; // ':' is for recording rules only
  if (digit) bits |= METRIC_CHAR | LABEL_CHAR;
  CLASSES[c] = bits;
}

export function isMetricNameStart(c: number): boolean {
  return c < 128 && (CLASSES[c] & METRIC_START) !== 0;
}
export function isMetricNameChar(c: number): boolean {
  return c < 128 && (CLASSES[c] & METRIC_CHAR) !== 0;
}
export function isLabelNameStart(c: number): boolean {
  return c < 128 && (CLASSES[c] & LABEL_START) !== 0;
}
export function isLabelNameChar(c: number): boolean {
  return c < 128 && (CLASSES[c] & LABEL_CHAR) !== 0;
}

/** Longest string the cache keeps; longer ones are rare and rarely repeat. */
const CACHE_MAX_LENGTH = 256;
/** V8 makes substrings of 13+ chars views into their parent (SlicedString). */
const SLICE_MIN_LENGTH = 13;

/**
 * Copies a substring so that it does not keep the whole scraped body alive: a long-lived
 * series label must not pin megabytes of text. slice() of a fresh concatenation flattens it
 * into a small string of its own (a plain slice, or [str, ''].join(''), would still be a
 * view of the body).
 */
export function detach(str: string): string {
  return str.length < SLICE_MIN_LENGTH ? str : (' ' + str).slice(1);
}

/** The hash the scanners compute while they walk a token: h = h * 31 + c (int32). */
export function hashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

export function hashRange(s: string, a: number, b: number): number {
  let h = 0;
  for (let i = a; i < b; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Turns source ranges into shared strings. Names and most label values repeat line after
 * line (`cpu="0"`, `mode="idle"`), so a hit returns the same long-lived, detached string
 * and allocates nothing lasting; equal names are then usually the same object, so `===`
 * is a pointer check. Scanners hash a token while they walk it anyway, so a direct-mapped
 * table costs little more; a collision just replaces the slot, so memory stays bounded.
 */
export class StringCache {
  readonly #slots: string[];
  readonly #mask: number;

  constructor(bits = 12) {
    this.#slots = new Array<string>(1 << bits).fill('');
    this.#mask = (1 << bits) - 1;
  }

  /** The string s[a, b), whose hash (see hashStep) is h. */
  get(s: string, a: number, b: number, h: number): string {
    const len = b - a;
    if (len > CACHE_MAX_LENGTH) return detach(s.slice(a, b));
    const slot = (h ^ (h >>> 15)) & this.#mask;
    const hit = this.#slots[slot];
    if (hit.length === len && matchesAt(s, a, hit)) return hit;
    const str = detach(s.slice(a, b));
    this.#slots[slot] = str;
    return str;
  }

  /** Returns the cached copy of str, or caches str itself. */
  intern(str: string): string {
    if (str.length > CACHE_MAX_LENGTH) return str;
    const h = hashRange(str, 0, str.length);
    const slot = (h ^ (h >>> 15)) & this.#mask;
    const hit = this.#slots[slot];
    if (hit === str) return hit;
    this.#slots[slot] = str;
    return str;
  }
}

/** True when s[a, a + str.length) equals str, compared in place (no substring). */
export function equalsAt(s: string, a: number, str: string): boolean {
  for (let i = 0; i < str.length; i++) if (s.charCodeAt(a + i) !== str.charCodeAt(i)) return false;
  return true;
}

/**
 * Up to this length a JS loop of charCodeAt beats slice and === once the substring's
 * garbage is counted: measured ~5 ns a char against ~50 ns and ~30 young bytes a slice
 * (each young byte costs ~2 ns of scavenging in a 100-target scrape run).
 */
const LOOP_COMPARE_MAX = 16;

/** Whether s[a, a + str.length) equals str (the caller checked that s is long enough). */
export function matchesAt(s: string, a: number, str: string): boolean {
  return str.length <= LOOP_COMPARE_MAX ? equalsAt(s, a, str) : s.slice(a, a + str.length) === str;
}

/** ParseMemory forgets its HELP texts when it holds more (a target churning family names). */
const HELP_MAX = 8192;

/**
 * What a parser may keep from one parse to the next of bodies from the same source (a
 * scrape loop's successive scrapes: ParseOptions.memory): the string cache, so that it is
 * not rebuilt per body (a 4,096-slot table), and the HELP texts, so that a HELP line equal
 * to last time's (nearly always) reuses that string instead of copying it again. Both are
 * bounded: the string cache is direct-mapped (a collision only costs a copy), the HELP
 * texts are dropped past HELP_MAX. Holds no per-parse state: parses that share one just
 * evict each other's strings (never wrongly).
 */
export class ParseMemory {
  readonly strings = new StringCache();
  /** Last HELP text by family name (a Map: a direct-mapped table missed ~1 in 4 of 300 families). */
  readonly #help = new Map<string, string>();

  /** The HELP text s[a, b) (no escapes) of family `name`: last time's string when equal. */
  help(name: string, s: string, a: number, b: number): string {
    const old = this.#help.get(name);
    if (old !== undefined && old.length === b - a && equalsAt(s, a, old)) return old;
    const text = detach(s.slice(a, b));
    if (old === undefined && this.#help.size >= HELP_MAX) this.#help.clear();
    this.#help.set(name, text);
    return text;
  }
}

/** Where number scanners put their result, so that scanning allocates nothing. */
export interface NumberOut {
  value: number;
}

/** Exact powers of ten: m * 10^e and m / 10^e are correctly rounded for m < 2^53, e <= 22. */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
  1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
/** Above this a mantissa digit could push past 2^53 (9007199254740992). */
const MANTISSA_LIMIT = 900719925474099;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** True when s[p, p+word.length) equals the lower-case word, ignoring ASCII case. */
function matchWordCI(s: string, p: number, end: number, word: string): boolean {
  if (end - p < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (lower(s.charCodeAt(p + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Scans a decimal real number at p: [sign] (digits [. digits*] | . digits) [(e|E) [sign] digits].
 * Returns the index after it, or -1 when no such number starts at p. It does not look at
 * what follows: the caller checks for a separator.
 */
export function scanReal(s: string, p: number, end: number, out: NumberOut): number {
  const start = p;
  let neg = false;
  let c = p < end ? s.charCodeAt(p) : -1;
  if (c === 43 || c === 45) {
    neg = c === 45;
    c = ++p < end ? s.charCodeAt(p) : -1;
  }
  let m = 0;
  let exp10 = 0;
  let digits = 0;
  let slow = false;
  let d: number;
  while (p < end && (d = s.charCodeAt(p) - 48) >= 0 && d <= 9) {
    if (m < MANTISSA_LIMIT) m = m * 10 + d;
    else slow = true;
    digits++;
    p++;
  }
  if (p < end && s.charCodeAt(p) === 46) {
    p++;
    while (p < end && (d = s.charCodeAt(p) - 48) >= 0 && d <= 9) {
      if (m < MANTISSA_LIMIT) {
        m = m * 10 + d;
        exp10--;
      } else if (d !== 0) {
        slow = true;
      }
      digits++;
      p++;
    }
  }
  if (digits === 0) return -1;
  c = p < end ? s.charCodeAt(p) : -1;
  if (c === 101 || c === 69) {
    p++;
    let eneg = false;
    c = p < end ? s.charCodeAt(p) : -1;
    if (c === 43 || c === 45) {
      eneg = c === 45;
      p++;
    }
    let e = 0;
    let edigits = 0;
    while (p < end && (d = s.charCodeAt(p) - 48) >= 0 && d <= 9) {
      if (e < 100000) e = e * 10 + d;
      edigits++;
      p++;
    }
    if (edigits === 0) return -1;
    exp10 += eneg ? -e : e;
  }
  let v: number;
  if (!slow && exp10 === 0) v = m;
  else if (!slow && exp10 > 0 && exp10 <= 22) v = m * POW10[exp10];
  else if (!slow && exp10 < 0 && exp10 >= -22) v = m / POW10[-exp10];
  else {
    // The range is a valid decimal literal, which Number() parses with correct rounding.
    out.value = Number(s.slice(start, p));
    return p;
  }
  out.value = neg ? -v : v;
  return p;
}

/**
 * Scans a sample value: a real number, or [sign] Inf / Infinity, or NaN (case-insensitive,
 * as in Go's ParseFloat and the OpenMetrics ABNF). With `hex`, also Go's hexadecimal floats
 * (`0x1p-3`), which Prometheus accepts in the text format. Returns the index after it or -1.
 */
export function scanFloat(s: string, p: number, end: number, out: NumberOut, hex: boolean): number {
  if (p >= end) return -1;
  let c = s.charCodeAt(p);
  // Fast path: most values start with a digit.
  if (c >= 48 && c <= 57 && !(hex && c === 48 && p + 1 < end && (s.charCodeAt(p + 1) | 32) === 120)) {
    return scanReal(s, p, end, out);
  }
  let q = p;
  let neg = false;
  if (c === 43 || c === 45) {
    neg = c === 45;
    if (++q >= end) return -1;
    c = s.charCodeAt(q);
  }
  if (c === 73 || c === 105) {
    if (matchWordCI(s, q, end, 'infinity')) {
      out.value = neg ? -Infinity : Infinity;
      return q + 8;
    }
    if (matchWordCI(s, q, end, 'inf')) {
      out.value = neg ? -Infinity : Infinity;
      return q + 3;
    }
    return -1;
  }
  if (c === 78 || c === 110) {
    if (q === p && matchWordCI(s, q, end, 'nan')) {
      out.value = NaN;
      return q + 3;
    }
    return -1;
  }
  if (hex && c === 48 && q + 1 < end && (s.charCodeAt(q + 1) | 32) === 120) {
    const r = scanHexFloat(s, q + 2, end, out);
    if (r >= 0 && neg) out.value = -out.value;
    return r;
  }
  return scanReal(s, p, end, out);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Go's hexadecimal float after `0x`: hexdigits [. hexdigits] p [sign] digits (exponent required). */
function scanHexFloat(s: string, p: number, end: number, out: NumberOut): number {
  let m = 0;
  let exp2 = 0;
  let digits = 0;
  let d: number;
  while (p < end && (d = hexDigit(s.charCodeAt(p))) >= 0) {
    if (m < 2 ** 48) m = m * 16 + d;
    else exp2 += 4; // low digits beyond double precision only scale the value
    digits++;
    p++;
  }
  if (p < end && s.charCodeAt(p) === 46) {
    p++;
    while (p < end && (d = hexDigit(s.charCodeAt(p))) >= 0) {
      if (m < 2 ** 48) {
        m = m * 16 + d;
        exp2 -= 4;
      }
      digits++;
      p++;
    }
  }
  if (digits === 0 || p >= end || (s.charCodeAt(p) | 32) !== 112) return -1;
  p++;
  let eneg = false;
  let c = p < end ? s.charCodeAt(p) : -1;
  if (c === 43 || c === 45) {
    eneg = c === 45;
    p++;
  }
  let e = 0;
  let edigits = 0;
  while (p < end && (c = s.charCodeAt(p) - 48) >= 0 && c <= 9) {
    if (e < 100000) e = e * 10 + c;
    edigits++;
    p++;
  }
  if (edigits === 0) return -1;
  exp2 += eneg ? -e : e;
  // Two steps so that 2^exp2 does not overflow before the mantissa brings it back.
  const half = Math.trunc(exp2 / 2);
  out.value = m * 2 ** half * 2 ** (exp2 - half);
  return p;
}

/** Scans a text-format timestamp: [sign] digits, milliseconds. Returns the index after it or -1. */
export function scanInteger(s: string, p: number, end: number, out: NumberOut): number {
  const start = p;
  let neg = false;
  let c = p < end ? s.charCodeAt(p) : -1;
  if (c === 43 || c === 45) {
    neg = c === 45;
    p++;
  }
  let v = 0;
  const digitsStart = p;
  let d: number;
  while (p < end && (d = s.charCodeAt(p) - 48) >= 0 && d <= 9) {
    v = v * 10 + d;
    p++;
  }
  if (p === digitsStart) return -1;
  // Beyond 2^53 the running sum may round differently from a correct parse.
  if (p - digitsStart > 15) v = Math.abs(Number(s.slice(start, p)));
  out.value = neg ? -v : v;
  return p;
}

/**
 * Scans an OpenMetrics timestamp (a real number of seconds, no Inf/NaN) and converts it to
 * milliseconds by moving the decimal exponent, so `1.1` gives exactly 1100.
 */
export function scanSecondsAsMs(s: string, p: number, end: number, out: NumberOut): number {
  const r = scanReal(s, p, end, out);
  if (r < 0) return r;
  const v = out.value;
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 43) {
    out.value = v * 1000;
    return r;
  }
  // Rewrite "<mantissa>e<exp>" as "<mantissa>e<exp+3>" and let Number() round once.
  let mantEnd = p;
  let exp = 0;
  while (mantEnd < r) {
    const c = s.charCodeAt(mantEnd);
    if (c === 101 || c === 69) break;
    mantEnd++;
  }
  if (mantEnd < r) {
    // Beyond a few hundred the result is 0 or Infinity anyway; clamping keeps the string short.
    exp = Math.max(-1e6, Math.min(1e6, Number(s.slice(mantEnd + 1, r))));
  }
  out.value = Number(s.slice(p, mantEnd) + 'e' + (exp + 3));
  return r;
}
