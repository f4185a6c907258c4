/**
 * The cases of Prometheus's model/relabel/relabel_test.go (TestRelabel), ported as a table.
 * Configs go through the config schema, so defaults are filled in as Prometheus does when it
 * loads YAML. Cases that need UTF-8 label names are checked to be refused by our legacy
 * validation instead (see docs/scrape.md).
 */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { relabelConfigSchema } from '@edgeprom/shared/config';
import { compileRelabel, goToLower, goToUpper, hashmod, relabel } from './index.js';

type Raw = Record<string, unknown>;
interface Case {
  name: string;
  input: Record<string, string>;
  relabel: Raw[];
  output?: Record<string, string>;
  drop?: boolean;
  /** Needs UTF-8 label names: our legacy validation refuses the config. */
  legacyRejects?: boolean;
}

const cases: Case[] = [
  {
    name: 'replace with ${1}',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', separator: ';', replacement: 'ch${1}-ch${1}', action: 'replace' }],
    output: { a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' },
  },
  {
    name: 'two replaces, multiple sources',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    relabel: [
      { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', separator: ';', replacement: 'b${1}${2}m', action: 'replace' },
      { source_labels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', target_label: 'd', separator: ';', replacement: '$1$2$2$3', action: 'replace' },
    ],
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  {
    name: 'drop before replace',
    input: { a: 'foo' },
    relabel: [
      { source_labels: ['a'], regex: '.*o.*', action: 'drop' },
      { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', separator: ';', replacement: 'ch$1-ch$1', action: 'replace' },
    ],
    drop: true,
  },
  {
    name: 'drop',
    input: { a: 'foo', b: 'bar' },
    relabel: [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }],
    drop: true,
  },
  {
    name: 'replace with inner group',
    input: { a: 'abc' },
    relabel: [{ source_labels: ['a'], regex: '.*(b).*', target_label: 'd', separator: ';', replacement: '$1', action: 'replace' }],
    output: { a: 'abc', d: 'b' },
  },
  {
    name: 'drop without match',
    input: { a: 'foo' },
    relabel: [{ source_labels: ['a'], regex: 'no-match', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'drop regex is anchored',
    input: { a: 'foo' },
    relabel: [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'keep without match',
    input: { a: 'foo' },
    relabel: [{ source_labels: ['a'], regex: 'no-match', action: 'keep' }],
    drop: true,
  },
  {
    name: 'keep with match',
    input: { a: 'foo' },
    relabel: [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }],
    output: { a: 'foo' },
  },
  {
    name: 'no replacement without a match',
    input: { a: 'boo' },
    relabel: [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar', action: 'replace' }],
    output: { a: 'boo' },
  },
  {
    name: 'blank replacement deletes the label',
    input: { a: 'foo', f: 'baz' },
    relabel: [{ source_labels: ['a'], regex: '(f).*', target_label: '$1', replacement: '$2', action: 'replace' }],
    output: { a: 'foo' },
  },
  {
    name: 'hashmod',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['c'], target_label: 'd', separator: ';', action: 'hashmod', modulus: 1000 }],
    output: { a: 'foo', b: 'bar', c: 'baz', d: '976' },
  },
  {
    name: 'hashmod of a value with a newline',
    input: { a: 'foo\nbar' },
    relabel: [{ source_labels: ['a'], target_label: 'b', separator: ';', action: 'hashmod', modulus: 1000 }],
    output: { a: 'foo\nbar', b: '734' },
  },
  {
    name: 'labelmap',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    relabel: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap of meta labels',
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    relabel: [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    output: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc', my_bar: 'aaa', my_baz: 'bbb' },
  },
  {
    name: 'target label from a group',
    input: { a: 'some-name-value' },
    relabel: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', action: 'replace', replacement: '${2}', target_label: '${1}' }],
    output: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'replacement from a missing group is empty',
    input: { a: 'some-name-value' },
    relabel: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', action: 'replace', replacement: '${3}', target_label: '${1}' }],
    output: { a: 'some-name-value' },
  },
  {
    name: 'invalid target labels change nothing',
    input: { a: 'some-name-0' },
    relabel: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', action: 'replace', replacement: '${1}', target_label: '${3}' },
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', action: 'replace', replacement: '${1}', target_label: '${3}' },
      { source_labels: ['a'], regex: 'some-([^-]+)(-[^,]+)', action: 'replace', replacement: '${1}', target_label: '${3}' },
    ],
    output: { a: 'some-name-0' },
  },
  {
    name: 'real-life tags',
    input: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    relabel: [
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)path:(/[^,]+).*', action: 'replace', replacement: '${1}', target_label: '__metrics_path__' },
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)job:([^,]+).*', action: 'replace', replacement: '${1}', target_label: 'job' },
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', action: 'replace', replacement: '${2}', target_label: '${1}' },
    ],
    output: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar', __metrics_path__: '/secret', job: 'some-job', foo: 'bar' },
  },
  {
    name: 'issue 12283: labeldrop then set again',
    input: { __meta_kubernetes_pod_container_port_name: 'foo', __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091' },
    relabel: [
      { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
      { source_labels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'], regex: '(.+)', action: 'replace', replacement: 'metrics', target_label: '__meta_kubernetes_pod_container_port_name' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: '^metrics$', action: 'keep' },
    ],
    output: { __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091', __meta_kubernetes_pod_container_port_name: 'metrics' },
  },
  {
    name: 'labelkeep',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    relabel: [{ regex: '(b.*)', action: 'labelkeep' }],
    output: { b1: 'bar', b2: 'baz' },
  },
  {
    name: 'labeldrop',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    relabel: [{ regex: '(b.*)', action: 'labeldrop' }],
    output: { a: 'foo' },
  },
  {
    name: 'uppercase and lowercase',
    input: { foo: 'bAr123Foo' },
    relabel: [
      { source_labels: ['foo'], action: 'uppercase', target_label: 'foo_uppercase' },
      { source_labels: ['foo'], action: 'lowercase', target_label: 'foo_lowercase' },
    ],
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  {
    name: 'keepequal keeps',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    relabel: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port1' }],
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'dropequal drops',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    relabel: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port1' }],
    drop: true,
  },
  {
    name: 'dropequal keeps',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    relabel: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port2' }],
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'keepequal drops',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    relabel: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port2' }],
    drop: true,
  },
  {
    name: 'dot matches newline',
    input: { a: 'line1\nline2', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['a'], regex: 'line1.*line2', target_label: 'd', separator: ';', replacement: 'match${1}', action: 'replace' }],
    output: { a: 'line1\nline2', b: 'bar', c: 'baz', d: 'match' },
  },
  {
    name: 'UTF-8 source label',
    input: { 'utf-8.label': 'line1\nline2', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['utf-8.label'], regex: 'line1.*line2', target_label: 'd', separator: ';', replacement: 'match${1}', action: 'replace' }],
    legacyRejects: true,
  },
  {
    name: 'UTF-8 target label',
    input: { a: 'line1\nline2', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['a'], regex: 'line1.*line2', target_label: 'utf-8.label', separator: ';', replacement: 'match${1}', action: 'replace' }],
    legacyRejects: true,
  },
  {
    name: 'UTF-8 target label with a variable',
    input: { a: 'line1\nline2', b: 'bar', c: 'baz' },
    relabel: [{ source_labels: ['a'], regex: 'line1.*line2', target_label: 'utf-8.label${1}', separator: ';', replacement: 'match${1}', action: 'replace' }],
    legacyRejects: true,
  },
  {
    name: 'named groups, braced and bare',
    input: { a: 'line1\nline2', b: 'bar', c: 'baz' },
    relabel: [
      { source_labels: ['a'], regex: '(line1).*(?<second>line2)', target_label: 'label1_${1}', separator: ';', replacement: 'val_${second}', action: 'replace' },
      { source_labels: ['a'], regex: '(line1).*(?<second>line2)', target_label: 'label2_$1', separator: ';', replacement: 'val_$second', action: 'replace' },
    ],
    output: { a: 'line1\nline2', b: 'bar', c: 'baz', label1_line1: 'val_line2', label2_line1: 'val_line2' },
  },
  {
    name: '__type__ from the metric name',
    input: { __name__: 'http_requests_total' },
    relabel: [{ source_labels: ['__name__'], regex: '.*_total$', target_label: '__type__', replacement: 'counter', action: 'replace' }],
    output: { __name__: 'http_requests_total', __type__: 'counter' },
  },
  {
    name: '__unit__ from the metric name',
    input: { __name__: 'disk_usage_bytes' },
    relabel: [{ source_labels: ['__name__'], regex: '.*_bytes$', target_label: '__unit__', replacement: 'bytes', action: 'replace' }],
    output: { __name__: 'disk_usage_bytes', __unit__: 'bytes' },
  },
  // Beyond relabel_test.go: behaviours Prometheus has that the table above does not pin.
  {
    name: 'static replace with an empty source sets the label',
    input: { a: 'x' },
    relabel: [{ target_label: 'cluster', replacement: 'dev' }],
    output: { a: 'x', cluster: 'dev' },
  },
  {
    name: '$1x is the group named 1x, which does not exist',
    input: { a: 'foo' },
    relabel: [{ source_labels: ['a'], regex: '(f)oo', target_label: 'b', replacement: '$1x-${1}x-$$1' }],
    output: { a: 'foo', b: '-fx-$1' },
  },
  {
    name: 'labelmap: later labels win a clash',
    input: { __meta_a_x: '1', __meta_b_x: '2' },
    relabel: [{ regex: '__meta_[ab]_(x)', replacement: '$1', action: 'labelmap' }],
    output: { __meta_a_x: '1', __meta_b_x: '2', x: '2' },
  },
  {
    name: 'missing source labels join as empty strings',
    input: { a: 'x' },
    relabel: [{ source_labels: ['nope', 'a', 'nope'], separator: '|', target_label: 'j', regex: '(.*)', replacement: '[$1]' }],
    output: { a: 'x', j: '[|x|]' },
  },
  {
    name: 'Go case mapping keeps lengths',
    input: { a: 'straße İ' },
    relabel: [
      { source_labels: ['a'], action: 'uppercase', target_label: 'u' },
      { source_labels: ['a'], action: 'lowercase', target_label: 'l' },
    ],
    output: { a: 'straße İ', u: 'STRAßE İ', l: 'straße i' },
  },
];

function parseConfigs(raw: Raw[]) {
  return raw.map((r) => relabelConfigSchema.parse(r));
}

describe('relabel (Prometheus relabel_test.go cases)', () => {
  for (const c of cases) {
    it(c.name, () => {
      if (c.legacyRejects) {
        expect(() => parseConfigs(c.relabel)).toThrow();
        return;
      }
      const program = compileRelabel(parseConfigs(c.relabel));
      const res = relabel(Labels.from(c.input), program);
      if (c.drop) {
        expect(res).toBeNull();
      } else {
        expect(res).not.toBeNull();
        expect(res!.toObject()).toEqual(Labels.from(c.output!).toObject());
      }
    });
  }

  it('returns the input object when nothing changes', () => {
    const l = Labels.from({ a: 'foo' });
    expect(relabel(l, compileRelabel(parseConfigs([{ source_labels: ['a'], regex: 'f.*', action: 'keep' }])))).toBe(l);
    expect(relabel(l, [])).toBe(l);
  });

  it('hashmod uses the last 8 bytes of the md5, big-endian', () => {
    expect(hashmod('baz', 1000)).toBe('976');
    expect(hashmod('foo\nbar', 1000)).toBe('734');
    expect(hashmod('', 2 ** 53)).toMatch(/^\d+$/);
  });

  it('Go case mapping', () => {
    expect(goToUpper('ﬀ ŉ ᾳ')).toBe('ﬀ ŉ ᾼ');
    expect(goToLower('ΣΑΣ')).toBe('σασ');
    expect(goToLower('ABC')).toBe('abc');
  });
});
