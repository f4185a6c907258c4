import { describe, expect, it } from 'vitest';
import { Labels } from '../labels.js';
import type { Exemplar, MetricFamily, Sample } from './model.js';
import { encodeOpenMetrics } from './encode-openmetrics.js';

const s = (
  name: string,
  labels: Record<string, string>,
  value: number,
  timestampMs?: number,
  exemplar?: Exemplar,
): Sample => ({
  labels: Labels.from({ __name__: name, ...labels }),
  value,
  ...(timestampMs === undefined ? {} : { timestampMs }),
  ...(exemplar === undefined ? {} : { exemplar }),
});
const ex = (labels: Record<string, string>, value: number, timestampMs?: number): Exemplar => ({
  labels: Labels.from(labels),
  value,
  ...(timestampMs === undefined ? {} : { timestampMs }),
});

describe('encodeOpenMetrics', () => {
  it('ends with # EOF, also when empty', () => {
    expect(encodeOpenMetrics([])).toBe('# EOF\n');
  });

  it('drops _total from a text counter family name, keeps it on samples, writes exemplars', () => {
    const out = encodeOpenMetrics([
      {
        name: 'http_requests_total',
        type: 'counter',
        help: 'Requests "served".',
        samples: [
          s('http_requests_total', { code: '200' }, 1027, 1395066363000, ex({ trace_id: 'abc' }, 1, 1395066362500)),
          s('http_requests_total', { code: '500' }, 0),
        ],
      },
    ]);
    expect(out).toBe(
      '# HELP http_requests Requests \\"served\\".\n' +
        '# TYPE http_requests counter\n' +
        'http_requests_total{code="200"} 1027.0 1395066363 # {trace_id="abc"} 1.0 1395066362.5\n' +
        'http_requests_total{code="500"} 0.0\n' +
        '# EOF\n',
    );
  });

  it('writes an OpenMetrics counter family with _created, UNIT and an empty-label exemplar', () => {
    const out = encodeOpenMetrics([
      {
        name: 'cc_seconds',
        type: 'counter',
        help: 'A counter',
        unit: 'seconds',
        samples: [s('cc_seconds_total', {}, 1, undefined, ex({}, 0.5)), s('cc_seconds_created', {}, 123.456)],
      },
    ]);
    expect(out).toBe(
      '# HELP cc_seconds A counter\n' +
        '# TYPE cc_seconds counter\n' +
        '# UNIT cc_seconds seconds\n' +
        'cc_seconds_total 1.0 # {} 0.5\n' +
        'cc_seconds_created 123.456\n' +
        '# EOF\n',
    );
  });

  it('writes a counter whose samples lack _total as unknown, without its exemplar', () => {
    expect(
      encodeOpenMetrics([{ name: 'hits', type: 'counter', samples: [s('hits', {}, 2, undefined, ex({ a: 'b' }, 1))] }]),
    ).toBe('# TYPE hits unknown\nhits 2.0\n# EOF\n');
  });

  it('writes histogram counts as integers and exemplars only on buckets', () => {
    const out = encodeOpenMetrics([
      {
        name: 'latency_seconds',
        type: 'histogram',
        unit: 'seconds',
        samples: [
          s('latency_seconds_bucket', { le: '0.5' }, 1000000, undefined, ex({ trace_id: 'x"y' }, 0.25, 1700000000000)),
          s('latency_seconds_bucket', { le: '+Inf' }, 1000001),
          s('latency_seconds_count', {}, 1000001),
          s('latency_seconds_sum', {}, 12.5, undefined, ex({ a: 'b' }, 1)),
        ],
      },
    ]);
    expect(out).toBe(
      '# TYPE latency_seconds histogram\n' +
        '# UNIT latency_seconds seconds\n' +
        'latency_seconds_bucket{le="0.5"} 1000000 # {trace_id="x\\"y"} 0.25 1700000000\n' +
        'latency_seconds_bucket{le="+Inf"} 1000001\n' +
        'latency_seconds_count 1000001\n' +
        'latency_seconds_sum 12.5\n' +
        '# EOF\n',
    );
  });

  it('writes summaries, gauges with NaN/±Inf/-0 and second timestamps', () => {
    const out = encodeOpenMetrics([
      {
        name: 'rpc',
        type: 'summary',
        samples: [s('rpc', { quantile: '0.5' }, NaN), s('rpc_sum', {}, 3.5), s('rpc_count', {}, 7)],
      },
      {
        name: 'temp',
        type: 'gauge',
        help: 'back\\slash\nnewline',
        samples: [
          s('temp', { a: '1' }, -Infinity, 1700000000123),
          s('temp', { a: '2' }, -0, 5),
          s('temp', { a: '3' }, 2.5e9),
        ],
      },
    ]);
    expect(out).toBe(
      '# TYPE rpc summary\n' +
        'rpc{quantile="0.5"} NaN\n' +
        'rpc_sum 3.5\n' +
        'rpc_count 7\n' +
        '# HELP temp back\\\\slash\\nnewline\n' +
        '# TYPE temp gauge\n' +
        'temp{a="1"} -Inf 1700000000.123\n' +
        'temp{a="2"} -0.0 0.005\n' +
        'temp{a="3"} 2.5e+09\n' +
        '# EOF\n',
    );
  });

  it('writes info, stateset and gaugehistogram natively; UNIT never for info or stateset', () => {
    const out = encodeOpenMetrics([
      { name: 'build', type: 'info', unit: 'info', samples: [s('build_info', { version: '1.2' }, 1)] },
      { name: 'build2_info', type: 'info', samples: [s('build2_info', {}, 1)] },
      { name: 'door', type: 'stateset', samples: [s('door', { door: 'closed' }, 0), s('door', { door: 'open' }, 1)] },
      {
        name: 'queue',
        type: 'gaugehistogram',
        unit: 'bytes', // name lacks the _bytes suffix: no UNIT line
        samples: [
          s('queue_bucket', { le: '+Inf' }, 3, 1000, ex({ id: '1' }, 2)),
          s('queue_gcount', {}, 3, 1000),
          s('queue_gsum', {}, 1.5, 1000),
        ],
      },
      { name: 'x', type: 'unknown', samples: [s('x', {}, 1)] },
    ]);
    expect(out).toBe(
      '# TYPE build info\n' +
        'build_info{version="1.2"} 1.0\n' +
        '# TYPE build2 info\n' +
        'build2_info 1.0\n' +
        '# TYPE door stateset\n' +
        'door{door="closed"} 0.0\n' +
        'door{door="open"} 1.0\n' +
        '# TYPE queue gaugehistogram\n' +
        'queue_bucket{le="+Inf"} 3 1 # {id="1"} 2.0\n' +
        'queue_gcount 3 1\n' +
        'queue_gsum 1.5 1\n' +
        '# TYPE x unknown\n' +
        'x 1.0\n' +
        '# EOF\n',
    );
  });
});
