/**
 * Number formatting for the exposition encoders, byte-for-byte what Prometheus's Go client
 * (`expfmt`) writes, so a scrape of edgeprom diffs cleanly against a Go exporter and every
 * value parses back to the same float64.
 *
 * Go writes sample values with `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits that
 * round-trip (the same digits as JavaScript's `Number#toString`), in fixed notation when the
 * decimal exponent is in [-4, 6) and in exponent notation otherwise, with at least two exponent
 * digits (`1e+06`, `2.478268416e+09`, `1e-05`). JavaScript switches to exponents only outside
 * [1e-7, 1e21), so the two agree exactly on [1e-4, 1e6) and we reformat outside it.
 */

/**
 * A sample value as the text format 0.0.4 writes it: `NaN`, `+Inf`, `-Inf`, or Go's shortest
 * `%g` (`1e+06`, `0.5`, `123`). Unlike client_golang we keep the sign of `-0` (it writes `0`),
 * so that encode → parse is bit-exact for every value.
 */
export function formatFloat(v: number): string {
  // The hot path: almost every gauge and counter value lands here, and needs no rewriting.
  if ((v >= 1e-4 && v < 1e6) || (v <= -1e-4 && v > -1e6)) return String(v);
  if (v === 0) return 1 / v < 0 ? '-0' : '0';
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return goExponent(v);
}

/**
 * A value as OpenMetrics writes it (client_golang's `writeOpenMetricsFloat`): like
 * {@link formatFloat} but an integral value in fixed notation gets a `.0` (`1.0`, `-0.0`), so
 * every number reads as a float.
 */
export function formatOpenMetricsFloat(v: number): string {
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) {
    return (v === 0 && 1 / v < 0 ? '-0' : String(v)) + '.0';
  }
  return formatFloat(v);
}

/**
 * A count (histogram buckets, `_count`, `_gcount`) in OpenMetrics: client_golang writes these
 * from uint64 fields, so as plain integers without exponent (`1000000`, not `1e+06`). Values
 * that are not non-negative safe integers fall back to float notation.
 */
export function formatOpenMetricsCount(v: number): string {
  return Number.isSafeInteger(v) && v >= 0 && !(v === 0 && 1 / v < 0)
    ? String(v)
    : formatOpenMetricsFloat(v);
}

/**
 * A text-format timestamp: integer milliseconds. Fractional milliseconds (possible after parsing
 * OpenMetrics seconds) round to the nearest one; a non-finite timestamp cannot be written, and
 * the caller omits it.
 */
export function formatTextTimestamp(ms: number): string | undefined {
  if (Number.isSafeInteger(ms)) return String(ms === 0 ? 0 : ms);
  if (!Number.isFinite(ms)) return undefined;
  const r = Math.round(ms);
  // Beyond 2^53 every double is an integer, but String() would switch to exponents at 1e21.
  return Number.isSafeInteger(r) ? String(r) : BigInt(r).toString();
}

/**
 * An OpenMetrics timestamp: seconds. We shift the decimal point of the millisecond digits
 * instead of dividing by 1000, so the text is exact (`1700000000.123`, never
 * `1.700000000123e+09` as client_golang writes it) and a parser that multiplies back by 1000 and
 * rounds gets the very same millisecond.
 */
export function formatOpenMetricsTimestamp(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const neg = ms < 0;
  const s = String(neg ? -ms : ms);
  const e = s.indexOf('e');
  if (e >= 0) {
    // Beyond 1e21 ms or below 1e-7 ms: shift the exponent instead (`1e-8` ms → `1e-11` s).
    return `${neg ? '-' : ''}${s.slice(0, e)}e${Number(s.slice(e + 1)) - 3}`;
  }
  const dot = s.indexOf('.');
  const intDigits = (dot < 0 ? s : s.slice(0, dot)).padStart(4, '0');
  const fracDigits = dot < 0 ? '' : s.slice(dot + 1);
  const secInt = intDigits.slice(0, -3);
  let secFrac = intDigits.slice(-3) + fracDigits;
  let end = secFrac.length;
  while (end > 0 && secFrac.charCodeAt(end - 1) === 48 /* '0' */) end--;
  secFrac = secFrac.slice(0, end);
  const body = secFrac === '' ? secInt : `${secInt}.${secFrac}`;
  return neg && body !== '0' ? `-${body}` : body;
}

/** Go's exponent notation for a finite non-zero value outside [1e-4, 1e6) in magnitude. */
function goExponent(v: number): string {
  const neg = v < 0;
  const s = String(neg ? -v : v);
  let digits: string;
  let exp: number;
  const e = s.indexOf('e');
  if (e >= 0) {
    // JavaScript already chose exponent form (>= 1e21 or < 1e-7): "1.5e+21", "5e-324".
    digits = s.slice(0, e).replace('.', '');
    exp = Number(s.slice(e + 1));
  } else {
    const dot = s.indexOf('.');
    const intPart = dot < 0 ? s : s.slice(0, dot);
    const fracPart = dot < 0 ? '' : s.slice(dot + 1);
    if (intPart !== '0') {
      // >= 1e6: "123456789", "1234567.5"
      digits = intPart + fracPart;
      exp = intPart.length - 1;
    } else {
      // < 1e-4: "0.0000123"
      let z = 0;
      while (fracPart.charCodeAt(z) === 48) z++;
      digits = fracPart.slice(z);
      exp = -(z + 1);
    }
    let end = digits.length;
    while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
    digits = digits.slice(0, end);
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const absExp = exp < 0 ? -exp : exp;
  return `${neg ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
}
