import { describe, expect, it } from 'vitest';
import { CounterResetHint, isStaleNaN } from '../../storage/index.js';
import { parseHistogram, parseSeriesDesc } from './series-desc.js';
import { parseTestFile } from './test-file.js';

const floats = (line: string): (number | null | 'stale' | 'h')[] =>
  parseSeriesDesc(line).values.map((v) =>
    v.kind === 'omitted' ? null : v.kind === 'histogram' ? 'h' : isStaleNaN(v.value) ? 'stale' : v.value,
  );

describe('series descriptions', () => {
  it('expands values as upstream', () => {
    expect(floats('m{a="b"} 1+2x3 _ _x2 stale 5x2 -1-1x1 0x2')).toEqual([
      1, 3, 5, 7, null, null, null, 'stale', 5, 5, 5, -1, -2, 0, 0, 0,
    ]);
    expect(floats('m Inf -Inf NaN 1e3')).toEqual([Infinity, -Infinity, NaN, 1000]);
    expect(parseSeriesDesc('{__name__="x", "a.b"="c"} 1').labels.toString()).toBe('x{a.b="c"}');
  });

  it('reads native histograms and their repetitions', () => {
    const d = parseSeriesDesc('h {{schema:0 sum:1 count:1}}x2 _');
    expect(d.hasHistogram).toBe(true);
    expect(floats('h {{schema:0 sum:1 count:1}}x2 _')).toEqual(['h', 'h', 'h', null]);
  });

  it('parses every field of the histogram notation', () => {
    const h = parseHistogram(
      '{{schema:1 sum:-2.5 count:9 z_bucket:1 z_bucket_w:0.001 offset:2 buckets:[1 0 3] n_offset:-1 n_buckets:[4] counter_reset_hint:gauge}}',
    );
    expect([h.schema, h.sum, h.count, h.zeroCount, h.zeroThreshold]).toEqual([1, -2.5, 9, 1, 0.001]);
    expect([h.pIdx, h.pCnt, h.nIdx, h.nCnt, h.counterResetHint]).toEqual([[2, 3, 4], [1, 0, 3], [-1], [4], CounterResetHint.Gauge]);
    const c = parseHistogram('{{schema:-53 sum:1 count:2 custom_values:[0.5 Inf] buckets:[1 1]}}');
    expect([c.usesCustomBuckets(), c.customValues]).toEqual([true, [0.5, Infinity]]);
  });

  it('expands histogram series by adding or subtracting the increment', () => {
    const vs = parseSeriesDesc('h {{schema:0 sum:1 count:1 buckets:[1]}}+{{schema:0 sum:2 count:2 buckets:[1 1]}}x2').values;
    expect(vs.map((v) => (v.kind === 'histogram' ? [v.h.count, v.h.sum, v.h.pCnt] : null))).toEqual([
      [1, 1, [1]],
      [3, 3, [2, 1]],
      [5, 5, [3, 2]],
    ]);
    const down = parseSeriesDesc('h {{count:5}}-{{count:2}}x1').values;
    expect(down.map((v) => (v.kind === 'histogram' ? v.h.count : null))).toEqual([5, 3]);
  });

  it('rejects malformed histograms with the reason', () => {
    expect(() => parseHistogram('{{schema:0 colour:1}}')).toThrow(/unknown histogram field colour/);
    expect(() => parseHistogram('{{schema:9}}')).toThrow(/schema 9 is out of range/);
    expect(() => parseHistogram('{{buckets:1}}')).toThrow(/needs a \[list\]/);
    // An increment coarser than the base cannot be added to it.
    expect(() => parseSeriesDesc('h {{schema:1}}+{{schema:0}}x1')).toThrow(/cannot merge from schema 0 to 1/);
  });
});

describe('test files', () => {
  it('parses loads, evals and expectations', () => {
    const cmds = parseTestFile(`
# comment
load 5m
  m{a="1"} 1 2 3

eval instant at 10m m
  expect no_warn
  m{a="1"} 3

eval range from 0 to 10m step 5m m * 2
  {a="1"} 2 4 6

eval instant at 0 scalar(m)
  1

eval_fail instant at 0 m +
  expected_fail_message parse error

clear
`);
    expect(cmds.map((c) => c.kind)).toEqual(['load', 'eval', 'eval', 'eval', 'eval', 'clear']);
    const [load, inst, range, scalar, fail] = cmds;
    expect(load.kind === 'load' && load.intervalMs).toBe(300_000);
    expect(inst.kind === 'eval' && [inst.evalTime, inst.expectNoWarn, inst.expected.length]).toEqual([600_000, true, 1]);
    expect(range.kind === 'eval' && [range.isRange, range.start, range.end, range.step]).toEqual([true, 0, 600_000, 300_000]);
    expect(scalar.kind === 'eval' && scalar.expectScalar).toBe(true);
    expect(fail.kind === 'eval' && [fail.fail, fail.failMessage]).toEqual([true, 'parse error']);
  });
});
