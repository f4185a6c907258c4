/**
 * Property tests: whatever the input, the parser returns or throws ParseError/LimitError,
 * never another exception, and never hangs; the fast path agrees with the general code; and
 * chunking never changes the outcome.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConformanceRoot, openMetricsCasesDir } from '../conformance/openmetrics.js';
import { nodeExporterBody } from '../bench/bodies.js';
import { CollectingSink, ExpositionStreamParser, ParseMemory, parseExposition, type ExpositionFormat } from './parse.js';
import type { Sample } from './model.js';
import { onlyParserErrors, outcome, parseGeneral } from './parse-test-util.js';

const FORMATS: ExpositionFormat[] = ['text', 'openmetrics'];
const RUNS = { numRuns: 300 };

/** Small limits too, so that limit paths get exercised. */
const limitsArb = fc.oneof(
  fc.constant(undefined),
  fc.record({
    maxBodyBytes: fc.nat(400),
    maxLineLength: fc.nat(60),
    maxLabelsPerSample: fc.nat(4),
    maxLabelNameLength: fc.nat(8),
    maxLabelValueLength: fc.nat(8),
    maxSamples: fc.nat(5),
  }),
);

/** Characters that matter to the grammar, plus some that do not. */
const GRAMMAR_CHARS = ['a', 'b', '_', ':', '0', '1', '9', '.', 'e', '+', '-', '{', '}', '=', '"', ',', '#', ' ', '\t', '\n', '\\', 'n', 'I', 'N', 'x', 'ü', '☃', '\u0000', '\r'];
const grammarString = fc.array(fc.constantFrom(...GRAMMAR_CHARS), { maxLength: 200 }).map((cs) => cs.join(''));

function validBodies(): string[] {
  const bodies = [nodeExporterBody().slice(0, 6000)];
  try {
    const dir = openMetricsCasesDir(defaultConformanceRoot());
    for (const name of readdirSync(dir)) {
      const spec = JSON.parse(readFileSync(join(dir, name, 'test.json'), 'utf8')) as { shouldParse?: boolean };
      if (spec.shouldParse) bodies.push(readFileSync(join(dir, name, 'metrics'), 'utf8'));
    }
  } catch {
    // Without the conformance data, the node_exporter body alone still exercises the parser.
  }
  return bodies;
}
const VALID = validBodies();
const validBody = fc.constantFrom(...VALID);

/** A valid body edited: chars inserted, deleted or replaced at random places. */
const mutatedBody = fc
  .tuple(validBody, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...GRAMMAR_CHARS)), { minLength: 1, maxLength: 5 }))
  .map(([body, edits]) => {
    let s = body;
    for (const [at, op, c] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      s = op === 'insert' ? s.slice(0, i) + c + s.slice(i) : op === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i + 1);
    }
    return s;
  });

/** Exposition-shaped text: mostly well-formed lines with the grammar's corner cases. */
const nameArb = fc.constantFrom('a', 'a_total', 'a_created', 'a_bucket', 'a_count', 'a_sum', 'b', 'node_cpu_seconds_total', 'x:y', 'A', '_z', 'a_info');
const labelNameArb = fc.constantFrom('le', 'quantile', 'cpu', 'mode', 'a', 'b', 'B', '_x', '__name__', 'z9');
const labelValueArb = fc.oneof(
  fc.constantFrom('', '0', '1', '+Inf', '-Inf', 'NaN', '0.5', 'idle', 'long value with spaces # and }', 'ü☃', '1e3'),
  fc.array(fc.constantFrom('a', '\\\\', '\\"', '\\n', '\\q', ' ', '#', '{', '}', ',', '='), { maxLength: 6 }).map((p) => p.join('')),
);
const numberArb = fc.constantFrom('0', '1', '-1', '1.5', '.5', '5.', '1e3', '1E-3', '+Inf', '-Inf', 'Inf', 'NaN', 'nan', '0x1p-3', '00012', '1_0', '9007199254740993', '1.7976931348623157e309', '-0', '2', '3');
const blankArb = fc.constantFrom(' ', ' ', ' ', '  ', '\t');
const sampleLineArb = fc
  .tuple(
    nameArb,
    fc.option(fc.array(fc.tuple(labelNameArb, labelValueArb, blankArb), { maxLength: 4 }), { nil: undefined }),
    fc.boolean(),
    blankArb,
    numberArb,
    fc.option(fc.tuple(blankArb, fc.constantFrom('1', '-5', '1.5', '1700000000', '0')), { nil: undefined }),
    fc.option(fc.constantFrom(' # {t="x"} 1', ' # {} 0.5 1', ' #', ' # {a="1",a="2"} 1'), { nil: undefined }),
  )
  .map(([name, labels, trailingComma, sep, value, ts, ex]) => {
    let line = name;
    if (labels !== undefined) {
      line += `{${labels.map(([n, v, b]) => (b === '\t' ? `${n} = "${v}"` : `${n}="${v}"`)).join(',')}${trailingComma && labels.length ? ',' : ''}}`;
    }
    line += sep + value;
    if (ts !== undefined) line += ts[0] + ts[1];
    if (ex !== undefined) line += ex;
    return line;
  });
