/**
 * The loader's contract under hostile input: whatever the text, parsing returns a config or
 * throws a ConfigError whose issues are well formed. Never another exception, never a crash.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError } from './config-error.js';
import { parseAgentConfig, parseAggregatorConfig } from './config-files.js';
import { formatDuration } from './duration.js';

function checkContract(text: string): void {
  for (const parse of [parseAggregatorConfig, parseAgentConfig]) {
    try {
      parse(text, 'fuzz.yml');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      expect(e.code).toBe('ERR_CONFIG');
      expect(e.issues.length).toBeGreaterThan(0);
      for (const i of e.issues) {
        expect(i.source).toBe('fuzz.yml');
        expect(i.reason.length).toBeGreaterThan(0);
        if (i.line !== undefined) expect(i.line).toBeGreaterThanOrEqual(1);
        if (i.column !== undefined) expect(i.column).toBeGreaterThanOrEqual(1);
        expect(e.message).toContain(i.reason);
      }
      if (e.message.includes('internal error')) throw new Error(`internal error on ${JSON.stringify(text)}: ${e.message}`);
    }
  }
}

const KEYS = [
  'global', 'scrape_interval', 'scrape_timeout', 'external_labels', 'scrape_configs', 'job_name',
  'static_configs', 'targets', 'labels', 'relabel_configs', 'action', 'regex', 'source_labels',
  'target_label', 'modulus', 'replacement', 'separator', 'basic_auth', 'password', 'authorization',
  'mqtt', 'embedded', 'devices', 'username', 'url', 'remote_write', 'queue_config', 'storage', 'tsdb',
  'body_size_limit', 'buffer', 'max_bytes', 'push', 'mode', 'mdns', 'advertise_interfaces',
  'exporters', 'listen', '__proto__', 'constructor', 'toString', '<<', '', 'x',
];
const SCALARS = [
  '15s', '1h30m', '15x', '0', '-1', '1.5', '0x1F', 'true', 'yes', '~', 'null', '10MB', '10kb',
  ':9100', 'localhost:9100', 'http://x/y', 'hashmod', 'labeldrop', '(.*)', '(', '$1', '${1}',
  'mqtt://u:p@h', '.inf', '.nan', '1e400', '99999999999999999999999', '""', "''", '!!binary aGk=',
  '&a 1', '*a', '*missing', '[]', '{}', 'edgeprom/', '_edgeprom._tcp',
];

/** Random documents shaped like configs: real keys, plausible and implausible values. */
const configLike: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...SCALARS),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Token soup: YAML punctuation and config words in random order. */
const TOKENS = [
  '- ', ': ', '\n', '  ', '    ', '[', ']', '{', '}', ', ', '&a ', '*a', '<<: ', '"', "'", '# c', '|', '>-',
  '---', '...', '? ', '!!str ', '!foo ', '%YAML 1.2', '\t', '\r\n', '\uFEFF', '\u0000', '\\', 'é',
  ...KEYS.filter(Boolean), ...SCALARS,
];
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(''));

/** A valid document with a few characters changed. */
function mutate(text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat({ max: Math.max(text.length, 1) }), fc.constantFrom('', ' ', '\n', ':', '-', '[', '"', '*', '&', '\t', 'x')), { maxLength: 4 })
    .map((edits) => {
      let t = text;
      for (const [at, ch] of edits) t = t.slice(0, at) + ch + t.slice(at + 1);
      return t;
    });
}

describe('parseConfig never throws anything but ConfigError', () => {
  it('on random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), checkContract), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), checkContract), { numRuns: 200 });
  });

  it('on YAML token soup', () => {
    fc.assert(fc.property(soup, checkContract), { numRuns: 500 });
  });

  it('on random config-shaped documents, block and flow style', () => {
    fc.assert(
      fc.property(configLike, fc.boolean(), (doc, flow) => {
        const text = stringify(doc, flow ? { collectionStyle: 'flow' } : undefined);
        checkContract(text);
      }),
      { numRuns: 300 },
    );
  });

  it('on mutated config documents', () => {
    const base = stringify({
      global: { scrape_interval: '15s', external_labels: { site: 'a' } },
      scrape_configs: [
        { job_name: 'a', static_configs: [{ targets: ['h:1'] }], relabel_configs: [{ action: 'hashmod', modulus: 2, target_label: 'x' }] },
      ],
      mqtt: { embedded: { devices: [{ username: 'd', password: 'p' }] } },
    });
    fc.assert(fc.property(mutate(base), checkContract), { numRuns: 300 });
  });

  it('on pathological shapes', () => {
    const cases = [
      '['.repeat(10_000),
      '{'.repeat(10_000),
      '- '.repeat(2000) + 'x',
      'a: &a [' + '*a,'.repeat(100) + ']',
      'a: ' + 'x'.repeat(100_000),
      Array.from({ length: 5000 }, (_, i) => `k${i}: ${i}`).join('\n'),
      'a: "' + '\\'.repeat(1001),
      ':'.repeat(1000),
      '? '.repeat(500),
      '- - - - - - - - - -\n'.repeat(50),
      '\u0000\u0001\u0002',
      'scrape_configs:\n' + '  - job_name: x\n'.repeat(200),
    ];
    for (const c of cases) checkContract(c);
  });
});

describe('valid documents', () => {
  it('parse, keeping every job and interval', () => {
    const job = fc.record({
      job_name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/),
      scrape_interval: fc.integer({ min: 1, max: 86_400_000 }).map(formatDuration),
    });
    fc.assert(
      fc.property(fc.uniqueArray(job, { selector: (j) => j.job_name, maxLength: 5 }), (jobs) => {
        const withTimeout = jobs.map((j) => ({ ...j, scrape_timeout: j.scrape_interval }));
        const cfg = parseAggregatorConfig(stringify({ scrape_configs: withTimeout }));
        expect(cfg.scrape_configs.map((s) => [s.job_name, formatDuration(s.scrape_interval)])).toEqual(jobs.map((j) => [j.job_name, j.scrape_interval]));
      }),
      { numRuns: 100 },
    );
  });
});
