import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgepromError, ParseError } from '../errors.js';
import type { MetricFamily, Sample } from './model.js';
import { CollectingSink, ExpositionStreamParser, ParseMemory, declaredUnknown, parseExposition, type ExpositionFormat } from './parse.js';
import { outcome, plain, plainSample, parsePlain } from './parse-test-util.js';

const TEXT_BODY = [
  '# HELP temp_celsius Temperatur in °C',
  '# TYPE temp_celsius gauge',
  'temp_celsius{room="Küche",sensor="☃ 1"} 21.5',
  'temp_celsius{room="Bad",sensor="2"} 23 1700000000000',
  '# TYPE h histogram',
  'h_bucket{le="1"} 1',
  'h_bucket{le="+Inf"} 2',
  'h_sum 0.5',
  'h_count 2',
  'plain{a="x\\"y\\\\z"} 1',
].join('\n');

const OM_BODY = [
  '# TYPE c counter',
  '# HELP c Zähler',
  'c_total{x="ü"} 1 # {trace="☃"} 1 1.25',
  'c_created{x="ü"} 1700000000.5',
  '# TYPE g_bytes gauge',
  '# UNIT g_bytes bytes',
  'g_bytes 2',
  '# EOF',
].join('\n');

function parseChunks(chunks: (string | Uint8Array)[], format: ExpositionFormat): MetricFamily[] {
  const sink = new CollectingSink();
  const p = new ExpositionStreamParser({ format }, sink);
  for (const c of chunks) p.write(c);
  p.end();
  return sink.families;
}

describe('ExpositionStreamParser', () => {
  for (const [format, body] of [
    ['text', TEXT_BODY],
    ['openmetrics', OM_BODY],
  ] as const) {
    it(`${format}: any split of the body, as strings or bytes, parses as the whole`, () => {
      const whole = parsePlain(body, format);
      const bytes = new TextEncoder().encode(body);
      for (let i = 0; i <= body.length; i++) {
        expect(plain(parseChunks([body.slice(0, i), body.slice(i)], format))).toEqual(whole);
      }
      // Splits inside multi-byte UTF-8 sequences, too.
      for (let i = 0; i <= bytes.length; i++) {
        expect(plain(parseChunks([bytes.subarray(0, i), bytes.subarray(i)], format))).toEqual(whole);
      }
    });

    it(`${format}: byte by byte, and mixing strings with bytes`, () => {
      const whole = parsePlain(body, format);
      const bytes = new TextEncoder().encode(body);
      expect(plain(parseChunks([...bytes].map((b) => new Uint8Array([b])), format))).toEqual(whole);
      const half = body.length >> 1;
      const mixed = [body.slice(0, 10), new TextEncoder().encode(body.slice(10, half)), body.slice(half)];
      expect(plain(parseChunks(mixed, format))).toEqual(whole);
    });
  }

  it('copies what it keeps: the caller may reuse its buffer after write()', () => {
    const sink = new CollectingSink();
    const p = new ExpositionStreamParser({ format: 'text' }, sink);
    const buf = new TextEncoder().encode('a 1\nb{x="long value here"} 2');
    p.write(buf);
    buf.fill(0x20);
    p.end();
    expect(plain(sink.families).map((f) => f.samples[0].labels)).toEqual(['a', 'b{x="long value here"}']);
  });

  it('copies what it keeps from a Buffer too (its slice() is a view), wherever a read ends', () => {
    // As a scrape feeds it: every read lands in the same Buffer, overwritten by the next one.
    const bytes = Buffer.from(`${TEXT_BODY}\n`);
    const whole = plain(parseChunks([bytes], 'text'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
        const shared = Buffer.alloc(bytes.length);
        const sink = new CollectingSink();
        const p = new ExpositionStreamParser({ format: 'text' }, sink);
        let from = 0;
        for (const to of [...cuts.sort((a, b) => a - b), bytes.length]) {
          bytes.copy(shared, 0, from, to);
          p.write(shared.subarray(0, to - from));
          shared.fill(0x3f);
          from = to;
        }
        p.end();
        expect(plain(sink.families)).toEqual(whole);
      }),
    );
  });

  it('hands the sink each family before its samples, in input order', () => {
    const events: string[] = [];
    const p = new ExpositionStreamParser(
      { format: 'text' },
      {
        family: (f: MetricFamily) => void events.push(`family ${f.name}`),
        sample: (s: Sample, f: MetricFamily) => void events.push(`sample ${f.name} ${plainSample(s).labels}`),
      },
    );
    p.write('# HELP a x\n# TYPE a gauge\na 1\nb{c="d"} 2\n');
    expect(events).toEqual(['family a', 'sample a a', 'family b', 'sample b b{c="d"}']);
    p.write('a 3');
    expect(events).toHaveLength(4); // the last line may continue: it waits for end()
    p.end();
    expect(events[4]).toBe('sample a a');
    expect(p.samples).toBe(3);
    expect(p.bytes).toBe(44);
  });

  it('does not keep samples itself when a sink takes them', () => {
    const families: MetricFamily[] = [];
    const p = new ExpositionStreamParser({ format: 'text' }, { family: (f) => void families.push(f), sample: () => {} });
    p.write('a 1\na 2\n');
    p.end();
    expect(families[0].samples).toEqual([]);
  });

  it('keeps failing with the same error after one', () => {
    const p = new ExpositionStreamParser({ format: 'text' }, new CollectingSink());
    expect(() => p.write('a 1\nb{\n')).toThrow(ParseError);
    let first: unknown;
    try {
      p.write('c 1\n');
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(ParseError);
    expect(() => p.end()).toThrow(first as Error);
  });

  it('refuses input after end()', () => {
    const p = new ExpositionStreamParser({ format: 'text' }, new CollectingSink());
    p.end();
    for (const call of [() => p.write('a 1\n'), () => p.end()]) {
      try {
        call();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(EdgepromError);
        expect((e as EdgepromError).code).toBe('ERR_PARSER_ENDED');
      }
    }
  });

  it('reports errors at the same position whatever the chunking', () => {
    const body = 'a 1\nb 2\nc{d="e" f} 3\n';
    const want = outcome(() => parseChunks([body], 'text'));
    for (let i = 0; i < body.length; i++) {
      expect(outcome(() => parseChunks([body.slice(0, i), body.slice(i)], 'text'))).toEqual(want);
    }
    expect(want).toEqual({ error: 'ParseError: 3:9: expected "," or "}" after the value of label "d", got "f"' });
  });

  it('finds an invalid byte split across chunks', () => {
    const p = new ExpositionStreamParser({ format: 'text' }, new CollectingSink());
    p.write(new Uint8Array([0x61, 0x20, 0x31, 0x0a, 0x62, 0xe2, 0x98]));
    expect(() => p.write(new Uint8Array([0x41, 0x20, 0x31, 0x0a]))).toThrow('2:2: invalid UTF-8');
  });
});

