import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compileAnchored, literalAlternatives } from './anchored-regex.js';

/** The reference: Prometheus's `^(?s:<re>)$` through the regex engine. */
function reference(re: string): (s: string) => boolean {
  const compiled = RE2JS.compile(`^(?s:${re})$`);
  return (s) => compiled.matches(s);
}

const INPUTS = ['', 'a', 'b', 'foo', 'foobar', 'barfoo', 'xfoox', 'fo', 'FOO', 'a\nb', 'foo\n', '\nfoo', '.', '10.0.0.1', '10x0x0x1', 'a|b', 'a.b', 'ab', 'x\\y', '.*', 'é', '日本'];

describe('literalAlternatives', () => {
  it('splits literals on | and unescapes punctuation', () => {
    expect(literalAlternatives('foo')).toEqual(['foo']);
    expect(literalAlternatives('')).toEqual(['']);
    expect(literalAlternatives('a|b|c')).toEqual(['a', 'b', 'c']);
    expect(literalAlternatives('a||b')).toEqual(['a', '', 'b']);
    expect(literalAlternatives('a|a')).toEqual(['a', 'a']);
    expect(literalAlternatives('10\\.0\\.0\\.1')).toEqual(['10.0.0.1']);
    expect(literalAlternatives('a\\|b')).toEqual(['a|b']);
    expect(literalAlternatives('x\\\\y')).toEqual(['x\\y']);
    expect(literalAlternatives('日本|é')).toEqual(['日本', 'é']);
  });

  it('rejects metacharacters and escapes of letters, digits and non-ASCII', () => {
    for (const re of ['.', 'a.b', 'a*', 'a+', 'a?', '(a)', '[ab]', 'a{2}', '^a', 'a$', '\\d', '\\pL', '\\Qa\\E', '\\1', '\\é', 'a\\']) {
      expect(literalAlternatives(re), re).toBeUndefined();
    }
  });
});

describe('compileAnchored', () => {
  it('takes the fast paths without the regex engine', () => {
    for (const re of ['foo', '', 'a|b|c', '10\\.0\\.0\\.1', '.*', '.+', 'foo.*', '.*foo', '.*foo.*', '.*\\..*']) {
      expect(compileAnchored(re).re2, re).toBeUndefined();
    }
  });

  it('reports the distinct literals of an alternation', () => {
    expect(compileAnchored('a|b|a').literals).toEqual(['a', 'b']);
    expect(compileAnchored('foo').literals).toEqual(['foo']);
    expect(compileAnchored('').literals).toEqual(['']);
    expect(compileAnchored('.*').literals).toBeUndefined();
    expect(compileAnchored('foo.*').literals).toBeUndefined();
    expect(compileAnchored('a+').literals).toBeUndefined();
  });

  it('matches large alternations through a lookup', () => {
    const lits = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const r = compileAnchored(lits.join('|'));
    for (const l of lits) expect(r.test(l)).toBe(true);
    expect(r.test('v20')).toBe(false);
    expect(r.test('')).toBe(false);
  });

  it('returns the compiled anchored, dot-all regex with its groups otherwise', () => {
    const r = compileAnchored('(a)(?P<rest>.*)');
    expect(r.re2).toBeDefined();
    expect(r.re2!.groupCount()).toBe(2);
    expect(r.test('abc')).toBe(true);
    expect(r.test('a\nb')).toBe(true);
    expect(r.test('xabc')).toBe(false);
    expect(compileAnchored('a|b.').test('ab\n')).toBe(false);
    expect(compileAnchored('a|b.').test('b\n')).toBe(true);
  });

  it('agrees with ^(?s:re)$ on every shape', () => {
    const regexes = ['foo', '', 'a|b', 'a||b', '10\\.0\\.0\\.1', 'a\\|b', '.*', '.+', 'foo.*', '.*foo', '.*foo.*', '.*\\..*', 'foo\\.*', '.*.*', 'fo+', 'f.o', 'a|b.', '(?i)foo', '.*(foo|bar)', 'x\\\\y', 'x\\\\.*', '日本|é', '.'];
    for (const re of regexes) {
      const got = compileAnchored(re);
      const want = reference(re);
      for (const s of INPUTS) expect(got.test(s), `${JSON.stringify(re)} on ${JSON.stringify(s)}`).toBe(want(s));
    }
  });

  it('agrees with ^(?s:re)$ on generated literal and wildcard shapes', () => {
    const piece = fc.constantFrom('a', 'b', '.', '\\.', '|', '.*', '.+', '\\|', '\n', '\\\\', 'é');
    const text = fc.array(fc.constantFrom('a', 'b', '.', '|', '\n', '\\', 'é'), { maxLength: 6 }).map((xs) => xs.join(''));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }).map((xs) => xs.join('')), fc.array(text, { maxLength: 8 }), (re, inputs) => {
        let want: (s: string) => boolean;
        try {
          want = reference(re);
        } catch {
          return; // invalid regexes are covered below
        }
        const got = compileAnchored(re);
        for (const s of inputs) expect(got.test(s)).toBe(want(s));
      }),
      { numRuns: 500 },
    );
  });

  it('throws on invalid syntax', () => {
    for (const bad of ['(', '[a-', 'a**', '(?<=a)b', 'x{2,1}']) {
      expect(() => compileAnchored(bad), bad).toThrow();
      expect(() => compileAnchored(bad, { checkUnwrapped: true }), bad).toThrow();
    }
  });

  it('checks the unwrapped regex only when asked', () => {
    // `^(?s:a)|(b)$` compiles, so only checkUnwrapped catches the escape from the group.
    expect(() => compileAnchored('a)|(b', { checkUnwrapped: true })).toThrow();
    expect(() => compileAnchored('a)|(b')).not.toThrow();
  });
});