const metaLineArb = fc.oneof(
  fc.tuple(fc.constantFrom('HELP', 'TYPE', 'UNIT'), nameArb, fc.constantFrom('counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'info', 'stateset', 'gaugehistogram', 'help \\n text', '', 'seconds')).map(([k, n, t]) => `# ${k} ${n} ${t}`),
  fc.constantFrom('# EOF', '# a comment', '', '#'),
);
const exposition = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: sampleLineArb }, { weight: 1, arbitrary: metaLineArb }), { maxLength: 12 }), fc.boolean())
  .map(([lines, eof]) => lines.join('\n') + (eof ? '\n# EOF\n' : '\n'));

/** Mostly valid bodies, family by family, in the given format's own grammar. */
const labelSetArb = fc.uniqueArray(fc.tuple(fc.constantFrom('cpu', 'mode', 'a', 'b', 'B', '_x', 'z9', 'device'), labelValueArb), {
  maxLength: 4,
  selector: ([n]) => n,
});
const textValueArb = fc.constantFrom('0', '1', '-1.5', '.5', '1e3', '+Inf', '-Inf', 'NaN', '0x1p-3', '12345678901234567890', '4.35');
const omValueArb = fc.constantFrom('0', '1', '1.5', '1e3', '+Inf', '-Inf', 'NaN', '12345678901234567890', '4.35', '7');
function validExposition(format: ExpositionFormat): fc.Arbitrary<string> {
  const om = format === 'openmetrics';
  const family = fc.record({
    type: fc.constantFrom('gauge', 'counter', 'unknown'),
    help: fc.option(fc.constantFrom('help text', 'with \\\\ and \\n', ''), { nil: undefined }),
    // Unique series: empty values do not count (Labels drops them).
    samples: fc.uniqueArray(labelSetArb, { maxLength: 5, selector: (ls) => JSON.stringify(ls.filter(([, v]) => v !== '').sort()) }),
    ts: fc.boolean(),
    blanks: fc.constantFrom(' ', ' ', '  ', '\t'),
    trailingComma: fc.boolean(),
    values: fc.array(om ? omValueArb : textValueArb, { minLength: 5, maxLength: 5 }),
    exemplar: fc.boolean(),
  });
  return fc.tuple(fc.array(family, { maxLength: 6 }), fc.array(fc.constantFrom('', '# comment', '#'), { maxLength: 2 })).map(([fams, comments]) => {
    const lines: string[] = [];
    fams.forEach((f, i) => {
      const name = `fam${i}`;
      const type = om ? f.type : f.type === 'unknown' ? 'untyped' : f.type;
      if (f.help !== undefined) lines.push(`# HELP ${name} ${f.help}`);
      lines.push(`# TYPE ${name} ${type}`);
      const sampleName = om && f.type === 'counter' ? `${name}_total` : name;
      f.samples.forEach((ls, j) => {
        // OpenMetrics: one space, no trailing comma, counter values >= 0, float seconds.
        const sep = om ? ' ' : f.blanks;
        const body = ls.map(([n, v]) => `${n}="${v}"`).join(',') + (!om && f.trailingComma && ls.length ? ',' : '');
        let value = f.values[j % 5];
        if (om && f.type === 'counter' && (value.startsWith('-') || value === 'NaN')) value = '1';
        let line = `${sampleName}${ls.length || j % 2 ? `{${body}}` : ''}${sep}${value}`;
        if (f.ts) line += `${sep}${om ? `${j}.5` : `${1700000000000 + j}`}`;
        if (om && f.exemplar && f.type === 'counter') line += ` # {trace_id="t${j}"} 0.5`;
        lines.push(line);
      });
      if (!om && comments.length) lines.push(...comments);
    });
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    return om ? `${text}# EOF\n` : text;
  });
}

function parseEach(input: string | Uint8Array, limits?: Record<string, number>): void {
  for (const format of FORMATS) onlyParserErrors(() => parseExposition(input, { format, limits }));
}

