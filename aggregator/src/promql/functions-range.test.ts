/** rate/increase with the reset prefix counts give what the full window scan gives. */
import { describe, expect, it } from 'vitest';
import type { RangeWindow } from './eval-types.js';
import { counterResets, RANGE_FUNCTIONS, type RangeEnv } from './functions-range.js';

describe('counterResets', () => {
  it('counts drops up to each index (NaN is no drop, equal values neither)', () => {
    expect(Array.from(counterResets([5, 3, 3, 4, 1, NaN, 2, 0], 8))).toEqual([0, 1, 1, 1, 2, 2, 2, 3]);
    expect(Array.from(counterResets([1, 0, 9], 2))).toEqual([0, 1]);
  });
});

describe('rate and increase over windows with and without resets', () => {
  // A counter with resets in some windows and none in others, 15 s apart with jitter.
  const n = 200;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let v = 3;
  for (let i = 0; i < n; i++) {
    ts[i] = i * 15_000 + ((i * 7919) % 900);
    v = i % 37 === 36 ? (i % 3) * 0.5 : v + ((i * 31) % 17) / 3;
    vs[i] = i === 120 ? NaN : v;
  }
  const resets = counterResets(vs, n);

  it.each(['rate', 'increase'])('%s: same value bit for bit at every window', (name) => {
    const fn = RANGE_FUNCTIONS[name]!;
    let withReset = 0;
    for (let lo = 0; lo < n; lo += 3) {
      for (let hi = lo + 1; hi <= Math.min(n, lo + 25); hi++) {
        const env: RangeEnv = { t: ts[hi - 1] + 5000, rangeStart: ts[lo] - 4000, rangeEnd: ts[hi - 1] + 5000, rangeMs: 300_000, args: [] };
        const scan: RangeWindow = { ts, vs, lo, hi };
        const fast: RangeWindow = { ts, vs, lo, hi, resets };
        if (resets[hi - 1] !== resets[lo]) withReset++;
        expect(Object.is(fn(fast, env), fn(scan, env))).toBe(true);
      }
    }
    // Both kinds of window were compared.
    expect(withReset).toBeGreaterThan(50);
  });

  it('a reset inside the window still counts', () => {
    const w: RangeWindow = { ts: [0, 15_000, 30_000], vs: [10, 2, 5], lo: 0, hi: 3, resets: counterResets([10, 2, 5], 3) };
    const env: RangeEnv = { t: 30_000, rangeStart: 0, rangeEnd: 30_000, rangeMs: 30_000, args: [] };
    // 10 → 2 is a reset: increase is 5 - 10 + 10 = 5 over 30 s, extrapolated to the range.
    expect(RANGE_FUNCTIONS.increase!(w, env)).toBeCloseTo(5, 10);
  });
});
