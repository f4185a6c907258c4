import { describe, expect, it } from 'vitest';
import { cleanPath, decodeBase64, groupKey, parseGroupingPath } from './grouping-key.js';

const parse = (rest: string) => Object.fromEntries(parseGroupingPath(rest) ?? []);

describe('grouping key from the path', () => {
  it('takes job and label pairs; the job segment wins over a later job label', () => {
    expect(parse('job/j1')).toEqual({ job: 'j1' });
    expect(parse('job/j1/instance/i1/a/b')).toEqual({ job: 'j1', instance: 'i1', a: 'b' });
    expect(parse('job/j1/job/other')).toEqual({ job: 'j1' });
    expect(parse('job/j1/a/1/a/2')).toEqual({ job: 'j1', a: '2' });
    expect(parse('job/j1/')).toEqual({ job: 'j1' });
  });

  it('decodes @base64 values, padding optional, `=` for the empty value', () => {
    expect(parse('job@base64/L3Zhci90bXA')).toEqual({ job: '/var/tmp' });
    expect(parse('job@base64/L3Zhci90bXA=')).toEqual({ job: '/var/tmp' });
    expect(parse('job/j/path@base64/L3Zhci90bXA')).toEqual({ job: 'j', path: '/var/tmp' });
    expect(parse('job/j/a@base64/=')).toEqual({ job: 'j', a: '' });
    expect(parse('job/j/a@base64/===')).toEqual({ job: 'j', a: '' });
    expect(parse('job/titan/name@base64/zqDPgc6_zrzOt864zrXPjc-C')).toEqual({ job: 'titan', name: 'Προμηθεύς' });
  });

  it('refuses what Pushgateway refuses, with its messages', () => {
    expect(() => parse('job/j/a')).toThrow('odd number of components in label string "/a"');
    expect(() => parse('job/j/x/y/')).toThrow('odd number of components in label string "/x/y/"');
    expect(() => parse('job/j/__a/b')).toThrow('improper label name "__a"');
    expect(() => parse('job/j/1a/b')).toThrow('improper label name "1a"');
    expect(() => parse('job/j/a@base64/!!')).toThrow('invalid base64 encoding for label a="!!": illegal base64 data at input byte 0');
    expect(() => parse('job@base64/=')).toThrow('job name is required');
    expect(() => parse('job@base64/!!')).toThrow('invalid base64 encoding in job name "": illegal base64 data at input byte 0');
    for (const p of ['job/j/a/b', 'job@base64/=', 'job/j/a']) {
      try {
        parse(p);
      } catch (e) {
        expect((e as { code: string }).code).toBe('ERR_PUSH_BAD_PATH');
      }
    }
  });

  it('is not a push route without job', () => {
    expect(parseGroupingPath('jobx/j')).toBeUndefined();
    expect(parseGroupingPath('job/')).toBeUndefined();
  });

  it('base64 errors point at the byte Go names', () => {
    expect(decodeBase64('A')).toMatchObject({ error: 'illegal base64 data at input byte 0' });
    expect(decodeBase64('AAAAA')).toMatchObject({ error: 'illegal base64 data at input byte 4' });
    expect(decodeBase64('YWJj')).toEqual({ value: 'abc' });
  });

  it('keys keep empty values apart from absent labels, and ignore order', () => {
    expect(groupKey(new Map([['job', 'j'], ['a', '']]))).not.toBe(groupKey(new Map([['job', 'j']])));
    expect(groupKey(new Map([['job', 'j'], ['a', '1']]))).toBe(groupKey(new Map([['a', '1'], ['job', 'j']])));
  });

  it('cleans paths as Go does, keeping a trailing slash', () => {
    expect(cleanPath('/metrics/job/j//x/y')).toBe('/metrics/job/j/x/y');
    expect(cleanPath('/metrics/job/j/./a/../b/')).toBe('/metrics/job/j/b/');
    expect(cleanPath('/metrics/job/j')).toBe('/metrics/job/j');
  });
});
