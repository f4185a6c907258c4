import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { parseConfig } from './load.js';
import { RELABEL_ACTIONS, isValidRelabelTarget, relabelConfigSchema } from './relabel-schema.js';
import { obj, regexError } from './fields.js';

function parse(yaml: string) {
  return parseConfig(yaml, relabelConfigSchema, 'r.yml');
}

function reason(yaml: string): string {
  try {
    parse(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const issues = (e as ConfigError).issues;
    expect(issues).toHaveLength(1);
    return issues[0].reason;
  }
  throw new Error(`expected ${JSON.stringify(yaml)} to be refused`);
}

describe('relabel config', () => {
  it('has Prometheus defaults', () => {
    expect(parse('target_label: x\n')).toEqual({
      source_labels: [],
      separator: ';',
      regex: '(.*)',
      modulus: 0,
      target_label: 'x',
      replacement: '$1',
      action: 'replace',
    });
  });

  it('reads actions case-insensitively and lists the valid ones for an unknown one', () => {
    expect(parse('action: KEEP\nsource_labels: [a]\nregex: x\n').action).toBe('keep');
    expect(reason('action: copy\n')).toBe(`unknown relabel action "copy" (use one of ${RELABEL_ACTIONS.join(', ')})`);
    expect(reason('action: ""\n')).toMatch(/^unknown relabel action ""/);
  });

  it('accepts a valid config for each action', () => {
    const valid: Record<string, string> = {
      replace: 'source_labels: [a, b]\nseparator: ","\nregex: (.+),(.+)\ntarget_label: ${1}_x\nreplacement: $2\n',
      keep: 'source_labels: [job]\nregex: node|pi\naction: keep\n',
      drop: 'source_labels: [__name__]\nregex: go_.*\naction: drop\n',
      keepequal: 'source_labels: [a]\ntarget_label: b\naction: keepequal\n',
      dropequal: 'source_labels: [a]\ntarget_label: b\naction: dropequal\n',
      hashmod: 'source_labels: [__address__]\nmodulus: 4\ntarget_label: __tmp_hash\naction: hashmod\n',
      labelmap: 'regex: __meta_mdns_txt_(.+)\nreplacement: txt_$1\naction: labelmap\n',
      labeldrop: 'regex: tmp_.*\naction: labeldrop\n',
      labelkeep: 'regex: job|instance\naction: labelkeep\n',
      lowercase: 'source_labels: [host]\ntarget_label: host\naction: lowercase\n',
      uppercase: 'source_labels: [host]\ntarget_label: host_upper\naction: uppercase\n',
    };
    expect(Object.keys(valid).sort()).toEqual([...RELABEL_ACTIONS].sort());
    for (const [action, yaml] of Object.entries(valid)) expect(parse(yaml).action).toBe(action);
  });

  // Messages as in Prometheus's config/testdata/*.bad.yml expectations.
  it.each([
    ['hashmod without modulus', 'action: hashmod\ntarget_label: x\n', 'relabel configuration for hashmod requires non-zero modulus'],
    ['hashmod with modulus 0', 'action: hashmod\ntarget_label: x\nmodulus: 0\n', 'relabel configuration for hashmod requires non-zero modulus'],
    ['hashmod with an invalid target', 'action: hashmod\ntarget_label: 1x\nmodulus: 2\n', `"1x" is invalid 'target_label' for hashmod action`],
    ['replace without target_label', 'source_labels: [a]\n', `relabel configuration for replace action requires 'target_label' value`],
    ['replace with an invalid target', 'target_label: a-b\n', `"a-b" is invalid 'target_label' for replace action`],
    ['replace with a bad template target', 'target_label: ${1\n', `"\${1" is invalid 'target_label' for replace action`],
    ['lowercase without target', 'action: lowercase\n', `relabel configuration for lowercase action requires 'target_label' value`],
    ['uppercase with $ in target', 'action: uppercase\ntarget_label: $1\n', `"$1" is invalid 'target_label' for uppercase action`],
    ['lowercase with replacement', 'action: lowercase\ntarget_label: x\nreplacement: y\n', `'replacement' can not be set for lowercase action`],
    ['keepequal without target', 'action: keepequal\nsource_labels: [a]\n', `relabel configuration for keepequal action requires 'target_label' value`],
    ['keepequal with regex', 'action: keepequal\nsource_labels: [a]\ntarget_label: b\nregex: (.*)\n', "keepequal action requires only 'source_labels' and `target_label`, and no other fields"],
    ['dropequal with separator', 'action: dropequal\nsource_labels: [a]\ntarget_label: b\nseparator: ","\n', "dropequal action requires only 'source_labels' and `target_label`, and no other fields"],
    ['dropequal with modulus', 'action: dropequal\nsource_labels: [a]\ntarget_label: b\nmodulus: 3\n', "dropequal action requires only 'source_labels' and `target_label`, and no other fields"],
    ['labelmap with a bad replacement', 'action: labelmap\nreplacement: l-$1\n', `"l-$1" is invalid 'replacement' for labelmap action`],
    ['labeldrop with source_labels', 'action: labeldrop\nsource_labels: [a]\n', "labeldrop action requires only 'regex', and no other fields"],
    ['labeldrop with empty source_labels', 'action: labeldrop\nsource_labels: []\n', "labeldrop action requires only 'regex', and no other fields"],
    ['labelkeep with target_label', 'action: labelkeep\ntarget_label: x\n', "labelkeep action requires only 'regex', and no other fields"],
    ['labelkeep with replacement', 'action: labelkeep\nreplacement: x\n', "labelkeep action requires only 'regex', and no other fields"],
    ['labeldrop with separator', 'action: labeldrop\nseparator: x\n', "labeldrop action requires only 'regex', and no other fields"],
    ['labeldrop with modulus', 'action: labeldrop\nmodulus: 1\n', "labeldrop action requires only 'regex', and no other fields"],
  ])('refuses %s', (_name, yaml, message) => {
    expect(reason(yaml)).toBe(message);
  });

  it('points at the offending field when it is there, else at the rule', () => {
    try {
      parseConfig('relabel:\n  - action: hashmod\n    target_label: x\n    modulus: 0\n', relabelSchemaIn('relabel'), 'r.yml');
    } catch (e) {
      expect((e as ConfigError).message).toBe('r.yml:4:14: relabel[0].modulus: relabel configuration for hashmod requires non-zero modulus');
    }
    try {
      parseConfig('relabel:\n  - action: hashmod\n    target_label: x\n', relabelSchemaIn('relabel'), 'r.yml');
    } catch (e) {
      expect((e as ConfigError).message).toBe('r.yml:2:5: relabel[0]: relabel configuration for hashmod requires non-zero modulus');
    }
    expect.assertions(2);
  });

  it('validates source label names and regexes', () => {
    expect(reason('source_labels: [a-b]\ntarget_label: x\n')).toBe('"a-b" is not a valid label name');
    expect(reason('regex: "(unclosed"\ntarget_label: x\n')).toBe('invalid regular expression "(unclosed": missing closing ): `(unclosed`');
    // RE2 syntax, as the aggregator compiles it: Go's named groups pass, lookaround and
    // backreferences (which could backtrack) do not.
    expect(() => parse('regex: "(?P<n>a)"\ntarget_label: x\n')).not.toThrow();
    expect(reason('regex: "a(?=b)"\ntarget_label: x\n')).toMatch(/invalid or unsupported Perl syntax/);
    expect(reason('regex: "(a)\\\\1"\ntarget_label: x\n')).toMatch(/invalid escape sequence/);
    expect(() => parse('action: unknown\nfoo: 1\n')).toThrow(/r\.yml:2:1: unknown field "foo"/);
  });

  it('accepts RE2 inline flags at the start of a regex', () => {
    expect(parse('regex: (?i)Foo.*\ntarget_label: x\n').regex).toBe('(?i)Foo.*');
    expect(regexError('(?is)a.b')).toBeUndefined();
    expect(regexError('[')).toBeDefined();
  });
});

describe('isValidRelabelTarget', () => {
  // The pattern Prometheus uses, which is exponential on some inputs in a backtracking engine.
  const prometheus = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

  it('agrees with Prometheus on short strings', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_${}\-.]{0,8}$/), (s) => {
        expect(isValidRelabelTarget(s)).toBe(prometheus.test(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('is fast on adversarial input', () => {
    expect(isValidRelabelTarget('a'.repeat(100_000) + '!')).toBe(false);
    expect(isValidRelabelTarget('$a'.repeat(50_000) + '!')).toBe(false);
  });
});

function relabelSchemaIn(key: string) {
  return obj({ [key]: z.array(relabelConfigSchema) });
}
