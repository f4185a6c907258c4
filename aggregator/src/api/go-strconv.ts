/**
 * The number syntaxes of Go's strconv, as Prometheus's API parameters accept them. A JS
 * `Number(s)` is far more lenient (`''`, `' 1 '`, `'0b1'`, `'1.'`...) and differs on
 * `NaN`/`Inf` spellings, so parameters are checked against Go's grammar first.
 */

/** Go's strconv errors: `strconv.Atoi: parsing "x": invalid syntax`. */
export type StrconvFailure = 'invalid syntax' | 'value out of range';

const DEC = /^[+-]?(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/;
const HEX_DIGITS = '[0-9a-fA-F](?:_?[0-9a-fA-F])*';
const HEX = new RegExp(
  `^[+-]?0[xX](?:_?${HEX_DIGITS})?(?:\\.(?:${HEX_DIGITS})?)?[pP][+-]?[0-9](?:_?[0-9])*$`,
);

function hasMantissaDigit(s: string, hex: boolean): boolean {
  const body = s.replace(/^[+-]/, '');
  if (hex) return /[0-9a-fA-F]/.test(body.slice(2).split(/[pP]/)[0]!);
  return /[0-9]/.test(body.split(/[eE]/)[0]!);
}

function specialFloat(s: string): number | undefined {
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return undefined;
}

function parseHexFloat(s: string): number {
  const neg = s[0] === '-';
  const body = s.replace(/^[+-]/, '').slice(2).replace(/_/g, '');
  const [mant, exp] = body.split(/[pP]/) as [string, string];
  const [intPart, fracPart = ''] = mant.split('.') as [string, string?];
  const digits = intPart + fracPart;
  let v = 0;
  for (const c of digits) v = v * 16 + parseInt(c, 16);
  const e = Number(exp) - 4 * fracPart.length;
  const r = v * 2 ** e;
  return neg ? -r : r;
}

/**
 * strconv.ParseFloat(s, 64): a number, or the reason Go refuses it. Out-of-range values
 * (`1e400`) are refused, as Go returns them with ErrRange.
 */
export function parseGoFloat(s: string): number | StrconvFailure {
  const sp = specialFloat(s);
  if (sp !== undefined) return sp;
  let v: number;
  if (HEX.test(s) && hasMantissaDigit(s, true)) {
    v = parseHexFloat(s);
  } else if (DEC.test(s) && hasMantissaDigit(s, false)) {
    v = Number(s.replace(/_/g, ''));
  } else {
    return 'invalid syntax';
  }
  if (!Number.isFinite(v)) return 'value out of range';
  return v;
}

const INT = /^[+-]?[0-9]+$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** strconv.Atoi on a 64-bit platform: decimal digits with an optional sign, no underscores. */
export function parseGoInt(s: string): bigint | StrconvFailure {
  if (!INT.test(s)) return 'invalid syntax';
  const v = BigInt(s);
  if (v > INT64_MAX || v < INT64_MIN) return 'value out of range';
  return v;
}
