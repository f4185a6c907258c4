import { describe, expect, it } from 'vitest';
import { LimitError } from '../errors.js';
import { DEFAULT_PARSE_LIMITS, ExpositionStreamParser, parseExposition, type ParseLimits } from './parse.js';
import { parseError } from './parse-test-util.js';

function limitError(body: string | Uint8Array, limits: Partial<ParseLimits>, format: 'text' | 'openmetrics' = 'text'): LimitError {
  const e = parseError(body, { format, limits });
  expect(e).toBeInstanceOf(LimitError);
  expect(e.code).toBe('ERR_LIMIT_EXCEEDED');
  return e as LimitError;
}

describe('parse limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_PARSE_LIMITS).toEqual({
      maxBodyBytes: 10 * 1024 * 1024,
      maxLineLength: 64 * 1024,
      maxLabelsPerSample: 64,
      maxLabelNameLength: 1024,
      maxLabelValueLength: 16 * 1024,
      maxSamples: 1_000_000,
    });
    expect(Object.isFrozen(DEFAULT_PARSE_LIMITS)).toBe(true);
  });

  it('maxBodyBytes counts UTF-8 bytes, of strings too', () => {
    expect(parseExposition('a 1\n', { format: 'text', limits: { maxBodyBytes: 4 } })).toHaveLength(1);
    const e = limitError('a 1\n', { maxBodyBytes: 3 });
    expect([e.limit, e.max]).toEqual(['maxBodyBytes', 3]);
    expect(e.message).toBe('body is larger than 3 bytes (limit maxBodyBytes = 3)');
    // 'ü' is 2 bytes: 9 characters, 10 bytes.
    expect(limitError('a{b="ü"} 1', { maxBodyBytes: 9 }).limit).toBe('maxBodyBytes');
    expect(limitError(new TextEncoder().encode('a 1\n'), { maxBodyBytes: 3 }).limit).toBe('maxBodyBytes');
  });

  it('maxBodyBytes adds up chunks', () => {
    const p = new ExpositionStreamParser({ format: 'text', limits: { maxBodyBytes: 6 } }, { family() {}, sample() {} });
    p.write('a 1\n');
    expect(() => p.write('b 2\n')).toThrow(LimitError);
  });

  it('maxLineLength, also for a line still waiting for its newline', () => {
    expect(parseExposition('abc 1\n', { format: 'text', limits: { maxLineLength: 5 } })).toHaveLength(1);
    const e = limitError('a 1\nabcd 1\n', { maxLineLength: 5 });
    expect(e.message).toBe('2:1: line is 6 characters long (limit maxLineLength = 5)');
    const p = new ExpositionStreamParser({ format: 'text', limits: { maxLineLength: 5 } }, { family() {}, sample() {} });
    expect(() => p.write('abcdefgh')).toThrow(/line is longer than 5 characters/);
    const q = new ExpositionStreamParser({ format: 'text', limits: { maxLineLength: 5 } }, { family() {}, sample() {} });
    expect(() => q.write(new Uint8Array(16).fill(0x61))).toThrow(LimitError);
  });

  it('maxLabelsPerSample counts the labels in braces', () => {
    expect(parseExposition('a{b="1",c="2"} 1\n', { format: 'text', limits: { maxLabelsPerSample: 2 } })).toHaveLength(1);
    expect(limitError('a{b="1",c="2",d="3"} 1\n', { maxLabelsPerSample: 2 }).message).toBe('1:15: more than 2 labels (limit maxLabelsPerSample = 2)');
    expect(limitError('a 1 # {}\n# EOF\n'.replace('a 1 # {}', 'a{b="1",c="2"} 1'), { maxLabelsPerSample: 1 }, 'openmetrics').limit).toBe(
      'maxLabelsPerSample',
    );
  });

  it('maxLabelNameLength', () => {
    expect(limitError('a{bcd="1"} 1\n', { maxLabelNameLength: 2 }).message).toBe('1:3: label name is 3 characters long (limit maxLabelNameLength = 2)');
  });

  it('maxLabelValueLength, after unescaping, and for metric names', () => {
    expect(parseExposition('a{b="\\\\\\\\"} 1\n', { format: 'text', limits: { maxLabelValueLength: 2 } })).toHaveLength(1);
    expect(limitError('a{b="xyz"} 1\n', { maxLabelValueLength: 2 }).message).toBe(
      '1:6: value of label "b" is 3 characters long (limit maxLabelValueLength = 2)',
    );
    expect(limitError('abc 1\n', { maxLabelValueLength: 2 }).message).toBe('1:1: metric name is 3 characters long (limit maxLabelValueLength = 2)');
    expect(limitError('# HELP abc x\n', { maxLabelValueLength: 2 }).limit).toBe('maxLabelValueLength');
  });

  it('maxSamples', () => {
    expect(parseExposition('a 1\nb 2\n', { format: 'text', limits: { maxSamples: 2 } })).toHaveLength(2);
    expect(limitError('a 1\nb 2\nc 3\n', { maxSamples: 2 }).message).toBe('3:1: more than 2 samples (limit maxSamples = 2)');
  });

  it('0 lifts a limit', () => {
    const long = 'x'.repeat(100_000);
    const body = `${long} 1\nm{${Array.from({ length: 100 }, (_, i) => `l${i}="${long}"`).join(',')}} 2\n`;
    const limits = { maxBodyBytes: 0, maxLineLength: 0, maxLabelsPerSample: 0, maxLabelNameLength: 0, maxLabelValueLength: 0, maxSamples: 0 };
    expect(parseExposition(body, { format: 'text', limits })).toHaveLength(2);
    expect(() => parseExposition(body, { format: 'text' })).toThrow(LimitError);
  });

  it('includes the source in limit messages', () => {
    expect(parseError('abc 1\n', { format: 'text', source: 'dev-1', limits: { maxSamples: 0, maxLineLength: 2 } }).message).toBe(
      'dev-1:1:1: line is 5 characters long (limit maxLineLength = 2)',
    );
  });
});
