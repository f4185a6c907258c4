/** Relabeling never throws, whatever the label set, for any config the schema accepts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels, isValidLabelName } from '@edgeprom/shared';
import { RELABEL_ACTIONS, relabelConfigSchema } from '@edgeprom/shared/config';
import { compileRelabel, relabel } from './index.js';

const name = fc.oneof(
  fc.constantFrom('__name__', 'job', 'instance', '__address__', '__meta_x', 'a', 'b1', 'le'),
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/),
);
const value = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'foo', 'a;b', 'line1\nline2'));
const regex = fc.constantFrom('(.*)', '.*', 'foo|bar', 'f(.*)', '(?:.+,|^)job:([^,]+).*', '(a)?(b)?', '__meta_(.+)', '[a-z]+', '', 'x\\.y', '(?<n>.)(.*)');
const template = fc.constantFrom('$1', '${1}', '$2', '${n}', '$n', 'x_$1', '$$', '$', '${', 'static', '', '$0', '$01', '$1x');

const rawConfig = fc.record(
  {
    action: fc.constantFrom(...RELABEL_ACTIONS),
    source_labels: fc.array(name, { maxLength: 3 }),
    separator: fc.constantFrom(';', '', '|'),
    regex,
    target_label: fc.oneof(name, fc.constantFrom('${1}', 'x_$1', '$n')),
    replacement: template,
    modulus: fc.integer({ min: 1, max: 2 ** 40 }),
  },
  { requiredKeys: ['action'] },
);

describe('relabel properties', () => {
  it('never throws for arbitrary label sets and valid configs', () => {
    fc.assert(
      fc.property(fc.array(rawConfig, { maxLength: 5 }), fc.dictionary(name, value, { maxKeys: 6 }), (raws, input) => {
        const configs = [];
        for (const r of raws) {
          const parsed = relabelConfigSchema.safeParse(r);
          if (parsed.success) configs.push(parsed.data);
        }
        const res = relabel(Labels.from(input), compileRelabel(configs));
        if (res !== null) {
          for (const [n, v] of res) {
            expect(v).not.toBe('');
            expect(typeof n).toBe('string');
          }
          // replace never writes an invalid name; only labelmap can (as in Prometheus).
          if (!configs.some((c) => c.action === 'labelmap')) {
            for (const [n] of res) if (!isValidLabelName(n)) expect(Object.keys(input)).toContain(n);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
