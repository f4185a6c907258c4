import { describe, expect, it } from 'vitest';
import { DISCOVERY_ERROR_CODES } from './discovery-error.js';
import { fileSdFormat, parseFileSd } from './file-sd-parse.js';

describe('parseFileSd', () => {
  it('reads Prometheus file_sd JSON', () => {
    const text = JSON.stringify([
      { targets: ['a:9100', 'b:9100'], labels: { env: 'lab' } },
      { targets: ['c:9100'] },
    ]);
    expect(parseFileSd(text, '/sd/x.json', 'json')).toEqual([
      { source: '/sd/x.json:0', targets: [{ __address__: 'a:9100' }, { __address__: 'b:9100' }], labels: { env: 'lab', __meta_filepath: '/sd/x.json' } },
      { source: '/sd/x.json:1', targets: [{ __address__: 'c:9100' }], labels: { __meta_filepath: '/sd/x.json' } },
    ]);
  });

  it('reads YAML, and an empty YAML file is no groups', () => {
    expect(parseFileSd('- targets: [a:1]\n  labels: {k: v}\n', 'f.yml', 'yaml')).toEqual([
      { source: 'f.yml:0', targets: [{ __address__: 'a:1' }], labels: { k: 'v', __meta_filepath: 'f.yml' } },
    ]);
    expect(parseFileSd('', 'f.yml', 'yaml')).toEqual([]);
  });

  it.each([
    ['{}', 'json', 'expected a list of target groups'],
    ['[', 'json', 'not valid JSON'],
    ['[{"targets": "a:1"}]', 'json', '[0].targets: expected a list'],
    ['[{"targets": [1]}]', 'json', '[0].targets[0]'],
    ['[{"targets": [], "labels": {"1bad": "x"}}]', 'json', 'not a valid label name'],
    ['[{"targets": [], "labels": {"a": 1}}]', 'json', '[0].labels.a: expected a string'],
    ['[{"targets": [], "lables": {}}]', 'json', '[0].lables: unknown field'],
    ['- targets: [a:1]\n- targets: [b:1\n', 'yaml', 'not valid YAML'],
  ] as const)('rejects %s with ERR_DISCOVERY_FILE', (text, format, message) => {
    let err: unknown;
    try {
      parseFileSd(text, 'f', format);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: DISCOVERY_ERROR_CODES.FILE });
    expect((err as Error).message).toContain(message);
  });

  it('tells the format by extension', () => {
    expect(fileSdFormat('a.JSON')).toBe('json');
    expect(fileSdFormat('a.yaml')).toBe('yaml');
    expect(fileSdFormat('a.yml')).toBe('yaml');
    expect(fileSdFormat('a.txt')).toBeUndefined();
  });
});
