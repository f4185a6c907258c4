import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EdgepromError } from '../errors.js';
import { ConfigError, formatConfigIssue, formatConfigPath } from './config-error.js';
import { loadAggregatorConfig, parseAggregatorConfig } from './config-files.js';
import { bool, duration, obj, str, uint } from './fields.js';
import { DEFAULT_MAX_CONFIG_BYTES, loadConfigFile, parseConfig } from './load.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function configErrorAsync(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const AGGREGATOR_YML = `global:
  scrape_interval: 15s

scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['localhost:9100']
  - job_name: pi
    static_configs:
      - targets: ['pi.lan:9100']
  - job_name: sensors
    metrics_path: /metrics
    static_configs: []
    scrape_interval: 15x
`;

describe('parseConfig errors', () => {
  it('name the file, line:column, Prometheus path and reason', () => {
    const e = configError(() => parseAggregatorConfig(AGGREGATOR_YML, 'aggregator.yml'));
    expect(e.code).toBe('ERR_CONFIG');
    expect(e).toBeInstanceOf(EdgepromError);
    expect(e.message).toBe('aggregator.yml:14:22: scrape_configs[2].scrape_interval: not a valid duration "15x": unknown unit "x"');
    expect(e.issues).toEqual([
      {
        source: 'aggregator.yml',
        path: 'scrape_configs[2].scrape_interval',
        segments: ['scrape_configs', 2, 'scrape_interval'],
        line: 14,
        column: 22,
        reason: 'not a valid duration "15x": unknown unit "x"',
      },
    ]);
  });

  it('report unknown fields by name at the key', () => {
    const e = configError(() =>
      parseAggregatorConfig('global:\n  scrape_intervall: 15s\nscrape_configs:\n  - job_name: x\n    bogus: 1\nextra: true\n', 'a.yml'),
    );
    expect(e.message.split('\n')).toEqual([
      'a.yml:2:3: global: unknown field "scrape_intervall"',
      'a.yml:5:5: scrape_configs[0]: unknown field "bogus"',
      'a.yml:6:1: unknown field "extra"',
    ]);
  });

  it('say when a Prometheus field is not supported', () => {
    const e = configError(() => parseAggregatorConfig('scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: []\nremote_read: []\n', 'a.yml'));
    expect(e.message.split('\n')).toEqual([
      'a.yml:3:5: scrape_configs[0]: field "kubernetes_sd_configs" is a Prometheus setting that edgeprom does not support',
      'a.yml:4:1: field "remote_read" is a Prometheus setting that edgeprom does not support',
    ]);
  });

  it('map YAML syntax errors to the same error', () => {
    const e = configError(() => parseAggregatorConfig('global:\n  scrape_interval: [15s\nscrape_configs: []\n', 'a.yml'));
    expect(e.issues[0].line).toBe(3);
    expect(e.message).toMatch(/^a\.yml:3:1: YAML syntax error: /);
    const dup = configError(() => parseAggregatorConfig('global: {}\nglobal: {}\n', 'a.yml'));
    expect(dup.message).toBe('a.yml:2:1: duplicate key "global"');
  });

  it('describe type errors in YAML terms, with the value found', () => {
    const schema = obj({ a: str(), b: uint(), c: bool(), d: z.array(str()), e: obj({ f: str() }), g: z.enum(['x', 'y']) });
    const e = configError(() => parseConfig('a: [1]\nb: -1\nc: yes\nd: {x: 1}\ne: []\ng: z\n', schema, 'f.yml'));
    expect(e.message.split('\n')).toEqual([
      'f.yml:1:4: a: expected a string, got a sequence',
      'f.yml:2:4: b: must be at least 0',
      'f.yml:3:4: c: expected true or false, got the string "yes"',
      'f.yml:4:4: d: expected a sequence, got a mapping',
      'f.yml:5:4: e: expected a mapping, got a sequence',
      'f.yml:6:4: g: must be one of "x", "y"; got the string "z"',
    ]);
    const missing = configError(() => parseConfig('b: 1\n', obj({ a: str(), b: uint() }), 'f.yml'));
    expect(missing.message).toBe('f.yml:1:1: a: missing required field');
  });

  it('take a plain scalar as its source text where a string is expected, as Go does', () => {
    const schema = obj({ a: str(), b: str(), c: str(), n: uint(), t: duration() });
    expect(parseConfig('a: 0123\nb: 1.10\nc: true\nn: 0x10\nt: 0\n', schema)).toEqual({ a: '0123', b: '1.10', c: 'true', n: 16, t: 0 });
    expect(configError(() => parseConfig('a: x\nb: x\nc: x\nn: "5"\nt: 15\n', schema, 'f.yml')).message.split('\n')).toEqual([
      'f.yml:4:4: n: expected an integer, got the string "5"',
      'f.yml:5:4: t: not a valid duration "15": missing unit after 15 (use one of y, w, d, h, m, s, ms)',
    ]);
  });

  it('treat an empty document as all defaults and a non-mapping as an error', () => {
    const schema = obj({ a: str().default('x') });
    expect(parseConfig('', schema)).toEqual({ a: 'x' });
    expect(parseConfig('# only a comment\n', schema)).toEqual({ a: 'x' });
    expect(parseConfig('~\n', schema)).toEqual({ a: 'x' });
    expect(configError(() => parseConfig('- a\n', schema, 'f.yml')).message).toBe('f.yml:1:1: expected a mapping, got a sequence');
    expect(configError(() => parseConfig('hello\n', schema, 'f.yml')).message).toBe('f.yml:1:1: expected a mapping, got the string "hello"');
  });

  it('strip a UTF-8 byte order mark', () => {
    expect(parseConfig('\uFEFFa: b\n', obj({ a: str() }))).toEqual({ a: 'b' });
  });

  it('refuse text above the size limit', () => {
    const e = configError(() => parseConfig(`a: ${'x'.repeat(100)}\n`, obj({ a: str() }), 'big.yml', { maxBytes: 64 }));
    expect(e.message).toBe('big.yml: the configuration is 104 bytes, more than the limit of 64 bytes');
    expect(DEFAULT_MAX_CONFIG_BYTES).toBe(4 * 1024 * 1024);
    const multiByte = 'a: ' + 'é'.repeat(30) + '\n'; // 34 UTF-16 units, 64 bytes
    expect(() => parseConfig(multiByte, obj({ a: str() }), 'f', { maxBytes: 64 })).not.toThrow();
    expect(() => parseConfig(multiByte + ' ', obj({ a: str() }), 'f', { maxBytes: 64 })).toThrow(ConfigError);
  });

  it('cap the number of issues', () => {
    const lines = Array.from({ length: 120 }, (_, i) => `k${i}: 1`).join('\n');
    const e = configError(() => parseConfig(lines, obj({}), 'f.yml'));
    expect(e.issues).toHaveLength(51);
    expect(e.issues[50].reason).toBe('... and 70 more errors');
  });

  it('wrap a schema that throws into ConfigError', () => {
    const schema = z.unknown().transform(() => {
      throw new TypeError('boom');
    });
    const e = configError(() => parseConfig('a: 1\n', schema, 'f.yml'));
    expect(e.message).toBe('f.yml: internal error while reading the configuration: boom');
    expect(e.cause).toBeInstanceOf(TypeError);
  });
});

describe('formatting', () => {
  it('writes paths in Prometheus style', () => {
    expect(formatConfigPath([])).toBe('');
    expect(formatConfigPath(['scrape_configs', 2, 'scrape_interval'])).toBe('scrape_configs[2].scrape_interval');
    expect(formatConfigPath(['global', 'external_labels', 'a.b'])).toBe('global.external_labels["a.b"]');
    expect(formatConfigPath([0, 'x'])).toBe('[0].x');
  });

  it('leaves out unknown parts of an issue', () => {
    expect(formatConfigIssue({ source: 'f', path: '', segments: [], reason: 'r' })).toBe('f: r');
    expect(formatConfigIssue({ source: 'f', path: 'a', segments: ['a'], line: 2, column: 3, reason: 'r' })).toBe('f:2:3: a: r');
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeprom-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads and validates a file, naming it in errors', async () => {
    const good = join(dir, 'good.yml');
    await writeFile(good, 'global:\n  scrape_interval: 30s\n');
    expect((await loadAggregatorConfig(good)).global.scrape_interval).toBe(30_000);
    const bad = join(dir, 'bad.yml');
    await writeFile(bad, AGGREGATOR_YML);
    const e = await configErrorAsync(loadAggregatorConfig(bad));
    expect(e.message).toBe(`${bad}:14:22: scrape_configs[2].scrape_interval: not a valid duration "15x": unknown unit "x"`);
    const named = await configErrorAsync(loadAggregatorConfig(bad, { sourceName: 'aggregator.yml' }));
    expect(named.issues[0].source).toBe('aggregator.yml');
  });

  it('reports a missing file, a directory, and a file too big as ConfigError', async () => {
    const missing = join(dir, 'missing.yml');
    expect((await configErrorAsync(loadConfigFile(missing, obj({})))).message).toBe(`${missing}: no such file`);
    const sub = join(dir, 'sub');
    await mkdir(sub);
    expect((await configErrorAsync(loadConfigFile(sub, obj({})))).message).toBe(`${sub}: not a regular file`);
    const big = join(dir, 'big.yml');
    await writeFile(big, `a: ${'x'.repeat(2000)}\n`);
    expect((await configErrorAsync(loadConfigFile(big, obj({ a: str() }), { maxBytes: 1024 }))).message).toBe(
      `${big}: the configuration is 2004 bytes, more than the limit of 1024 bytes`,
    );
  });

  it('reports invalid UTF-8 with its line', async () => {
    const f = join(dir, 'latin1.yml');
    await writeFile(f, Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect((await configErrorAsync(loadConfigFile(f, obj({ a: uint(), b: str() })))).message).toBe(`${f}:2:7: the file is not valid UTF-8`);
  });
});
