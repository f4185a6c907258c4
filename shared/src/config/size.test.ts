import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SizeError, formatSize, parseSize } from './size.js';

describe('parseSize', () => {
  // alecthomas/units bytes_test.go TestParseBase2Bytes (what Prometheus's body_size_limit uses).
  it.each([
    ['0B', 0],
    ['1KB', 1024],
    ['1MB1KB25B', 1049625],
    ['1.5MB', 1572864],
    ['1KiB', 1024],
    ['1MiB1KiB25B', 1049625],
    ['1.5MiB', 1572864],
  ])('parses %s like units.ParseBase2Bytes', (s, bytes) => {
    expect(parseSize(s)).toBe(bytes);
  });

  it.each([
    ['0', 0],
    ['10MB', 10 * 1024 ** 2],
    ['64MiB', 64 * 1024 ** 2],
    ['1GB', 1024 ** 3],
    ['2TiB', 2 * 1024 ** 4],
    ['1PB', 1024 ** 5],
    ['512B', 512],
    ['1KB1MB', 1024 + 1024 ** 2],
    ['.5KB', 512],
    ['1.KB', 1024],
    ['1.0001B', 1],
  ])('parses %s', (s, bytes) => {
    expect(parseSize(s)).toBe(bytes);
  });

  it.each([
    ['1kB', 'unknown unit "kB" (write "KB"; these units are powers of 1024)'],
    ['1kiB', 'unknown unit "kiB" (write "KiB"; these units are powers of 1024)'],
    ['10mb', 'unknown unit "mb" (use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB; all are powers of 1024)'],
    ['1024', 'missing unit after 1024 (use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB; all are powers of 1024)'],
    ['1MiB1KB', 'do not mix KiB-style and KB-style units'],
    ['', 'empty string'],
    ['-1KB', 'negative sizes are not allowed'],
    ['+1KB', 'a sign is not allowed'],
    ['KB', 'expected a number at position 1, found "K"'],
    ['.KB', 'expected a number at position 1, found "."'],
    ['16EB', 'out of range (the maximum is 8PiB)'],
  ])('refuses %j: %s', (s, reason) => {
    let err: unknown;
    try {
      parseSize(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SizeError);
    expect((err as SizeError).code).toBe('ERR_INVALID_SIZE');
    expect((err as SizeError).message).toBe(`not a valid size ${JSON.stringify(s)}: ${reason}`);
  });

  it('throws only SizeError on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9.KMGTPEiBk+\-]{0,10}$/)), (s) => {
        try {
          const n = parseSize(s);
          expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(SizeError);
        }
      }),
    );
  });
});

describe('formatSize', () => {
  // Base2Bytes.String: TestBase2BytesString.
  it.each([
    [0, '0B'],
    [1025, '1KiB1B'],
    [1048577, '1MiB1B'],
    [10 * 1024 ** 2, '10MiB'],
  ])('formats %d as %s', (n, s) => {
    expect(formatSize(n)).toBe(s);
  });

  it('round-trips through parseSize', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
      }),
    );
  });

  it('refuses negative or fractional byte counts', () => {
    expect(() => formatSize(-1)).toThrow(SizeError);
    expect(() => formatSize(1.5)).toThrow(SizeError);
  });
});
