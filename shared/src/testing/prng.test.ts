import { describe, expect, it } from 'vitest';
import { prng } from './prng.js';

describe('prng (mulberry32)', () => {
  it('produces the reference mulberry32 sequence', () => {
    const r = prng(7);
    expect([r(), r(), r()]).toEqual([0.011704753153026104, 0.06195825757458806, 0.97690763277933]);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = prng(42);
    const b = prng(42);
    const c = prng(43);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(xs);
  });

  it('returns floats in [0, 1)', () => {
    const r = prng(1);
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
