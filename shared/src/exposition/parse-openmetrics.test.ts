import { describe, expect, it } from 'vitest';
import { parseExposition } from './parse.js';
import { parseError, parsePlain } from './parse-test-util.js';

const om = (body: string) => parsePlain(body, 'openmetrics');
const omError = (body: string) => parseError(body, { format: 'openmetrics' }).message;

describe('parseExposition, OpenMetrics 1.0', () => {
  it('names a counter family without _total and takes _total and _created samples', () => {
    expect(om('# TYPE a counter\n# HELP a help\na_total{x="1"} 3\na_created{x="1"} 1.5e9\n# EOF\n')).toEqual([
      {
        name: 'a',
        type: 'counter',
        help: 'help',
        samples: [
          { labels: 'a_total{x="1"}', value: 3 },
          { labels: 'a_created{x="1"}', value: 1.5e9 },
        ],
      },
    ]);
  });

  it('reads UNIT and checks it against the name', () => {
    expect(om('# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n')[0].unit).toBe('seconds');
    expect(omError('# UNIT a_bytes seconds\n# EOF\n')).toBe('1:1: metric family name "a_bytes" must end with its unit "_seconds"');
    expect(omError('# TYPE x_u info\n# UNIT x_u u\n# EOF\n')).toBe('2:1: info metric family "x_u" cannot have a unit');
  });

  it('converts float-second timestamps to milliseconds exactly', () => {
    const fams = om('# TYPE a gauge\na{i="1"} 1 1.1\na{i="2"} 1 1700000000.123\na{i="3"} 1 -2\na{i="4"} 1 1.5e3\na{i="5"} 1 0.0000000001\n# EOF\n');
    expect(fams[0].samples.map((s) => s.timestampMs)).toEqual([1100, 1700000000123, -2000, 1500000, 1e-7]);
  });

  it('reads exemplars on counters and histogram buckets', () => {
    const body = [
      '# TYPE c counter',
      'c_total 5 # {trace_id="abc"} 1 1.5',
      '# TYPE h histogram',
      'h_bucket{le="1"} 0 123 # {a="b",c="d # e"} 0.5',
      'h_bucket{le="+Inf"} 2 123 # {} 7',
      'h_count 2 123',
      'h_sum 1 123',
      '# EOF',
      '',
    ].join('\n');
    const fams = om(body);
    expect(fams[0].samples[0]).toEqual({ labels: 'c_total', value: 5, exemplar: { labels: '{trace_id="abc"}', value: 1, timestampMs: 1500 } });
    expect(fams[1].samples[0].exemplar).toEqual({ labels: '{a="b", c="d # e"}', value: 0.5 });
    expect(fams[1].samples[1]).toEqual({ labels: 'h_bucket{le="+Inf"}', value: 2, timestampMs: 123000, exemplar: { labels: '{}', value: 7 } });
  });

  it('reads every type', () => {
    const body = [
      '# TYPE s stateset',
      's{s="a"} 1',
      's{s="b"} 0',
      '# TYPE i info',
      'i_info{version="1.2"} 1',
      '# TYPE gh gaugehistogram',
      'gh_bucket{le="-1"} 1',
      'gh_bucket{le="+Inf"} 3',
      'gh_gcount 3',
      'gh_gsum -2',
      '# TYPE su summary',
      'su{quantile="0.99"} 3',
      'su_sum 10',
      'su_count 4',
      '# TYPE u unknown',
      'u 1',
      '# EOF',
    ].join('\n');
    expect(om(body).map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['s', 'stateset', 2],
      ['i', 'info', 1],
      ['gh', 'gaugehistogram', 4],
      ['su', 'summary', 3],
      ['u', 'unknown', 1],
    ]);
  });

  it('unescapes HELP with \\" as well', () => {
    expect(om('# HELP a x\\\\y\\nz\\"q\\"\n# EOF\n')[0].help).toBe('x\\y\nz"q"');
  });

  it('needs # EOF at the end, without anything after it', () => {
    expect(om('a 1\n# EOF')).toHaveLength(1);
    expect(omError('a 1\n')).toBe('2:1: missing "# EOF" at the end of OpenMetrics input');
    expect(omError('a 1')).toBe('1:4: missing "# EOF" at the end of OpenMetrics input');
    expect(omError('# EOF\n\n')).toBe('2:1: unexpected content after "# EOF"');
    expect(omError('# EOF\na 1\n')).toBe('2:1: unexpected content after "# EOF"');
    expect(omError('# EOF ')).toBe('1:6: unexpected text after "# EOF"');
  });

  it('rejects the text format liberties', () => {
    expect(omError('a{b="1",} 1\n# EOF\n')).toBe('1:9: expected a label name after ",", got "}"');
    expect(omError('a  1\n# EOF\n')).toBe('1:3: expected value, got " "');
    expect(omError('a 1\t\n# EOF\n')).toBe('1:4: unexpected U+0009 after the value: OpenMetrics separates fields with one space');
    expect(omError('a{b = "1"} 1\n# EOF\n')).toBe('1:4: expected "=" after label name "b", got " "');
    expect(omError('\n# EOF\n')).toBe('1:1: blank lines are not allowed in OpenMetrics');
    expect(omError('# a comment\n# EOF\n')).toBe('1:3: invalid metadata keyword "a" (expected HELP, TYPE, UNIT or EOF)');
    expect(omError('# TYPE a untyped\n# EOF\n')).toMatch(/^1:10: invalid metric type "untyped"/);
    expect(omError('a 1 1700000000000x\n# EOF\n')).toBe('1:5: invalid timestamp "1700000000000x"');
  });

  it('enforces the OpenMetrics family rules', () => {
    expect(omError('# TYPE a counter\na 1\n# EOF\n')).toBe('2:1: sample "a" is not allowed in counter "a" (expected "a_total", "a_created")');
    expect(omError('a 1\nb 1\na 2\n# EOF\n')).toBe('3:1: metric family "a" appears again: a family\'s lines must be contiguous');
    expect(omError('# TYPE a counter\n# TYPE a_total gauge\n# EOF\n')).toBe('2:1: metric family "a_total" clashes with the samples of family "a"');
    expect(omError('# HELP a x\na 1\n# TYPE a gauge\n# EOF\n')).toBe('3:1: TYPE for metric family "a" after its samples');
    expect(omError('# HELP a x\n# HELP a y\n# EOF\n')).toBe('2:1: second HELP for metric family "a"');
    expect(omError('# TYPE a gauge\na{x="1"} 1\na{x="2"} 1\na{x="1"} 2\n# EOF\n')).toBe(
      '4:1: metric a{x="1"} is not contiguous: its samples appeared before',
    );
    expect(omError('# TYPE a gauge\na 1 2\na 1 1\n# EOF\n')).toBe('3:1: timestamps of metric a{} go backwards');
    expect(omError('# TYPE a gauge\na 1 2\na 1\n# EOF\n')).toBe('3:1: samples of metric a{} mix with and without timestamps');
    expect(omError('# TYPE a gauge\na 1 # {x="y"} 1\n# EOF\n')).toBe(
      '2:1: exemplars are only allowed on histogram buckets and counter totals, not on "a"',
    );
    expect(omError('# TYPE a counter\na_total -1\n# EOF\n')).toBe('2:1: "a_total" must not be NaN or negative, got -1');
    expect(omError('# TYPE a stateset\na{a="x"} 2\n# EOF\n')).toBe('2:1: stateset sample "a" must have the value 0 or 1, got 2');
    expect(omError('# TYPE a info\na_info 0\n# EOF\n')).toBe('2:1: info sample "a_info" must have the value 1, got 0');
    expect(omError('# TYPE a summary\na{quantile="2"} 1\n# EOF\n')).toBe('2:1: invalid "quantile" label value "2"');
  });

  it('checks histograms point by point', () => {
    const h = (lines: string[]) => omError(['# TYPE h histogram', ...lines, '# EOF', ''].join('\n'));
    expect(h(['h_bucket{le="1"} 1'])).toBe('2:1: histogram "h" has no +Inf bucket');
    expect(h(['h_bucket{le="2"} 1', 'h_bucket{le="1"} 1'])).toBe('3:1: histogram buckets of "h" are not in increasing "le" order');
    expect(h(['h_bucket{le="1"} 2', 'h_bucket{le="+Inf"} 1'])).toBe('3:1: histogram bucket counts of "h" decrease');
    expect(h(['h_bucket{le="+Inf"} 2', 'h_count 3', 'h_sum 1'])).toBe('4:1: histogram "h" count 3 does not match its +Inf bucket 2');
    expect(h(['h_bucket{le="+Inf"} 2', 'h_sum 1'])).toBe('3:1: histogram "h" has _sum but no _count');
    expect(h(['h_bucket{le="+INF"} 2'])).toBe('2:1: invalid "le" label value "+INF"');
    expect(h(['h_bucket 2'])).toBe('2:1: histogram bucket "h_bucket" has no "le" label');
    expect(h(['h_bucket{le="+Inf"} 1.5'])).toBe('2:1: bucket "h_bucket" must have a non-negative integer value, got 1.5');
    // Each group and each timestamp is a point of its own.
    expect(om(['# TYPE h histogram', 'h_bucket{a="1",le="+Inf"} 1 1', 'h_bucket{a="1",le="+Inf"} 2 2', 'h_bucket{a="2",le="+Inf"} 0', '# EOF'].join('\n'))[0].samples).toHaveLength(3);
  });

  it('accepts the same body as bytes', () => {
    const body = '# TYPE a counter\na_total{b="ü"} 1 # {t="☃"} 2\n# EOF\n';
    expect(parsePlain(new TextEncoder().encode(body), 'openmetrics')).toEqual(om(body));
  });

  it('reports the source in messages', () => {
    expect(parseError('x{', { format: 'openmetrics', source: 'http://pi:9100/metrics' }).message).toBe(
      'http://pi:9100/metrics:1:3: expected a label name or "}", got end of line',
    );
  });

  it('keeps the model shape: no undefined optional fields', () => {
    const [f] = parseExposition('a 1\n# EOF\n', { format: 'openmetrics' });
    expect(Object.keys(f).sort()).toEqual(['name', 'samples', 'type']);
    expect(Object.keys(f.samples[0]).sort()).toEqual(['labels', 'value']);
  });
});
