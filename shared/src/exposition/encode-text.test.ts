import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Labels } from '../labels.js';
import type { MetricFamily, Sample } from './model.js';
import { encodeText } from './encode-text.js';

// An independent text-format parser (a port of client_python's), loaded through require so
// this test needs no ambient declaration for its untyped package.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => unknown;

const s = (name: string, labels: Record<string, string>, value: number, timestampMs?: number): Sample => ({
  labels: Labels.from({ __name__: name, ...labels }),
  value,
  ...(timestampMs === undefined ? {} : { timestampMs }),
});

describe('encodeText', () => {
  it('writes HELP, TYPE and samples as client_golang does', () => {
    const families: MetricFamily[] = [
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'The total number of HTTP requests.',
        samples: [
          s('http_requests_total', { method: 'post', code: '200' }, 1027, 1395066363000),
          s('http_requests_total', { method: 'post', code: '400' }, 3, 1395066363000),
        ],
      },
      { name: 'up', type: 'gauge', samples: [s('up', {}, 1)] },
      { name: 'weird', type: 'unknown', samples: [s('weird', { problem: 'division by zero' }, Infinity, -3982045)] },
    ];
    expect(encodeText(families)).toBe(
      '# HELP http_requests_total The total number of HTTP requests.\n' +
        '# TYPE http_requests_total counter\n' +
        'http_requests_total{code="200",method="post"} 1027 1395066363000\n' +
        'http_requests_total{code="400",method="post"} 3 1395066363000\n' +
        '# TYPE up gauge\n' +
        'up 1\n' +
        '# TYPE weird untyped\n' +
        'weird{problem="division by zero"} +Inf -3982045\n',
    );
  });

  it('escapes label values (\\ " LF) and HELP (\\ LF only)', () => {
    const out = encodeText([
      {
        name: 'msdos_file_access_time_seconds',
        type: 'gauge',
        help: 'a "quoted" back\\slash\nnewline',
        samples: [
          s('msdos_file_access_time_seconds', { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' }, 1.458255915e9),
        ],
      },
    ]);
    expect(out).toBe(
      '# HELP msdos_file_access_time_seconds a "quoted" back\\\\slash\\nnewline\n' +
        '# TYPE msdos_file_access_time_seconds gauge\n' +
        'msdos_file_access_time_seconds{error="Cannot find file:\\n\\"FILE.TXT\\"",path="C:\\\\DIR\\\\FILE.TXT"} 1.458255915e+09\n',
    );
    // An independent parser reads the escapes back to the original strings.
    const parsed = parsePrometheusTextFormat(out) as { help: string; metrics: { labels: Record<string, string> }[] }[];
    expect(parsed[0].help).toBe('a "quoted" back\\slash\nnewline');
    expect(parsed[0].metrics[0].labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
  });

  it('writes an empty HELP with its trailing space, and no HELP when absent', () => {
    expect(encodeText([{ name: 'a', type: 'gauge', help: '', samples: [] }])).toBe('# HELP a \n# TYPE a gauge\n');
  });

  it('writes histograms and summaries with NaN, ±Inf, -0 and Go float notation', () => {
    const out = encodeText([
      {
        name: 'rpc_duration_seconds',
        type: 'summary',
        samples: [
          s('rpc_duration_seconds', { quantile: '0.5' }, NaN),
          s('rpc_duration_seconds', { quantile: '0.99' }, 76656),
          s('rpc_duration_seconds_sum', {}, 1.7560473e7),
          s('rpc_duration_seconds_count', {}, 2693),
        ],
      },
      {
        name: 'latency',
        type: 'histogram',
        samples: [
          s('latency_bucket', { le: '0.05' }, 24054),
          s('latency_bucket', { le: '+Inf' }, 1e6),
          s('latency_sum', {}, -0),
          s('latency_count', {}, 1e6),
        ],
      },
    ]);
    expect(out).toBe(
      '# TYPE rpc_duration_seconds summary\n' +
        'rpc_duration_seconds{quantile="0.5"} NaN\n' +
        'rpc_duration_seconds{quantile="0.99"} 76656\n' +
        'rpc_duration_seconds_sum 1.7560473e+07\n' +
        'rpc_duration_seconds_count 2693\n' +
        '# TYPE latency histogram\n' +
        'latency_bucket{le="0.05"} 24054\n' +
        'latency_bucket{le="+Inf"} 1e+06\n' +
        'latency_sum -0\n' +
        'latency_count 1e+06\n',
    );
  });

  it('names an OpenMetrics counter by its _total samples and moves _created to a gauge', () => {
    const out = encodeText([
      {
        name: 'requests',
        type: 'counter',
        help: 'Requests.',
        unit: '',
        samples: [
          s('requests_total', { path: '/' }, 5),
          s('requests_created', { path: '/' }, 1700000000.5),
          s('requests_total', { path: '/x' }, 1),
          s('requests_created', { path: '/x' }, 1700000001),
        ],
      },
    ]);
    expect(out).toBe(
      '# HELP requests_total Requests.\n' +
        '# TYPE requests_total counter\n' +
        'requests_total{path="/"} 5\n' +
        'requests_total{path="/x"} 1\n' +
        '# HELP requests_created Requests.\n' +
        '# TYPE requests_created gauge\n' +
        'requests_created{path="/"} 1.7000000005e+09\n' +
        'requests_created{path="/x"} 1.700000001e+09\n',
    );
  });

  it('keeps a text counter without _total as it is', () => {
    expect(encodeText([{ name: 'hits', type: 'counter', samples: [s('hits', {}, 2)] }])).toBe(
      '# TYPE hits counter\nhits 2\n',
    );
  });

  it('downgrades info, stateset and gaugehistogram to gauges, dropping exemplars and units', () => {
    const out = encodeText([
      { name: 'build', type: 'info', samples: [s('build_info', { version: '1.2' }, 1)] },
      {
        name: 'door',
        type: 'stateset',
        samples: [s('door', { door: 'open' }, 1), s('door', { door: 'closed' }, 0)],
      },
      {
        name: 'queue_seconds',
        type: 'gaugehistogram',
        unit: 'seconds',
        samples: [
          { ...s('queue_seconds_bucket', { le: '1.0' }, 2), exemplar: { labels: Labels.from({ trace_id: 'x' }), value: 0.5 } },
          s('queue_seconds_bucket', { le: '+Inf' }, 3),
          s('queue_seconds_gcount', {}, 3),
          s('queue_seconds_gsum', {}, 1.5),
        ],
      },
    ]);
    expect(out).toBe(
      '# TYPE build_info gauge\n' +
        'build_info{version="1.2"} 1\n' +
        '# TYPE door gauge\n' +
        'door{door="open"} 1\n' +
        'door{door="closed"} 0\n' +
        '# TYPE queue_seconds_bucket gauge\n' +
        'queue_seconds_bucket{le="1.0"} 2\n' +
        'queue_seconds_bucket{le="+Inf"} 3\n' +
        '# TYPE queue_seconds_gcount gauge\n' +
        'queue_seconds_gcount 3\n' +
        '# TYPE queue_seconds_gsum gauge\n' +
        'queue_seconds_gsum 1.5\n',
    );
  });

  it('rounds fractional millisecond timestamps and omits non-finite ones', () => {
    expect(
      encodeText([{ name: 'g', type: 'gauge', samples: [s('g', {}, 1, 1500.6), s('g', { a: 'b' }, 1, NaN)] }]),
    ).toBe('# TYPE g gauge\ng 1 1501\ng{a="b"} 1\n');
  });
});
