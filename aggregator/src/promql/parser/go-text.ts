/**
 * Text formatting that reproduces Go's standard library (strconv, fmt) byte for byte.
 * Prometheus builds its error messages and canonical query strings with these, and our
 * answers must match them exactly.
 *
 * Strings here are JS strings. Go strings may hold bytes that are not UTF-8 (from escapes like
 * `"\xff"`); we carry each such byte b (0x80..0xff) as the lone surrogate U+DC00+b
 * ("surrogate escape"), so it survives round trips and prints back as `\xff`.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's unicode.IsPrint. */
export function isPrint(cp: number): boolean {
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

/** The raw byte a surrogate-escaped code point stands for, or -1. */
export function escapedByte(cp: number): number {
  return cp >= 0xdc80 && cp <= 0xdcff ? cp - 0xdc00 : -1;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeRune(cp: number, quote: number): string {
  if (cp === quote || cp === 0x5c) return '\\' + String.fromCodePoint(cp);
  if (isPrint(cp)) return String.fromCodePoint(cp);
  switch (cp) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const b = escapedByte(cp);
    out += b >= 0 ? '\\x' + hex(b, 2) : escapeRune(cp, 0x22);
  }
  return out + '"';
}

/** fmt's `%.Nq` on a string: quote the first n runes. */
export function goQuotePrefix(s: string, n: number): string {
  let taken = '';
  let count = 0;
  for (const ch of s) {
    if (count++ >= n) break;
    taken += ch;
  }
  return goQuote(taken);
}

function validRune(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

/** strconv.QuoteRune (fmt's `%q` on a rune); invalid runes print as U+FFFD. */
export function goQuoteRune(cp: number): string {
  const r = validRune(cp) ? cp : 0xfffd;
  return "'" + escapeRune(r, 0x27) + "'";
}

/** fmt's `%#U`: `U+0063 'c'`. */
export function goUnicode(cp: number): string {
  const code = 'U+' + (cp < 0 ? 'FFFD' : cp.toString(16).toUpperCase().padStart(4, '0'));
  return validRune(cp) && isPrint(cp) ? `${code} '${String.fromCodePoint(cp)}'` : code;
}

/** Expands JS's shortest round-trip digits into sign, digit string and decimal point position. */
function shortestDigits(v: number): { neg: boolean; digits: string; dp: number } {
  const neg = v < 0 || Object.is(v, -0);
  const [mant, expStr] = Math.abs(v).toExponential().split('e');
  const digits = mant!.replace('.', '');
  return { neg, digits, dp: Number(expStr) + 1 };
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/** strconv.FormatFloat(v, 'f', -1, 64). */
export function formatFloatF(v: number): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { neg, digits, dp } = shortestDigits(v);
  let s: string;
  if (dp <= 0) s = '0.' + '0'.repeat(-dp) + digits;
  else if (dp >= digits.length) s = digits + '0'.repeat(dp - digits.length);
  else s = digits.slice(0, dp) + '.' + digits.slice(dp);
  return neg ? '-' + s : s;
}

/** fmt's `%v` on a float64 (strconv 'g' with shortest precision). */
export function formatFloatV(v: number): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { neg, digits, dp } = shortestDigits(v);
  const exp = dp - 1;
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return (neg ? '-' : '') + mant + 'e' + (exp < 0 ? '-' : '+') + e;
  }
  return formatFloatF(v);
}

/** fmt's `%.Nf`. */
export function formatFixed(v: number, prec: number): string {
  const sp = special(v);
  if (sp !== undefined) return sp;
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let s: string;
  if (a < 1e21) {
    s = a.toFixed(prec);
  } else {
    // toFixed switches to exponent notation here; such values are integers, so BigInt is exact.
    s = BigInt(a).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
  }
  return neg ? '-' + s : s;
}

/** Bytes a code point takes in UTF-8 (lone surrogates count as the 3 bytes of U+FFFD). */
export function utf8Len(cp: number): number {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/** Length of a JS string in UTF-8 bytes, counting surrogate-escaped bytes as one byte. */
export function byteLength(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += escapedByte(cp) >= 0 ? 1 : utf8Len(cp);
  }
  return n;
}

/** Appends the UTF-8 encoding of cp to out. */
export function pushUtf8(out: number[], cp: number): void {
  const b = escapedByte(cp);
  if (b >= 0) {
    out.push(b);
  } else if (cp < 0x80) {
    out.push(cp);
  } else if (cp < 0x800) {
    out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  } else {
    out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
}

/** Decodes bytes as UTF-8 the way Go ranges over a string; bytes that are not UTF-8 become surrogate escapes. */
export function decodeUtf8(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let min = 0;
    let cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b0 & 0x07;
    }
    let ok = need > 0;
    for (let k = 1; ok && k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (b & 0x3f);
    }
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b0);
      i++;
    }
  }
  return out;
}

/** Go's math.Round: half away from zero. */
export function goRound(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(Math.abs(x));
  // Math.round rounds .5 up, which is away from zero for the absolute value.
  return x < 0 ? -r : r;
}

/** Byte-wise string comparison, as Go's sort.Strings orders. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  }
  return ea.length - eb.length;
}
