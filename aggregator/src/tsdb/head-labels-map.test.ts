import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { prng } from '@edgeprom/shared/testing';
import { LabelsMap, sameLabels } from './head-labels-map.js';
import { ValueType } from '../storage/interface.js';
import { Head } from './head.js';

const series = (i: number) => Labels.from({ __name__: 'node_cpu_seconds_total', cpu: String(i >> 3), mode: `m${i & 7}` });

describe('Labels.hash', () => {
  it('is equal for equal label sets however built, and a 30-bit integer', () => {
    const a = Labels.from({ b: '2', a: '1' });
    const b = Labels.fromSortedPairs(['a', ['1'].join(''), 'b', String(2)]);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toBe(a.hash); // cached
    const hashes = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const h = series(i).hash;
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 30).toBe(true);
      hashes.add(h);
    }
    // Not a guarantee of the contract (collisions are allowed), but a broken mix would show.
    expect(hashes.size).toBeGreaterThan(1990);
  });

  it('keeps name/value boundaries apart', () => {
    expect(Labels.from({ ab: 'c' }).hash).not.toBe(Labels.from({ a: 'bc' }).hash);
  });
});

describe('LabelsMap', () => {
  it('tells label sets apart when their hashes collide', () => {
    const labels = [series(1), series(2), series(3)];
    const m = new LabelsMap(labels);
    for (let i = 0; i < labels.length; i++) m.add(7, i); // every entry on one hash
    for (let i = 0; i < labels.length; i++) {
      expect(m.get(labels[i], 7)).toBe(i);
      expect(m.get(series(i + 1), 7)).toBe(i); // an equal copy, not the same object
    }
    expect(m.get(series(4), 7)).toBe(-1);
    expect(m.get(labels[0], 8)).toBe(-1);
  });

  it('agrees with a Map through adds, deletes and growth, with many collisions', () => {
    const rnd = prng(42);
    const labels: Labels[] = [];
    const m = new LabelsMap(labels);
    const ref = new Map<string, { id: number; hash: number }>();
    for (let step = 0; step < 8000; step++) {
      const i = Math.floor(rnd() * 1000);
      const l = series(i);
      // Few distinct hashes, clustered: long probe runs that wrap around the table.
      const hash = (i % 97) * 3;
      const key = l.key;
      const known = ref.get(key);
      expect(m.get(l, hash)).toBe(known === undefined ? -1 : known.id);
      if (known === undefined) {
        const id = labels.length;
        labels.push(l);
        m.add(hash, id);
        ref.set(key, { id, hash });
      } else if (rnd() < 0.5) {
        expect(m.delete(known.hash, known.id)).toBe(true);
        expect(m.delete(known.hash, known.id)).toBe(false);
        ref.delete(key);
      }
      expect(m.size).toBe(ref.size);
    }
    for (const [key, { id, hash }] of ref) expect(m.get(labels[id], hash), key).toBe(id);
  });

  it('compares pairs, not objects', () => {
    expect(sameLabels(series(1), series(1))).toBe(true);
    expect(sameLabels(series(1), series(2))).toBe(false);
    expect(sameLabels(Labels.from({ a: '1' }), Labels.from({ a: '1', b: '2' }))).toBe(false);
  });
});

describe('head series map', () => {
  it('finds series by equal labels, and forgets collected ones', async () => {
    const head = new Head({ outOfOrderTimeWindowMs: 0 });
    const app = head.appender();
    for (let i = 0; i < 100; i++) app.append(series(i), 1000, i);
    await app.commit();
    expect(head.numSeries).toBe(100);
    for (let i = 0; i < 100; i++) expect(head.refOf(series(i))).toBe(i);
    expect(head.refOf(series(100))).toBe(-1);
    // Appending by equal labels finds the same series.
    const app2 = head.appender();
    for (let i = 0; i < 100; i++) app2.append(series(i), 2000, i);
    await app2.commit();
    expect(head.numSeries).toBe(100);
    // Truncating everything collects every series; the labels then create new ones.
    head.truncate(3000);
    expect(head.numSeries).toBe(0);
    expect(head.refOf(series(5))).toBe(-1);
    const app3 = head.appender();
    app3.append(series(5), 4000, 1);
    await app3.commit();
    expect(head.refOf(series(5))).toBe(100);
  });

  it('keeps two series whose Labels.hash collides apart', async () => {
    // 30-bit hashes: a collision turns up among ~40,000 label sets (birthday bound).
    const seen = new Map<number, Labels>();
    let pair: [Labels, Labels] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const l = Labels.from({ __name__: 'm', id: String(i) });
      const other = seen.get(l.hash);
      if (other !== undefined) pair = [other, l];
      else seen.set(l.hash, l);
    }
    const [a, b] = pair;
    expect(a.hash).toBe(b.hash);
    const head = new Head({ outOfOrderTimeWindowMs: 0 });
    let app = head.appender();
    app.append(a, 1000, 1);
    app.append(b, 1000, 2); // same timestamp, other series: no duplicate conflict
    await app.commit();
    expect(head.numSeries).toBe(2);
    const ra = head.refOf(Labels.from(a));
    const rb = head.refOf(Labels.from(b));
    expect([ra, rb].sort()).toEqual([0, 1]);
    app = head.appender();
    app.append(Labels.from(b), 2000, 3);
    await app.commit();
    const q = head.querier(0, 3000);
    const got = [...q.select([])].map((s) => {
      const it = s.iterator();
      const vs: number[] = [];
      while (it.next() !== ValueType.None) vs.push(it.atV());
      return [s.labels.get('id'), vs];
    });
    // Series come sorted by labels: here by the id value.
    const want: [string, number[]][] = [
      [a.get('id'), [1]],
      [b.get('id'), [2, 3]],
    ];
    expect(got).toEqual(want.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  });
});
