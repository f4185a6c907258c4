import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '@edgeprom/shared';
import { Matcher, type MatchType } from '../storage/matcher.js';
import { HeadIndex } from './head-index.js';
import { intersect, intersectAll, postingsForMatchers, subtract, union, type Postings } from './postings.js';

const sortedSet = fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 120 }).map((a) => a.sort((x, y) => x - y));
const arr = (p: Postings) => Array.from(p);

describe('postings set operations', () => {
  it('intersect, union and subtract agree with Set semantics', () => {
    fc.assert(
      fc.property(sortedSet, sortedSet, sortedSet, (a, b, c) => {
        const inB = new Set(b);
        const inC = new Set(c);
        expect(arr(intersect(a, b))).toEqual(a.filter((x) => inB.has(x)));
        expect(arr(intersectAll([a, b, c]))).toEqual(a.filter((x) => inB.has(x) && inC.has(x)));
        expect(arr(union([a, b, c]))).toEqual([...new Set([...a, ...b, ...c])].sort((x, y) => x - y));
        expect(arr(subtract(a, b))).toEqual(a.filter((x) => !inB.has(x)));
      }),
    );
  });

  it('gallops correctly through very unequal lists', () => {
    const big = Array.from({ length: 10_000 }, (_, i) => i * 3);
    expect(arr(intersect([0, 3, 4, 29_997, 30_000], big))).toEqual([0, 3, 29_997]);
    expect(arr(subtract(big, [3, 4, 29_997])).length).toBe(9_998);
  });
});

describe('postingsForMatchers', () => {
  it('selects exactly the series whose labels satisfy every matcher', () => {
    const names = ['a', 'b', '__name__'];
    const values = ['', 'x', 'y', 'z'];
    const seriesArb = fc.uniqueArray(
      fc.tuple(...names.map(() => fc.constantFrom(...values))).map((vs) => Labels.from(names.map((n, i) => [n, vs[i]]))),
      { minLength: 1, maxLength: 40, selector: (l) => l.key },
    );
    const matcherArb = fc
      .tuple(
        fc.constantFrom<MatchType>('=', '!=', '=~', '!~'),
        fc.constantFrom(...names, 'absent'),
        fc.constantFrom('', 'x', 'y', 'x|y', '.*', '.+', 'x.*', 'y|', '[xz]', '(?:)'),
      )
      .filter(([t, , v]) => t.includes('~') || !/[|.*+[(]/.test(v))
      .map(([t, n, v]) => Matcher.create(t, n, v));
    fc.assert(
      fc.property(seriesArb, fc.array(matcherArb, { maxLength: 4 }), (series, matchers) => {
        const ix = new HeadIndex();
        series.forEach((l, ref) => ix.add(ref, l));
        const want = series.flatMap((l, ref) => (matchers.every((m) => m.matches(l.get(m.name))) ? [ref] : []));
        expect(arr(postingsForMatchers(ix, matchers))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
