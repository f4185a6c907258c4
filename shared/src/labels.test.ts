import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, LabelsInterner, isValidLabelName, isValidMetricName } from './labels.js';

describe('Labels', () => {
  it('sorts, drops empty values, keeps the last of a repeated name', () => {
    const l = Labels.from([
      ['b', '2'],
      ['a', '1'],
      ['c', ''],
      ['b', '3'],
    ]);
    expect([...l]).toEqual([
      ['a', '1'],
      ['b', '3'],
    ]);
    expect(l.get('c')).toBe('');
    expect(l.size).toBe(2);
  });

  it('equal sets have equal keys regardless of input order', () => {
    const arb = fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 8 });
    fc.assert(
      fc.property(arb, (rec) => {
        const a = Labels.from(rec);
        const b = Labels.from(Object.entries(rec).reverse());
        expect(a.key).toBe(b.key);
        expect(a.equals(b)).toBe(true);
      }),
    );
  });

  it('keys do not collide when a value contains the pair separators', () => {
    const a = Labels.from({ a: 'x', b: 'y' });
    const b = Labels.from({ a: `x${a.key}` });
    expect(Labels.from({ a: 'x1:b1:y' }).key).not.toBe(a.key);
    expect(a.key).not.toBe(b.key);
  });

  it('prints in Prometheus notation and escapes values', () => {
    expect(Labels.from({ __name__: 'up', job: 'a"b\\c\nd' }).toString()).toBe('up{job="a\\"b\\\\c\\nd"}');
    expect(Labels.from({ __name__: 'up' }).toString()).toBe('up');
    expect(Labels.from({ job: 'x' }).toString()).toBe('{job="x"}');
  });

  it('with/without/keep return new sets', () => {
    const l = Labels.from({ __name__: 'm', a: '1', b: '2' });
    expect(l.with('c', '3').toObject()).toEqual({ __name__: 'm', a: '1', b: '2', c: '3' });
    expect(l.with('a', '').toObject()).toEqual({ __name__: 'm', b: '2' });
    expect(l.without('__name__').toObject()).toEqual({ a: '1', b: '2' });
    expect(l.keep('b').toObject()).toEqual({ b: '2' });
    expect(l.toObject()).toEqual({ __name__: 'm', a: '1', b: '2' });
  });

  it('compares like Prometheus labels.Compare', () => {
    const a = Labels.from({ a: '1' });
    const b = Labels.from({ a: '1', b: '1' });
    const c = Labels.from({ a: '2' });
    expect(Labels.compare(a, b)).toBeLessThan(0);
    expect(Labels.compare(c, b)).toBeGreaterThan(0);
    expect(Labels.compare(a, Labels.from({ a: '1' }))).toBe(0);
  });

  it('interner returns one instance per distinct set', () => {
    const i = new LabelsInterner();
    const x = i.intern(Labels.from({ a: '1' }));
    expect(i.intern(Labels.from({ a: '1' }))).toBe(x);
    expect(i.size).toBe(1);
  });

  it('validates names as Prometheus does', () => {
    expect(isValidMetricName('node_cpu_seconds_total')).toBe(true);
    expect(isValidMetricName('a:b')).toBe(true);
    expect(isValidMetricName('1a')).toBe(false);
    expect(isValidLabelName('a:b')).toBe(false);
    expect(isValidLabelName('_x')).toBe(true);
    expect(isValidLabelName('')).toBe(false);
  });
});
