import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { Matcher } from './matcher.js';
import { StorageError } from './errors.js';

const re = (v: string) => Matcher.regex('l', v);

describe('Matcher', () => {
  it('implements the four match types, with "" standing for an absent label', () => {
    expect(Matcher.equal('l', 'a').matches('a')).toBe(true);
    expect(Matcher.equal('l', 'a').matches('ab')).toBe(false);
    expect(Matcher.notEqual('l', 'a').matches('b')).toBe(true);
    expect(Matcher.notEqual('l', 'a').matches('')).toBe(true);
    expect(re('a.').matches('ab')).toBe(true);
    expect(Matcher.notRegex('l', 'a.').matches('ab')).toBe(false);
    expect(Matcher.equal('l', '').matchesEmpty).toBe(true);
    expect(Matcher.notEqual('l', '').matchesEmpty).toBe(false);
    expect(re('a|').matchesEmpty).toBe(true);
    expect(re('a+').matchesEmpty).toBe(false);
    expect(Matcher.notRegex('l', 'a+').matchesEmpty).toBe(true);
  });

  it('anchors regexes at both ends and lets . match newlines and whole code points', () => {
    expect(re('b').matches('abc')).toBe(false);
    expect(re('a|b').matches('ab')).toBe(false);
    expect(re('(a|b)c').matches('bc')).toBe(true);
    expect(re('foo.*').matches('foo\nbar')).toBe(true);
    expect(re('a.c').matches('a\nc')).toBe(true);
    expect(re('.').matches('😀')).toBe(true);
    expect(re('(?i)abc').matches('ABC')).toBe(true);
    expect(re('\\d+').matches('123')).toBe(true);
    expect(re('\\d+').matches('12a')).toBe(false);
  });

  it('finishes a regex that makes backtracking engines explode', () => {
    const evil = `${'a'.repeat(50_000)}b`;
    expect(re('(a+)+$').matches(evil)).toBe(false);
    expect(re('(a|a)*c').matches(evil)).toBe(false);
    expect(re('(a*)*b').matches(evil)).toBe(true);
  });

  it('rejects bad regexes and unknown types with ERR_INVALID_MATCHER', () => {
    for (const bad of ['a)|(b', '(', '[a-', 'a**', '(?<=a)b', 'x{2,1}']) {
      expect(() => re(bad), bad).toThrow(StorageError);
      expect(() => re(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_MATCHER' }));
    }
    expect(() => Matcher.create('==' as never, 'l', 'a')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MATCHER' }),
    );
  });

  it('exposes set matches for alternations of literals only', () => {
    expect(re('a|b|c').setMatches()).toEqual(['a', 'b', 'c']);
    expect(re('10\\.0\\.0\\.1|x').setMatches()).toEqual(['10.0.0.1', 'x']);
    expect(re('a|').setMatches()).toEqual(['a', '']);
    expect(Matcher.notRegex('l', 'a|b').setMatches()).toEqual(['a', 'b']);
    expect(re('a.|b').setMatches()).toBeUndefined();
    expect(re('\\d|b').setMatches()).toBeUndefined();
    expect(Matcher.equal('l', 'a').setMatches()).toBeUndefined();
  });

  it('inverts', () => {
    const m = re('a|b');
    const inv = m.inverse();
    expect(inv.type).toBe('!~');
    expect(inv.inverse().type).toBe('=~');
    for (const s of ['a', 'b', 'c', '']) expect(inv.matches(s)).toBe(!m.matches(s));
    expect(Matcher.equal('l', 'x').inverse().type).toBe('!=');
    expect(Matcher.notEqual('l', 'x').inverse().type).toBe('=');
  });

  it('prints in PromQL notation', () => {
    expect(Matcher.regex('job', 'a"b').toString()).toBe('job=~"a\\"b"');
    expect(Matcher.notEqual('job', 'x').toString()).toBe('job!="x"');
  });

  it('agrees with RE2 on every fast-path shape', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '|', '\\', 'é', '\n', '*');
    const lit = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '-', '_'), maxLength: 4 });
    const escaped = lit.map((s) => s.replace(/-/g, '\\-').replace(/_/g, '\\.'));
    const shape = fc.oneof(
      lit,
      escaped,
      fc.array(lit, { minLength: 1, maxLength: 12 }).map((xs) => xs.join('|')),
      lit.map((x) => `${x}.*`),
      lit.map((x) => `.*${x}`),
      lit.map((x) => `.*${x}.*`),
      fc.constantFrom('.*', '.+', '.*.*', 'a\\.*', '.*|a', 'a|.*'),
    );
    fc.assert(
      fc.property(shape, fc.array(fc.string({ unit: alphabet, maxLength: 6 }), { maxLength: 8 }), (r, inputs) => {
        const ref = RE2JS.compile(`^(?s:${r})$`);
        const m = re(r);
        for (const s of [...inputs, '', 'a', 'a.', 'é']) expect(m.matches(s), `${r} vs ${JSON.stringify(s)}`).toBe(ref.matches(s));
      }),
      { numRuns: 400 },
    );
  });
});
