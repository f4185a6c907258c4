import { describe, expect, it } from 'vitest';
import { YamlScalar, parseYamlTree, prescanYaml } from './yaml-tree.js';

describe('parseYamlTree', () => {
  it('keeps plain numbers and booleans with their source text', () => {
    const t = parseYamlTree('a: 0123\nb: 1.10\nc: true\nd: "0123"\ne: yes\nf: 0x1F\n');
    expect(t.issues).toEqual([]);
    const v = t.value as Record<string, unknown>;
    expect(v.a).toEqual(new YamlScalar(123, '0123'));
    expect(v.b).toEqual(new YamlScalar(1.1, '1.10'));
    expect(v.c).toEqual(new YamlScalar(true, 'true'));
    expect(v.d).toBe('0123');
    expect(v.e).toBe('yes'); // YAML 1.2: not a boolean
    expect(v.f).toEqual(new YamlScalar(31, '0x1F'));
  });

  it('turns null values into undefined in mappings and null in sequences', () => {
    const t = parseYamlTree('a:\nb: ~\nc: [~, 1]\n');
    const v = t.value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['a', 'b', 'c']);
    expect(v.a).toBeUndefined();
    expect(v.c).toEqual([null, new YamlScalar(1, '1')]);
  });

  it('gives an empty document no value', () => {
    expect(parseYamlTree('').value).toBeUndefined();
    expect(parseYamlTree('# nothing\n').value).toBeUndefined();
    expect(parseYamlTree('').issues).toEqual([]);
  });

  it('records positions of values and keys, falling back to the nearest ancestor', () => {
    const t = parseYamlTree('top:\n  list:\n    - name: x\n      val:   15x\n');
    expect(t.positionOf(['top', 'list', 0, 'val'])).toEqual({ line: 4, column: 14 });
    expect(t.positionOf(['top', 'list', 0, 'val'], true)).toEqual({ line: 4, column: 7 });
    expect(t.positionOf(['top', 'list', 0])).toEqual({ line: 3, column: 7 });
    expect(t.positionOf(['top', 'list', 0, 'missing', 3])).toEqual({ line: 3, column: 7 });
  });

  it('reports duplicate keys with their position, including keys that only look different', () => {
    const t = parseYamlTree('a: 1\nb:\n  x: 1\n  "x": 2\n1: a\n"1": b\n');
    expect(t.issues.map((i) => [i.pos, i.message])).toEqual([
      [{ line: 4, column: 3 }, 'duplicate key "x"'],
      [{ line: 6, column: 1 }, 'duplicate key "1"'],
    ]);
  });

  it('resolves aliases and merge keys', () => {
    const t = parseYamlTree('base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n');
    expect(t.issues).toEqual([]);
    const v = t.value as Record<string, Record<string, unknown>>;
    expect(v.use).toEqual({ x: new YamlScalar(1, '1'), y: new YamlScalar(2, '2') });
    expect(v.merged).toEqual({ y: new YamlScalar(3, '3'), x: new YamlScalar(1, '1') });
  });

  it('refuses aliases to anchors not defined before them, including recursive ones', () => {
    expect(parseYamlTree('a: *nope\n').issues[0].message).toBe('alias *nope refers to no anchor defined before it');
    expect(parseYamlTree('a: &x [*x]\n').issues[0].message).toBe('alias *x refers to no anchor defined before it');
  });

  it('stops alias expansion bombs', () => {
    let doc = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) doc += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const t = parseYamlTree(doc);
    expect(t.issues).toHaveLength(1);
    expect(t.issues[0].message).toBe('aliases expand the document to more than 250000 nodes');
  });

  it('refuses a key named __proto__, and pollutes nothing', () => {
    const t = parseYamlTree('a: 1\n__proto__: {polluted: 1}\nb: {__proto__: x}\n');
    expect(t.issues.map((i) => [i.segments, i.pos, i.message])).toEqual([
      [[], { line: 2, column: 1 }, 'the key "__proto__" is not allowed'],
      [['b'], { line: 3, column: 5 }, 'the key "__proto__" is not allowed'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps other Object.prototype names as plain keys', () => {
    const v = parseYamlTree('constructor: 1\ntoString: x\nhasOwnProperty: y\n').value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(v.toString).toBe('x');
  });

  it('refuses complex mapping keys', () => {
    expect(parseYamlTree('? [a]\n: b\n').issues[0].message).toBe('only plain scalar mapping keys are supported');
  });

  it('refuses documents with too many nodes before parsing them', () => {
    const t = parseYamlTree('a: [' + '1, '.repeat(300_000) + ']');
    expect(t.issues).toEqual([{ segments: [], pos: { line: 1, column: 1 }, message: 'the document has more than 250000 entries' }]);
  });

  it('stops after 50 top-level syntax errors', () => {
    const t = parseYamlTree(']\n'.repeat(100_000));
    expect(t.issues.length).toBeLessThanOrEqual(51);
    expect(t.issues[0].message).toMatch(/^YAML syntax error: /);
  });

  it('maps syntax errors to positions', () => {
    const t = parseYamlTree('a: 1\nb: c: d\n');
    expect(t.issues).toEqual([
      { segments: [], pos: { line: 2, column: 4 }, message: 'YAML syntax error: Nested mappings are not allowed in compact mappings' },
    ]);
    expect(parseYamlTree('a: 1\n---\nb: 2\n').issues[0].message).toMatch(/more than one YAML document/);
    expect(parseYamlTree('a:\n\t- b\n').issues[0].message).toBe('YAML syntax error: tabs are not allowed for indentation');
  });

  it('refuses deep nesting before the YAML parser can overflow the stack, again and again', () => {
    // Regression: after one stack overflow inside the yaml parser, a second deep document
    // made V8 abort the whole process in a regexp compilation. The pre-scan must keep us away.
    const docs = ['['.repeat(100_000), '- '.repeat(5000) + 'x', '{a: '.repeat(3000) + '1' + '}'.repeat(3000)];
    for (let round = 0; round < 3; round++) {
      for (const d of docs) {
        const t = parseYamlTree(d);
        expect(t.issues).toHaveLength(1);
        expect(t.issues[0].message).toMatch(/nests too deeply/);
      }
    }
    const indented = Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}a${i}:`).join('\n');
    expect(parseYamlTree(indented).issues[0].message).toMatch(/nests too deeply/);
  });

  it('enforces the exact depth limit on documents that pass the pre-scan', () => {
    const ok = parseYamlTree('['.repeat(64) + ']'.repeat(64), { maxDepth: 64 });
    expect(ok.issues).toEqual([]);
    const deep = parseYamlTree('['.repeat(80) + ']'.repeat(80), { maxDepth: 64 });
    expect(deep.issues[0].message).toBe('nesting deeper than 64 levels is not supported');
  });
});

describe('prescanYaml', () => {
  it('accepts ordinary configs', () => {
    const cfg = [
      'scrape_configs:',
      '  - job_name: "a [b {c"',
      '    static_configs:',
      "      - targets: ['x:1', 'y:2']",
      '        labels: {a: b}',
      '    relabel_configs:',
      '      - source_labels: [__address__]',
      '        regex: foo[',
      '        description: |',
      `${' '.repeat(200)}deeply indented text is not structure`,
      '',
      `${' '.repeat(150)}nor is this`,
      'next: 1 # a [ comment {',
    ].join('\n');
    expect(prescanYaml(cfg, 256, 1000)).toEqual({});
  });

  it('returns the line where nesting gets too deep', () => {
    expect(prescanYaml('a: 1\nb: ' + '['.repeat(300), 256, 1e6)).toEqual({ tooDeep: 2 });
    expect(prescanYaml('a: 1\nb: "' + '['.repeat(300) + '"', 256, 1e6)).toEqual({});
    expect(prescanYaml("a: '" + '{'.repeat(300) + "'", 256, 1e6)).toEqual({});
  });

  it('returns the line where the node count gets too high', () => {
    expect(prescanYaml('a: [1, 2, 3]\nb: [' + '1, '.repeat(100) + ']', 256, 50)).toEqual({ tooManyNodes: 2 });
    expect(prescanYaml(Array.from({ length: 100 }, (_, i) => `k${i}: 1`).join('\n'), 256, 50)).toEqual({ tooManyNodes: 51 });
    expect(prescanYaml('a: "' + ', '.repeat(100) + '"', 256, 50)).toEqual({});
  });
});
