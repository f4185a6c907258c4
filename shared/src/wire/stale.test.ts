import { describe, expect, it } from 'vitest';
import { STALE_NAN_BITS, isStaleMarkerAt, setStaleMarkerAt } from './stale.js';

describe('stale markers', () => {
  it('tells the stale NaN from other NaNs', () => {
    const v = new Float64Array([NaN, NaN, 1, 0]);
    setStaleMarkerAt(v, 1);
    expect(Number.isNaN(v[1])).toBe(true);
    expect(isStaleMarkerAt(v, 0)).toBe(false);
    expect(isStaleMarkerAt(v, 1)).toBe(true);
    expect(isStaleMarkerAt(v, 2)).toBe(false);
    expect(new BigUint64Array(v.buffer)[1]).toBe(STALE_NAN_BITS);
  });

  it('works on a subarray view', () => {
    const v = new Float64Array(4).subarray(1, 3);
    setStaleMarkerAt(v, 1);
    expect(isStaleMarkerAt(v, 1)).toBe(true);
    expect(new BigUint64Array(v.buffer)[2]).toBe(STALE_NAN_BITS);
  });
});
