import { describe, expect, it } from 'vitest';
import { Labels } from '../labels.js';
import { parseExposition } from './parse.js';
import { parsePlain } from './parse-test-util.js';

const text = (body: string) => parsePlain(body, 'text');

describe('parseExposition, text format 0.0.4', () => {
  it('parses the documented example', () => {
    const body = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      '# Minimalistic line:',
      'metric_without_timestamp_and_labels 12.47',
      '',
      '# A weird metric from before the epoch:',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '',
    ].join('\n');
    expect(text(body)).toEqual([
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'The total number of HTTP requests.',
        samples: [
          { labels: 'http_requests_total{code="200", method="post"}', value: 1027, timestampMs: 1395066363000 },
          { labels: 'http_requests_total{code="400", method="post"}', value: 3, timestampMs: 1395066363000 },
        ],
      },
      {
        name: 'msdos_file_access_time_seconds',
        type: 'unknown',
        samples: [
          {
            labels: 'msdos_file_access_time_seconds{error="Cannot find file:\\n\\"FILE.TXT\\"", path="C:\\\\DIR\\\\FILE.TXT"}',
            value: 1458255915,
          },
        ],
      },
      { name: 'metric_without_timestamp_and_labels', type: 'unknown', samples: [{ labels: 'metric_without_timestamp_and_labels', value: 12.47 }] },
      { name: 'something_weird', type: 'unknown', samples: [{ labels: 'something_weird{problem="division by zero"}', value: Infinity, timestampMs: -3982045 }] },
    ]);
  });

  it('unescapes label values to their real characters', () => {
    const [f] = parseExposition('m{a="x\\\\y\\"z\\nw",b="\\q"} 1\n', { format: 'text' });
    expect(f.samples[0].labels.get('a')).toBe('x\\y"z\nw');
    expect(f.samples[0].labels.get('b')).toBe('\\q'); // unknown escapes stay, as in Prometheus
  });

  it('gives samples full labels with __name__, sorted', () => {
    const [f] = parseExposition('m{z="1",A="2",a="3",_x="4"} 1\n', { format: 'text' });
    const l = f.samples[0].labels;
    expect(l.pairs()).toEqual(['A', '2', '__name__', 'm', '_x', '4', 'a', '3', 'z', '1']);
    expect(l.equals(Labels.from({ __name__: 'm', z: '1', A: '2', a: '3', _x: '4' }))).toBe(true);
    expect(l.key).toBe(Labels.from(l.toObject()).key);
  });

  it('drops labels with empty values, as Labels does', () => {
    const [f] = parseExposition('m{a="",b="1"} 1\n', { format: 'text' });
    expect(f.samples[0].labels.toString()).toBe('m{b="1"}');
  });

  it('groups histogram and summary samples into their family', () => {
    const body = [
      '# TYPE h histogram',
      'h_bucket{le="0.5"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 1.5',
      'h_count 2',
      '# TYPE s summary',
      's{quantile="0.5"} 0.2',
      's_sum 3',
      's_count 7',
      '',
    ].join('\n');
    const fams = text(body);
    expect(fams.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['h', 'histogram', 4],
      ['s', 'summary', 3],
    ]);
  });

  it('accepts any Go float in le and quantile, NaN included', () => {
    const body = '# TYPE h histogram\nh_bucket{le="NaN"} 1\nh_bucket{le="0x1p-3"} 1\n# TYPE s summary\ns{quantile="NaN"} 1\n';
    expect(text(body).map((f) => f.samples.length)).toEqual([2, 1]);
  });

  it('puts samples without metadata in unknown families named after them', () => {
    expect(text('a 1\na_bucket{le="1"} 2\nb_total 3\n').map((f) => [f.name, f.type])).toEqual([
      ['a', 'unknown'],
      ['a_bucket', 'unknown'],
      ['b_total', 'unknown'],
    ]);
  });

  it('maps untyped to unknown and keeps empty families declared by metadata', () => {
    expect(text('# HELP x Some help\n# TYPE x untyped\n')).toEqual([{ name: 'x', type: 'unknown', help: 'Some help', samples: [] }]);
  });

  it('joins a split family to its first part, as expfmt does', () => {
    const fams = text('# TYPE a gauge\na{x="1"} 1\nb 2\na{x="2"} 3\n');
    expect(fams.map((f) => [f.name, f.samples.map((s) => s.value)])).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });

  it('accepts metadata and samples in a family order-independently, except TYPE after samples', () => {
    expect(text('a 1\n# HELP a late help\n')[0].help).toBe('late help');
  });

  it('unescapes HELP: backslash and newline only', () => {
    expect(text('# HELP a x\\\\y\\nz \\"q\\"\n')[0].help).toBe('x\\y\nz \\"q\\"');
  });

  it('treats other comments and blank lines as nothing', () => {
    expect(text('\n# just a comment\n#no space\n# HELPER not metadata\n   \n\t\na 1\n')).toEqual([
      { name: 'a', type: 'unknown', samples: [{ labels: 'a', value: 1 }] },
    ]);
  });

  it('accepts blanks and tabs where Prometheus does, and a trailing comma', () => {
    expect(text('  a { b = "1" , c="2", } \t 5 \t 123  \n')).toEqual([
      { name: 'a', type: 'unknown', samples: [{ labels: 'a{b="1", c="2"}', value: 5, timestampMs: 123 }] },
    ]);
    expect(text('# \t TYPE \t a \t gauge \t\na{} 1\n')[0].type).toBe('gauge');
  });

  it('parses the number forms Go accepts', () => {
    const values = ['1', '-1.5', '+2', '.5', '5.', '1e3', '1E-3', '0x1p-3', '-0x1.8p1', 'NaN', 'nan', 'Inf', '+Inf', '-Inf', '+inf', 'Infinity', '-infinity', '00012', '9007199254740993', '1.7976931348623157e308', '1e400', '-0'];
    const body = values.map((v, i) => `m{i="${i}"} ${v}\n`).join('');
    const got = text(body)[0].samples.map((s) => s.value);
    expect(got).toEqual([1, -1.5, 2, 0.5, 5, 1000, 0.001, 0.125, -3, 'NaN', 'NaN', Infinity, Infinity, -Infinity, Infinity, Infinity, -Infinity, 12, 9007199254740992, 1.7976931348623157e308, Infinity, '-0']);
  });

  it('rounds decimal values correctly, like Number()', () => {
    const values = ['0.1', '0.3', '123456.789', '1.2345678901234567', '4.35', '2.2250738585072014e-308', '0.000001', '123456789012345678901234567890'];
    const got = text(values.map((v, i) => `m{i="${i}"} ${v}\n`).join(''))[0].samples.map((s) => s.value);
    expect(got).toEqual(values.map(Number));
  });

  it('takes integer millisecond timestamps', () => {
    expect(text('a 1 -5\nb 1 +7\nc 1 1700000000000\n').map((f) => f.samples[0].timestampMs)).toEqual([-5, 7, 1700000000000]);
  });

  it('parses bytes, a BOM-free UTF-8 body, like the same string', () => {
    const body = '# HELP ü_x Größe in °C\nm{ort="Zürich ☃"} 1\n'.replace('ü_x', 'u_x');
    expect(parsePlain(new TextEncoder().encode(body), 'text')).toEqual(text(body));
    expect(text(body)[1].samples[0].labels).toBe('m{ort="Zürich ☃"}');
  });

  it('parses a last line without a newline', () => {
    expect(text('a 1\nb 2')).toEqual([
      { name: 'a', type: 'unknown', samples: [{ labels: 'a', value: 1 }] },
      { name: 'b', type: 'unknown', samples: [{ labels: 'b', value: 2 }] },
    ]);
    expect(text('')).toEqual([]);
  });

  it('keeps # EOF as a comment in the text format', () => {
    expect(text('a 1\n# EOF\nb 2\n').length).toBe(2);
  });

  it('shares one string for a name or value that repeats', () => {
    const [f] = parseExposition('m{mode="idle"} 1\nm{mode="idle",x="1"} 2\n', { format: 'text' });
    const [a, b] = f.samples.map((s) => s.labels.pairs());
    expect(a[a.indexOf('mode') + 1]).toBe(b[b.indexOf('mode') + 1]);
  });
});
