import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { FloatHistogram } from '../storage/index.js';
import { ApiError } from './errors.js';
import { parseGoFloat, parseGoInt } from './go-strconv.js';
import { encodeData, encodeResult, formatSampleValue, formatTimestamp, goJson, RawJson } from './json.js';
import { limitParam, MAX_TIME_MS, MIN_TIME_MS, optionalTime, parseDurationNs, parseTime, requiredTime } from './params.js';

describe('parseGoFloat (strconv.ParseFloat)', () => {
  it.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1_000.5', 1000.5],
    ['0x1p4', 16],
    ['0x1.8p1', 3],
    ['+Inf', Infinity],
    ['-infinity', -Infinity],
  ])('%s → %s', (s, v) => expect(parseGoFloat(s)).toBe(v));

  it('accepts NaN in any case but not signed', () => {
    expect(parseGoFloat('nAn')).toBeNaN();
    expect(parseGoFloat('+NaN')).toBe('invalid syntax');
  });

  it.each(['', ' 1', '1 ', '.', 'e5', '1e', '0x10', '1__0', '_1', '1_', 'infin', '0b1', '1,5', '1.2.3'])(
    'refuses %j',
    (s) => expect(parseGoFloat(s)).toBe('invalid syntax'),
  );

  it('refuses values out of range', () => expect(parseGoFloat('1e400')).toBe('value out of range'));
});

describe('parseGoInt (strconv.Atoi)', () => {
  it('parses signed decimals', () => {
    expect(parseGoInt('+12')).toBe(12n);
    expect(parseGoInt('-3')).toBe(-3n);
  });
  it.each(['1_0', '0x1', '1.0', '', ' 1'])('refuses %j', (s) => expect(parseGoInt(s)).toBe('invalid syntax'));
  it('refuses beyond int64', () => expect(parseGoInt('9223372036854775808')).toBe('value out of range'));
});

describe('parseTime', () => {
  it.each([
    ['1435781451.781', 1435781451781],
    ['1435781451', 1435781451000],
    ['2015-07-01T20:10:51.781Z', 1435781451781],
    ['2015-07-01T22:10:51.781+02:00', 1435781451781],
    ['2015-07-01T20:10:51.7819999Z', 1435781451781],
    ['2015-07-01T20:10:51Z', 1435781451000],
    ['1e3', 1_000_000],
    ['-1.5', -1500],
    // Prometheus rounds the fraction to milliseconds.
    ['1.0015', 1002],
    ['0.9996', 1000],
  ])('%s → %d ms', (s, ms) => expect(parseTime(s)).toBe(ms));

  it('reads back Prometheus MinTime/MaxTime', () => {
    expect(parseTime('-292273086-05-16T16:47:06Z')).toBe(MIN_TIME_MS);
    expect(parseTime('292277025-08-18T07:12:54.999999999Z')).toBe(MAX_TIME_MS);
  });

  it.each(['x', '', '2015-13-01T00:00:00Z', '2015-02-30T00:00:00Z', '2015-07-01 20:10:51Z', 'NaN', 'Inf'])(
    'refuses %j with Prometheus text',
    (s) => expect(() => parseTime(s)).toThrow(`cannot parse ${JSON.stringify(s)} to a valid timestamp`),
  );

  it('words parameter errors as api.go does', () => {
    expect(() => requiredTime('x', 'start')).toThrow('invalid parameter "start": cannot parse "x" to a valid timestamp');
    expect(() => optionalTime('x', 'time', 0)).toThrow(
      `invalid parameter "time": Invalid time value for 'time': cannot parse "x" to a valid timestamp`,
    );
    expect(optionalTime('', 'time', 42)).toBe(42);
    try {
      requiredTime('x', 'end');
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).errorType).toBe('bad_data');
    }
  });
});

