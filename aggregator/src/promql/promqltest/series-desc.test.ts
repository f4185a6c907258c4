import { describe, expect, it } from 'vitest';
import { isStaleNaN } from '../../storage/index.js';
import { parseSeriesDesc } from './series-desc.js';
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

  it('keeps native histograms as unsupported markers', () => {
    const d = parseSeriesDesc('h {{schema:0 sum:1 count:1}}x2 _');
    expect(d.hasHistogram).toBe(true);
    expect(floats('h {{schema:0 sum:1 count:1}}x2 _')).toEqual(['h', 'h', 'h', null]);
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