/** Writes all of `body` to `p` and ends it: a parser error comes back as its text, anything else is rethrown. */
function feed(p: ExpositionStreamParser, body: string): string | undefined {
  try {
    p.write(body);
    p.end();
  } catch (e) {
    onlyParserErrors(() => {
      throw e;
    });
    return String(e);
  }
  return undefined;
}

describe('parser properties', () => {
  it('random bytes: only ParseError/LimitError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), limitsArb, (b, limits) => parseEach(b, limits)), RUNS);
  });

  it('random strings (any code points, lone surrogates too): only ParseError/LimitError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), limitsArb, (s, limits) => parseEach(s, limits)), RUNS);
    fc.assert(fc.property(grammarString, limitsArb, (s, limits) => parseEach(s, limits)), RUNS);
  });

  it('truncated valid bodies: only ParseError/LimitError', () => {
    fc.assert(
      fc.property(validBody, fc.nat(), (body, at) => {
        const cut = body.slice(0, at % (body.length + 1));
        parseEach(cut);
        parseEach(new TextEncoder().encode(body).subarray(0, at % (body.length + 1)));
      }),
      RUNS,
    );
  });

  it('mutated valid bodies: only ParseError/LimitError', () => {
    fc.assert(fc.property(mutatedBody, limitsArb, (s, limits) => parseEach(s, limits)), RUNS);
  });

  it('generated expositions: only ParseError/LimitError', () => {
    fc.assert(fc.property(exposition, limitsArb, (s, limits) => parseEach(s, limits)), { numRuns: 1000 });
  });

  it('generates mostly valid bodies for the comparisons below', () => {
    for (const format of FORMATS) {
      const bodies = fc.sample(validExposition(format), 200);
      const ok = bodies.filter((b) => 'ok' in outcome(() => parseExposition(b, { format }))).length;
      expect(ok).toBeGreaterThan(150);
    }
  });

  it('the fast path gives exactly what the general code gives', () => {
    for (const format of FORMATS) {
      const valid = validExposition(format);
      const edited = fc
        .tuple(valid, fc.nat(), fc.constantFrom(...GRAMMAR_CHARS))
        .map(([b, at, c]) => b.slice(0, at % (b.length + 1)) + c + b.slice(at % (b.length + 1)));
      fc.assert(
        fc.property(fc.oneof(valid, valid, edited, exposition, mutatedBody), limitsArb, (body, limits) => {
          const opts = { format, limits };
          expect(outcome(() => parseExposition(body, opts))).toEqual(outcome(() => parseGeneral(body, opts)));
        }),
        { numRuns: 800 },
      );
    }
  });

  it('equal series texts from the fast path are equal label sets', () => {
    for (const format of FORMATS) {
      fc.assert(
        fc.property(fc.oneof(validExposition(format), mutatedBody), (body) => {
          const byText = new Map<string, string>();
          const sink = {
            family(): void {},
            sample(smp: Sample): void {
              const text = parser.seriesText();
              if (text === undefined) return;
              const key = smp.labels.toString();
              expect(byText.get(text) ?? key).toBe(key);
              byText.set(text, key);
            },
          };
          const parser = new ExpositionStreamParser({ format }, sink);
          // Twice, so that every series text repeats.
          onlyParserErrors(() => {
            parser.write(body.replace(/# EOF\n?$/, '') + '\n' + body);
            parser.end();
          });
        }),
        { numRuns: 300 },
      );
    }
  });

  it('a sink with transient samples sees what any other sink sees', () => {
    const record = (body: string, format: ExpositionFormat, transientSamples: boolean) => {
      const seen: unknown[] = [];
      const sink = {
        transientSamples,
        family(): void {},
        sample(smp: Sample, f: { name: string }): void {
          seen.push([f.name, smp.labels.toString(), smp.value, smp.timestampMs, smp.exemplar]);
        },
      };
      const error = feed(new ExpositionStreamParser({ format }, sink), body);
      if (error !== undefined) seen.push(error);
      return seen;
    };
    for (const format of FORMATS) {
      fc.assert(
        fc.property(fc.oneof(validExposition(format), mutatedBody), (body) => {
          expect(record(body, format, true)).toEqual(record(body, format, false));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('a sink that knows series by their text (knownSeries) sees what any other sink sees', () => {
    // Known texts are those seriesText() gave in a parse of an earlier body with the same
    // limits; the body parsed now is that body edited (or the same), with new TYPE lines too.
    let hits = 0;
    // Known texts map to the name seriesName() gave with them (for some: undefined, so that
    // the parser reads the name itself).
    const record = (body: string, limits: object | undefined, known: Map<string, string | undefined> | undefined) => {
      const seen: unknown[] = [];
      let i = 0;
      const sink = {
        transientSamples: true,
        knownName: undefined as string | undefined,
        family(): void {},
        sample(smp: Sample, f: { name: string }): void {
          // Labels read for some samples only: the others of a known series are never read.
          const read = i++ % 3 !== 1;
          if (p.seriesKnown()) hits++;
          else if (known !== undefined) {
            const t = p.seriesText();
            if (t !== undefined) known.set(t, t.length % 3 === 0 ? undefined : p.seriesName());
          }
          seen.push([f.name, read ? smp.labels.toString() : null, smp.value, smp.timestampMs]);
        },
        knownSeries(s: string, at: number): number {
          if (known === undefined) return -1;
          for (const [t, name] of known) {
            if (s.startsWith(t, at) && s.charCodeAt(at + t.length) === 32) {
              sink.knownName = name;
              return t.length;
            }
          }
          return -1;
        },
      };
      const p = new ExpositionStreamParser({ format: 'text', limits }, sink);
      const error = feed(p, body);
      if (error !== undefined) seen.push(error);
      return seen;
    };
    const edit = fc.tuple(fc.nat(), fc.constantFrom(...GRAMMAR_CHARS, '\n# TYPE fam0 histogram\n', '\nfam1_bucket{a="1"} 1\n', ' 17\n'));
    fc.assert(
      fc.property(fc.oneof(validExposition('text'), mutatedBody), fc.array(edit, { maxLength: 3 }), limitsArb, (first, edits, limits) => {
        let body = first;
        for (const [at, c] of edits) body = body.slice(0, at % (body.length + 1)) + c + body.slice(at % (body.length + 1));
        const known = new Map<string, string | undefined>();
        record(first, limits, known);
        expect(record(body, limits, known)).toEqual(record(body, limits, undefined));
        // Twice: the second time every fast-path series of the body is known.
        expect(record(body + '\n' + body, limits, known)).toEqual(record(body + '\n' + body, limits, undefined));
      }),
      { numRuns: 400 },
    );
    expect(hits).toBeGreaterThan(100);
  });

  it('a ParseMemory kept across parses changes no outcome (HELP texts, names)', () => {
    // HELP texts that differ in place at the same length, so a stale reuse would show.
    const helpEdit = fc.constantFrom('help text', 'help teXt', 'Help text', '');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(validExposition('text'), validExposition('openmetrics'), exposition, mutatedBody), helpEdit), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...FORMATS),
        (bodies, format) => {
          const memory = new ParseMemory();
          for (const [b, help] of bodies) {
            const body = b.replaceAll('help text', help);
            const expected = outcome(() => parseExposition(body, { format }));
            expect(outcome(() => parseExposition(body, { format, memory }))).toEqual(expected);
          }
        },
      ),
      RUNS,
    );
  });

  it('chunking never changes the outcome', () => {
    fc.assert(
      fc.property(fc.oneof(exposition, mutatedBody, validExposition('text'), validExposition('openmetrics')), fc.constantFrom(...FORMATS), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (body, format, cuts, asBytes) => {
        const whole = outcome(() => parseExposition(body, { format }));
        const data = asBytes ? new TextEncoder().encode(body) : body;
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const chunked = outcome(() => {
          const sink = new CollectingSink();
          const p = new ExpositionStreamParser({ format }, sink);
          let prev = 0;
          for (const at of [...points, data.length]) {
            p.write(data.slice(prev, at));
            prev = at;
          }
          p.end();
          return sink.families;
        });
        expect(chunked).toEqual(whole);
      }),
      RUNS,
    );
  });

  it('stays linear on inputs that would make a naive scanner quadratic', () => {
    // Each would take minutes if a search ran to the end of the body once per line.
    const n = 200_000;
    const cases = [
      'a{b = "1"} 1\n'.repeat(n), // text-mode spaces: the fast path gives up on every line
      'a{b="1"} 1\n'.repeat(n) + 'x{y="\\n"} 1\n', // the only backslash is at the very end
      '# HELP a x\n'.repeat(1) + 'a{b="v"} 1\n'.repeat(n),
      '{'.repeat(n * 5),
      'a{b="'.repeat(n),
    ];
    for (const body of cases) parseEach(body, { maxBodyBytes: 0, maxLineLength: 0 });
  });
});
