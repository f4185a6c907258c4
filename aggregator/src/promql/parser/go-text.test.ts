import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationNs } from './duration.js';
import { formatFixed, formatFloatF, formatFloatV, goQuote, goQuoteRune, goUnicode } from './go-text.js';
import { parseNumber, unquote } from './literals.js';

// Expected values are what Go's strconv / fmt produce.
describe('Go text formatting', () => {
  it('quotes strings like strconv.Quote', () => {
    expect(goQuote('a"b\\c\n\t\x00\x7fé\u00a0\u{1f600}')).toBe('"a\\"b\\\\c\\n\\t\\x00\\x7fé\\u00a0\u{1f600}"');
    expect(goQuote('\udcff\udc80')).toBe('"\\xff\\x80"');
    expect(goQuote('\u2028')).toBe('"\\u2028"');
  });

  it('quotes runes like strconv.QuoteRune', () => {
    expect(goQuoteRune(0x7d)).toBe("'}'");
    expect(goQuoteRune(0x27)).toBe("'\\''");
    expect(goQuoteRune(0x22)).toBe(`'"'`);
    expect(goQuoteRune(-1)).toBe("'\ufffd'");
    expect(goQuoteRune(0x0a)).toBe("'\\n'");
    expect(goUnicode(0x63)).toBe("U+0063 'c'");
    expect(goUnicode(0x0a)).toBe('U+000A');
    expect(goUnicode(0x1f600)).toBe("U+1F600 '\u{1f600}'");
  });

  it('formats floats like FormatFloat(f, -1) and %v', () => {
    expect(formatFloatF(1e21)).toBe('1000000000000000000000');
    expect(formatFloatF(1.5e-7)).toBe('0.00000015');
    expect(formatFloatF(-0)).toBe('-0');
    expect(formatFloatF(123456789.123)).toBe('123456789.123');
    expect(formatFloatF(5e-324)).toBe('0.' + '0'.repeat(323) + '5');
    expect(formatFloatV(1e6)).toBe('1e+06');
    expect(formatFloatV(123456)).toBe('123456');
    expect(formatFloatV(1234567)).toBe('1.234567e+06');
    expect(formatFloatV(0.0001)).toBe('0.0001');
    expect(formatFloatV(0.00001)).toBe('1e-05');
    expect(formatFloatV(1e100)).toBe('1e+100');
    expect(formatFloatV(-2.5)).toBe('-2.5');
    expect([NaN, Infinity, -Infinity].map(formatFloatV)).toEqual(['NaN', '+Inf', '-Inf']);
    expect(formatFixed(2 ** 63, 6)).toBe('9223372036854775808.000000');
    expect(formatFixed(1e22, 3)).toBe('10000000000000000000000.000');
    expect(formatFixed(-1.5, 3)).toBe('-1.500');
  });
});

describe('durations', () => {
  it('parses like model.ParseDuration', () => {
    expect(parseDurationNs('1h30m')).toBe(5_400_000_000_000n);
    expect(parseDurationNs('0')).toBe(0n);
    expect(parseDurationNs('1y2w3d4h5m6s7ms')).toBe(
      ((((((365n + 14n + 3n) * 24n + 4n) * 60n + 5n) * 60n + 6n) * 1000n + 7n) * 1_000_000n),
    );
    expect(() => parseDurationNs('5m1h')).toThrow('not a valid duration string: "5m1h"');
    expect(() => parseDurationNs('1x')).toThrow('unknown unit "x" in duration "1x"');
    expect(() => parseDurationNs('300y')).toThrow('duration out of range');
  });

  it('prints like model.Duration.String()', () => {
    expect(formatDurationMs(0)).toBe('0s');
    expect(formatDurationMs(90_000)).toBe('1m30s');
    expect(formatDurationMs(14 * 86_400_000)).toBe('2w');
    expect(formatDurationMs(365 * 86_400_000)).toBe('1y');
    expect(formatDurationMs(366 * 86_400_000)).toBe('366d');
    expect(formatDurationMs(1500)).toBe('1s500ms');
    expect(formatDurationMs(0.5)).toBe('0s');
  });
});

describe('literals', () => {
  it('reads numbers like ParseInt(s, 0, 64) then ParseFloat', () => {
    expect(parseNumber('0755')).toBe(493);
    expect(parseNumber('08')).toBe(8);
    expect(parseNumber('0x_1F')).toBe(31);
    expect(parseNumber('1_000')).toBe(1000);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('Inf')).toBe(Infinity);
    expect(Number.isNaN(parseNumber('nAn'))).toBe(true);
    expect(parseNumber('9223372036854775807')).toBe(9223372036854775807);
    expect(parseNumber('1e999')).toEqual({
      error: 'error parsing number: strconv.ParseFloat: parsing "1e999": value out of range',
    });
    expect(parseNumber('0xffffffffffffffffff')).toEqual({
      error: 'error parsing number: strconv.ParseFloat: parsing "0xffffffffffffffffff": invalid syntax',
    });
  });

  it('unquotes like strutil.Unquote', () => {
    expect(unquote(String.raw`"\xe2\x98\xba"`)).toBe('☺');
    expect(unquote(String.raw`'\377'`)).toBe('\udcff');
    expect(unquote(String.raw`"\u00e9\U0001F600"`)).toBe('é\u{1f600}');
    expect(unquote("'it\\'s'")).toBe("it's");
    expect(unquote('`a\\nb`')).toBe('a\\nb');
    expect(() => unquote(String.raw`"\q"`)).toThrow('invalid syntax');
    expect(() => unquote('"a')).toThrow('invalid syntax');
  });
});