describe('ExpositionStreamParser.seriesText', () => {
  it('gives the series as written for fast-path lines and undefined for the others', () => {
    const seen: [string, string | undefined][] = [];
    const sink = {
      family(): void {},
      sample(s: Sample): void {
        seen.push([s.labels.toString(), p.seriesText()]);
      },
    };
    const p = new ExpositionStreamParser({ format: 'text' }, sink);
    p.write('a{y="2",x="1"} 1\nb 2 1700000000000\nc{v="q\\"x"} 3\nd  4\na{y="2",x="1"} 5');
    p.end();
    expect(seen.map(([, t]) => t)).toEqual(['a{y="2",x="1"}', 'b', undefined, undefined, 'a{y="2",x="1"}']);
    expect(seen[0][0]).toBe('a{x="1", y="2"}');
    expect(p.seriesText()).toBeUndefined(); // outside sample()
  });

  it('is undefined for every line with the fast path off', () => {
    const texts: (string | undefined)[] = [];
    const p = new ExpositionStreamParser({ format: 'text' }, { family() {}, sample: () => texts.push(p.seriesText()) }, false);
    p.write('a{x="1"} 1\n');
    p.end();
    expect(texts).toEqual([undefined]);
  });
});

describe('ParseMemory and metadata lines', () => {
  it('with a ParseMemory, a HELP text changed in place (same length) or escaped is read anew', () => {
    const memory = new ParseMemory();
    const help = (body: string, format: ExpositionFormat = 'text') =>
      parseExposition(body, { format, memory }).map((f) => [f.name, f.help]);
    const a = '# HELP m Old help.\n# TYPE m gauge\nm 1\n';
    expect(help(a)).toEqual([['m', 'Old help.']]);
    expect(help(a)).toEqual([['m', 'Old help.']]);
    expect(help(a.replace('Old', 'New'))).toEqual([['m', 'New help.']]);
    expect(help('# HELP m New\\nhelp.\nm 1\n')).toEqual([['m', 'New\nhelp.']]);
    expect(help('# HELP m New help.\n# HELP n New help.\nm 1\n')).toEqual([
      ['m', 'New help.'],
      ['n', 'New help.'],
    ]);
    expect(help('# HELP m\nm 1\n')).toEqual([['m', '']]);
    expect(help('# TYPE m gauge\n# HELP m New help.\nm 1\n# EOF\n', 'openmetrics')).toEqual([['m', 'New help.']]);
  });

  it('tells a family typed untyped/unknown by a TYPE line from one with no TYPE line', () => {
    const fams = parseExposition('# TYPE a untyped\na 1\n# HELP b b.\nb 1\nc 1\n# TYPE d gauge\nd 1\n', { format: 'text' });
    expect(fams.map((f) => [f.name, f.type, declaredUnknown(f)])).toEqual([
      ['a', 'unknown', true],
      ['b', 'unknown', false],
      ['c', 'unknown', false],
      ['d', 'gauge', false],
    ]);
    const om = parseExposition('# TYPE a unknown\na 1\nb 1\n# EOF\n', { format: 'openmetrics' });
    expect(om.map((f) => [f.name, declaredUnknown(f)])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});