describe('parseDurationNs', () => {
  it.each([
    ['5m', 300_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['15', 15_000_000_000n],
    ['1.5', 1_500_000_000n],
    ['0.0001', 100_000n],
    ['-1', -1_000_000_000n],
    ['0', 0n],
  ])('%s → %s ns', (s, ns) => expect(parseDurationNs(s)).toBe(ns));

  it('refuses with Prometheus text', () => {
    expect(() => parseDurationNs('x')).toThrow('cannot parse "x" to a valid duration');
    expect(() => parseDurationNs('1e10')).toThrow('cannot parse "1e10" to a valid duration. It overflows int64');
    expect(() => parseDurationNs('+Inf')).toThrow('It overflows int64');
  });

  it('turns NaN negative, as Go does on amd64', () => expect(parseDurationNs('NaN') < 0n).toBe(true));
});

describe('limitParam', () => {
  it('parses', () => {
    expect(limitParam('')).toBe(0);
    expect(limitParam('5')).toBe(5);
  });
  it.each([
    ['x', 'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax'],
    ['-1', 'invalid parameter "limit": limit must be non-negative'],
    ['99999999999999999999', 'invalid parameter "limit": strconv.Atoi: parsing "99999999999999999999": value out of range'],
  ])('%s → %s', (s, msg) => expect(() => limitParam(s)).toThrow(msg));
});

describe('number formatting (jsonutil.MarshalFloat / MarshalTimestamp)', () => {
  it.each([
    [1, '1'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e21, '1e+21'],
    [1.5e-7, '1.5e-07'],
    [1e-6, '0.000001'],
    [1.2345678901234568e20, '123456789012345680000'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-0, '-0'],
    [0, '0'],
  ])('value %s → %s', (v, s) => expect(formatSampleValue(v)).toBe(s));

  it.each([
    [1435781451781, '1435781451.781'],
    [1500, '1.500'],
    [1000, '1'],
    [5, '0.005'],
    [10, '0.010'],
    [-1500, '-1.500'],
    [0, '0'],
  ])('timestamp %d → %s', (t, s) => expect(formatTimestamp(t)).toBe(s));

  it('encodes a matrix byte for byte: shared step times, odd values, histograms apart', () => {
    const h = new FloatHistogram();
    h.count = 2;
    h.sum = 3;
    h.zeroThreshold = 0.001;
    h.zeroCount = 2;
    const a = Labels.from([
      ['__name__', 'm'],
      ['x', '<a&b>'],
    ]);
    const b = Labels.from([['__name__', 'n']]);
    const text = encodeResult({
      type: 'matrix',
      series: [
        { metric: a, points: [{ t: 1500, f: 1e21 }, { t: 3000, f: NaN }, { t: 4005, f: -0 }] },
        { metric: b, points: [{ t: 1500, f: 1.5e-7 }, { t: 2000, f: 0, h }, { t: 3000, f: -Infinity }, { t: -1500, f: 0.1 }] },
      ],
    });
    expect(text).toBe(
      '[{"metric":{"__name__":"m","x":"<a&b>"},"values":[[1.500,"1e+21"],[3,"NaN"],[4.005,"-0"]]},' +
        '{"metric":{"__name__":"n"},"values":[[1.500,"1.5e-07"],[3,"-Inf"],[-1.500,"0.1"]],' +
        '"histograms":[[2,{"count":"2","sum":"3","buckets":[[3,"-0.001","0.001","2"]]}]]}]',
    );
  });

  it('splices raw JSON without letting strings pose as it', () => {
    expect(encodeData({ a: '\u0000raw0\u0000', b: new RawJson('[1]'), c: [new RawJson('{}')] })).toBe(
      '{"a":"\\u0000raw0\\u0000","b":[1],"c":[{}]}',
    );
  });

  it('escapes like Go encoding/json', () => {
    expect(goJson(JSON.stringify({ yaml: 'a: <secret> & b\u2028' }))).toBe('{"yaml":"a: \\u003csecret\\u003e \\u0026 b\\u2028"}');
  });
});
