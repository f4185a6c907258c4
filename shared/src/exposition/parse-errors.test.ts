import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseExposition } from './parse.js';
import { parseError } from './parse-test-util.js';

/** [body, expected message (line:column: reason)], text format. */
const TEXT_ERRORS: [string, string][] = [
  ['a 1\n0a 1\n', '2:1: expected a metric name, got "0"'],
  ['a-b 1\n', '1:2: invalid character "-" in metric name'],
  ['a\n', '1:2: expected value, got end of line'],
  ['a \n', '1:3: expected value, got end of line'],
  ['a x\n', '1:3: invalid value "x"'],
  ['a 1_2\n', '1:3: invalid value "1_2"'],
  ['a 0x1\n', '1:3: invalid value "0x1"'],
  ['a 1 z\n', '1:5: invalid timestamp "z" (expected integer milliseconds)'],
  ['a 1 1.5\n', '1:5: invalid timestamp "1.5" (expected integer milliseconds)'],
  ['a 1 2 3\n', '1:7: invalid text after the timestamp "3"'],
  ['a 1 # {x="y"} 1\n', '1:5: invalid timestamp "#" (expected integer milliseconds)'],
  ['a{', '1:3: expected a label name or "}", got end of line'],
  ['x 1\nfoo{1="a"} 1\n', '2:5: expected a label name, got "1"'],
  ['foo{bar} 1\n', '1:8: expected "=" after label name "bar", got "}"'],
  ['foo{bar=1} 1\n', '1:9: expected \'"\' to start the value of label "bar", got "1"'],
  ['foo{bar="1} 1\n', '1:9: unterminated value of label "bar"'],
  ['foo{bar="1\\"} 1\n', '1:9: unterminated value of label "bar"'],
  ['foo{bar="1" baz="2"} 1\n', '1:13: expected "," or "}" after the value of label "bar", got "b"'],
  ['foo{a="1",,b="2"} 1\n', '1:11: expected a label name, got ","'],
  ['foo{a="1",b="2",a="3"} 1\n', '1:17: duplicate label name "a"'],
  ['foo{__name__="x"} 1\n', '1:5: label "__name__" repeats the metric name'],
  ['# HELP \n', '1:8: expected a metric name after HELP, got end of line'],
  ['# HELP 0a x\n', '1:8: expected a metric name after HELP, got "0"'],
  ['# TYPE a\n', '1:9: expected metric type, got end of line'],
  ['# TYPE a gauges\n', '1:10: invalid metric type "gauges" (expected counter, gauge, histogram, summary or untyped)'],
  ['# TYPE a gauge extra\n', '1:16: unexpected text after the metric type'],
  ['# TYPE a-b gauge\n', '1:9: invalid character "-" in metric name'],
  ['# TYPE a gauge\n# TYPE a counter\n', '2:1: second TYPE line for metric "a"'],
  ['# HELP a x\n# HELP a y\n', '2:1: second HELP line for metric "a"'],
  ['a 1\n# TYPE a gauge\n', '2:1: TYPE line for metric "a" after its samples'],
  ['# TYPE h histogram\nh_bucket 1\n', '2:1: histogram bucket "h_bucket" has no "le" label'],
  ['# TYPE h histogram\nh_bucket{le="x"} 1\n', '2:1: invalid "le" label value "x"'],
  ['# TYPE s summary\ns 1\n', '2:1: summary sample "s" has no "quantile" label'],
  ['a{b="\u0001"} 1\nc\u0002 1\n', '2:2: invalid character U+0002 in metric name'],
];

describe('parse errors: position and reason', () => {
  it.each(TEXT_ERRORS)('text %j', (body, message) => {
    const e = parseError(body, { format: 'text' });
    expect(e).toBeInstanceOf(ParseError);
    expect(e.message).toBe(message);
    const [line, column] = message.split(':').map(Number);
    expect((e as ParseError).line).toBe(line);
    expect((e as ParseError).column).toBe(column);
    expect(e.code).toBe('ERR_PARSE');
  });

  it('prefixes the source and keeps the bare reason', () => {
    const e = parseError('a 1\nb{c} 1\n', { format: 'text', source: 'target-7' }) as ParseError;
    expect(e.message).toBe('target-7:2:4: expected "=" after label name "c", got "}"');
    expect(e.reason).toBe('expected "=" after label name "c", got "}"');
    expect(e.source).toBe('target-7');
  });

  it('counts columns in UTF-16 units of the decoded line', () => {
    expect(parseError('m{a="ü"} x\n', { format: 'text' }).message).toBe('1:10: invalid value "x"');
  });

  it('reports invalid UTF-8 at its line and column', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('a 1\nb{c="x'), 0xff, ...new TextEncoder().encode('"} 1\n')]);
    const e = parseError(bytes, { format: 'text' }) as ParseError;
    expect(e.message).toBe('2:7: invalid UTF-8');
    // Overlong encodings and surrogates are invalid too.
    expect(parseError(new Uint8Array([0x61, 0x20, 0xc0, 0x80]), { format: 'text' }).message).toBe('1:3: invalid UTF-8');
    expect(parseError(new Uint8Array([0x61, 0xed, 0xa0, 0x80]), { format: 'text' }).message).toBe('1:2: invalid UTF-8');
    // A byte order mark is not skipped: it is not a metric name.
    expect(parseError(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x20, 0x31]), { format: 'text' }).message).toBe(
      '1:1: expected a metric name, got "\ufeff"',
    );
  });

  it('reads "# HELP" without a blank after it as a comment, as promparse does', () => {
    expect(parseExposition('# HELP\n#TYPE a gauge\n', { format: 'text' })).toEqual([]);
  });

  it('rejects an unknown format name (a programming error, not bad input)', () => {
    expect(() => parseExposition('a 1', { format: 'json' as never })).toThrow(/unknown exposition format/);
  });
});
