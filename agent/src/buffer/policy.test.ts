import { describe, expect, it } from 'vitest';
import { chooseVictims } from './policy.js';

const victims = (groups: number[], k: number) => {
  const mask = chooseVictims(Uint32Array.from(groups), k);
  return groups.map((g, i) => (mask[i] ? g : -1)).filter((g) => g >= 0);
};

describe('chooseVictims (oldest window, fattest family first)', () => {
  it('takes from the family holding the most samples, oldest of it first', () => {
    // family 0 has 6 samples, family 1 has 2, family 2 has 1
    const g = [0, 1, 0, 0, 2, 0, 1, 0, 0];
    const mask = chooseVictims(Uint32Array.from(g), 3);
    expect([...mask]).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('water-fills: once families are level, drops spread across them', () => {
    const g = [0, 0, 0, 0, 1, 1, 2];
    expect(victims(g, 2).sort()).toEqual([0, 0]); // 4 → 2, level with family 1
    expect(victims(g, 4).sort()).toEqual([0, 0, 0, 1]); // 4,2,1 → level 1: 3 from 0, 1 from 1
    expect(victims(g, 5).sort()).toEqual([0, 0, 0, 0, 1]); // level 1 everywhere, then the largest family pays the rest
  });

  it('drops exactly k, everything when k >= n, nothing when k <= 0', () => {
    const g = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    for (const k of [1, 7, 450, 899, 900, 950, 999]) expect(chooseVictims(Uint32Array.from(g), k).reduce((a, b) => a + b, 0)).toBe(k);
    expect([...chooseVictims(Uint32Array.of(1, 2), 5)]).toEqual([1, 1]);
    expect([...chooseVictims(Uint32Array.of(1, 2), 0)]).toEqual([0, 0]);
    expect([...chooseVictims(new Uint32Array(0), 3)]).toEqual([]);
  });

  it('a high-cardinality family cannot evict a small one while it holds more', () => {
    // 1000 series of one family and 1 of another, 10 collections each, interleaved.
    const g: number[] = [];
    for (let c = 0; c < 10; c++) {
      for (let i = 0; i < 1000; i++) g.push(0);
      g.push(1);
    }
    const v = victims(g, 5000);
    expect(v.filter((x) => x === 1)).toEqual([]);
  });
});
