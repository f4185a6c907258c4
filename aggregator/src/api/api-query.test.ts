import { gunzipSync, inflateSync } from 'node:zlib';
import { Labels, ManualClock } from '@edgeprom/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../promql/index.js';
import type { EngineResult, QueryEngine } from './engine.js';
import { load, startTestApi, type TestApi } from './test-helpers.js';

// The real engine must plug in unchanged.
createEngine() satisfies QueryEngine;

const T0 = 1_700_000_000_000;

describe('query endpoints with the PromQL engine', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ engine: createEngine() });
    const samples: [Record<string, string>, number, number][] = [];
    for (let i = 0; i <= 10; i++) {
      samples.push([{ __name__: 'up', job: 'node', instance: 'a' }, T0 + i * 15_000, 1]);
      samples.push([{ __name__: 'up', job: 'node', instance: 'b' }, T0 + i * 15_000, 0]);
      samples.push([{ __name__: 'weird', kind: 'nan' }, T0 + i * 15_000, NaN]);
      samples.push([{ __name__: 'weird', kind: 'inf' }, T0 + i * 15_000, Infinity]);
      samples.push([{ __name__: 'weird', kind: 'ninf' }, T0 + i * 15_000, -Infinity]);
      samples.push([{ __name__: 'weird', kind: 'small' }, T0 + i * 15_000, 1.5e-7]);
    }
    await load(t.storage, samples);
  });
  afterAll(() => t.close());

  it('answers an instant vector in Prometheus JSON, byte for byte', async () => {
    const r = await t.get('/api/v1/query', { query: 'up', time: String((T0 + 60_000) / 1000 + 0.5) });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.text).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[' +
        '{"metric":{"__name__":"up","instance":"a","job":"node"},"value":[1700000060.500,"1"]},' +
        '{"metric":{"__name__":"up","instance":"b","job":"node"},"value":[1700000060.500,"0"]}]}}',
    );
  });

  it('formats NaN, ±Inf and tiny values as Prometheus does', async () => {
    const r = await t.get('/api/v1/query', { query: 'weird', time: String(T0 / 1000) });
    const byKind = Object.fromEntries(
      r.json().data.result.map((s: any) => [s.metric.kind, s.value[1]]),
    );
    expect(byKind).toEqual({ nan: 'NaN', inf: '+Inf', ninf: '-Inf', small: '1.5e-07' });
  });

  it('answers scalars and strings as [time, "value"]', async () => {
    const s = await t.get('/api/v1/query', { query: '1.5', time: '100' });
    expect(s.text).toBe('{"status":"success","data":{"resultType":"scalar","result":[100,"1.5"]}}');
    const str = await t.get('/api/v1/query', { query: '"a<b"', time: '100.25' });
    expect(str.text).toBe('{"status":"success","data":{"resultType":"string","result":[100.250,"a\\u003cb"]}}');
  });

  it('defaults time to the clock\'s now', async () => {
    const t2 = await startTestApi({ engine: createEngine(), clock: new ManualClock(T0 + 1234) });
    try {
      const r = await t2.get('/api/v1/query', { query: 'time()' });
      expect(r.json().data.result).toEqual([1700000001.234, '1700000001.234']);
    } finally {
      await t2.close();
    }
  });

  it('answers a range query as a matrix', async () => {
    const r = await t.get('/api/v1/query_range', {
      query: 'up{instance="a"}',
      start: String(T0 / 1000),
      end: String((T0 + 30_000) / 1000),
      step: '15s',
    });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'up', instance: 'a', job: 'node' },
            values: [
              [1700000000, '1'],
              [1700000015, '1'],
              [1700000030, '1'],
            ],
          },
        ],
      },
    });
  });

  it('accepts form-encoded POST and RFC3339 times', async () => {
    const r = await t.post('/api/v1/query_range', {
      query: 'sum(up)',
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 15_000).toISOString(),
      step: '15',
    });
    expect(r.json().data.result[0].values).toEqual([
      [1700000000, '1'],
      [1700000015, '1'],
    ]);
  });

  it('lets body values win over URL values, as Go FormValue does', async () => {
    const r = await t.api.address!;
    const res = await fetch(`${r.url}/api/v1/query?query=2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'query=3&time=1',
    });
    expect(await res.json()).toEqual({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } });
  });

  it('includes stats when asked', async () => {
    const r = await t.get('/api/v1/query', { query: 'up', time: String(T0 / 1000), stats: '1' });
    const stats = r.json().data.stats;
    expect(Object.keys(stats.timings)).toEqual([
      'evalTotalTime',
      'resultSortTime',
      'queryPreparationTime',
      'innerEvalTime',
      'execQueueTime',
      'execTotalTime',
    ]);
    expect(stats.samples.totalQueryableSamples).toBeGreaterThan(0);
    const none = await t.get('/api/v1/query', { query: 'up', time: String(T0 / 1000) });
    expect(none.json().data.stats).toBeUndefined();
  });

  it('truncates to limit with a warning', async () => {
    const r = await t.get('/api/v1/query', { query: 'up', time: String(T0 / 1000), limit: '1' });
    const body = r.json();
    expect(body.data.result).toHaveLength(1);
    expect(body.warnings).toEqual(['results truncated due to limit']);
  });

  describe('parameter errors, with Prometheus texts and status codes', () => {
    const cases: [string, Record<string, string>, number, string, string][] = [
      ['/api/v1/query', { query: 'up', time: 'x' }, 400, 'bad_data',
        `invalid parameter "time": Invalid time value for 'time': cannot parse "x" to a valid timestamp`],
      ['/api/v1/query', { query: 'up{' }, 400, 'bad_data', 'invalid parameter "query": 1:4: parse error: unexpected end of input inside braces'],
      ['/api/v1/query', {}, 400, 'bad_data', 'invalid parameter "query": unknown position: parse error: no expression found in input'],
      ['/api/v1/query', { query: 'up', timeout: 'soon' }, 400, 'bad_data', 'invalid parameter "timeout": cannot parse "soon" to a valid duration'],
      ['/api/v1/query', { query: 'up', limit: '-1' }, 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative'],
      ['/api/v1/query', { query: 'up', lookback_delta: 'x' }, 400, 'bad_data', 'error parsing lookback delta duration: cannot parse "x" to a valid duration'],
      ['/api/v1/query_range', { query: 'up', start: 'x', end: '1', step: '1' }, 400, 'bad_data',
        'invalid parameter "start": cannot parse "x" to a valid timestamp'],
      ['/api/v1/query_range', { query: 'up', start: '1', end: 'x', step: '1' }, 400, 'bad_data',
        'invalid parameter "end": cannot parse "x" to a valid timestamp'],
      ['/api/v1/query_range', { query: 'up', start: '2', end: '1', step: '1' }, 400, 'bad_data',
        'invalid parameter "end": end timestamp must not be before start time'],
      ['/api/v1/query_range', { query: 'up', start: '1', end: '2' }, 400, 'bad_data', 'invalid parameter "step": cannot parse "" to a valid duration'],
      ['/api/v1/query_range', { query: 'up', start: '1', end: '2', step: '0' }, 400, 'bad_data',
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
      ['/api/v1/query_range', { query: 'up', start: '0', end: '11001', step: '1' }, 400, 'bad_data',
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
      ['/api/v1/query_range', { query: 'up[5m]', start: '0', end: '10', step: '1' }, 400, 'bad_data',
        'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
      ['/api/v1/query', { query: 'up + on(job) up', time: String(T0 / 1000) }, 422, 'execution',
        'found duplicate series for the match group {job="node"} on the right hand-side of the operation: [{__name__="up", instance="b", job="node"}, {__name__="up", instance="a", job="node"}];many-to-many matching not allowed: matching labels must be unique on one side'],
    ];
    it.each(cases)('%s %j → %d %s', async (path, params, status, type, error) => {
      const r = await t.get(path, params);
      expect(r.status).toBe(status);
      const body = r.json();
      expect(body.status).toBe('error');
      expect(body.errorType).toBe(type);
      if (type === 'execution') expect(body.error).toMatch(/many-to-many matching not allowed/);
      else expect(body.error).toBe(error);
      expect(Object.keys(body)).toEqual(['status', 'errorType', 'error']);
    });

    it('allows exactly 11,000 steps (11,001 points) as Prometheus does', async () => {
      const r = await t.get('/api/v1/query_range', { query: '1', start: '0', end: '11000', step: '1' });
      expect(r.status).toBe(200);
      expect(r.json().data.result[0].values).toHaveLength(11001);
    });
  });

  it('gzips when accepted, and deflates (zlib) when deflate comes first', async () => {
    const params = { query: 'up', time: String(T0 / 1000) };
    const plain = await t.get('/api/v1/query', params);
    const gz = await t.get('/api/v1/query', params, { 'Accept-Encoding': 'br, gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(plain.text);
    const df = await t.get('/api/v1/query', params, { 'Accept-Encoding': 'deflate, gzip' });
    expect(df.headers['content-encoding']).toBe('deflate');
    expect(inflateSync(df.body).toString()).toBe(plain.text);
    // Like Prometheus, q-values are not parsed: `gzip;q=1` is not the token `gzip`.
    const q = await t.get('/api/v1/query', params, { 'Accept-Encoding': 'gzip;q=1' });
    expect(q.headers['content-encoding']).toBeUndefined();
    const err = await t.get('/api/v1/query', { query: '(' }, { 'Accept-Encoding': 'gzip' });
    expect(err.status).toBe(400);
    expect(JSON.parse(gunzipSync(err.body).toString()).errorType).toBe('bad_data');
  });
});

/** A stand-in engine for what the real one cannot be made to do on demand. */
function fakeEngine(behave: (signal?: AbortSignal) => Promise<EngineResult>): QueryEngine {
  return {
    instantQuery: (_q, _s, _t, o) => behave(o?.signal),
    rangeQuery: (_q, _s, _a, _b, _c, o) => behave(o?.signal),
  };
}

const EMPTY: EngineResult = { value: { type: 'vector', samples: [] }, warnings: [], infos: [] };

describe('query endpoints with a stand-in engine', () => {
  it('passes warnings and infos through, capped at 10 each like Prometheus', async () => {
    const warnings = Array.from({ length: 12 }, (_, i) => `PromQL warning: w${i}`);
    const t = await startTestApi({
      engine: fakeEngine(async () => ({ ...EMPTY, warnings, infos: ['PromQL info: i'] })),
    });
    try {
      const body = (await t.get('/api/v1/query', { query: 'x' })).json();
      expect(body.data).toEqual({ resultType: 'vector', result: [] });
      expect(body.warnings).toEqual([...warnings.slice(0, 10), '2 more warning annotations omitted']);
      expect(body.infos).toEqual(['PromQL info: i']);
    } finally {
      await t.close();
    }
  });

  it('times out with errorType timeout (503), the engine seeing the abort', async () => {
    let sawReason: unknown;
    const t = await startTestApi({
      engine: fakeEngine(
        (signal) =>
          new Promise((_resolve, reject) => {
            signal!.addEventListener('abort', () => {
              sawReason = signal!.reason;
              reject(Object.assign(new Error('query was canceled in expression evaluation'), { errorType: 'canceled' }));
            });
          }),
      ),
    });
    try {
      const r = await t.get('/api/v1/query', { query: 'x', timeout: '0.01' });
      expect(r.status).toBe(503);
      expect(r.json()).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
      expect((sawReason as Error).name).toBe('TimeoutError');
      const queued = await t.get('/api/v1/query', { query: 'x', timeout: '0' });
      expect(queued.json()).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in query queue' });
    } finally {
      await t.close();
    }
  });

  it('aborts the engine when the client disconnects', async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((r) => (aborted = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const t = await startTestApi({
      engine: fakeEngine(
        (signal) =>
          new Promise((_resolve, reject) => {
            started();
            signal!.addEventListener('abort', () => {
              aborted();
              reject(signal!.reason);
            });
          }),
      ),
    });
    try {
      const ctl = new AbortController();
      const req = fetch(`${t.base}/api/v1/query?query=x`, { signal: ctl.signal }).catch(() => undefined);
      await running;
      ctl.abort();
      await req;
      await sawAbort;
    } finally {
      await t.close();
    }
  });

  it('maps engine error types to Prometheus status codes', async () => {
    const cases: [string, number][] = [
      ['execution', 422],
      ['canceled', 499],
      ['timeout', 503],
      ['internal', 500],
    ];
    for (const [errorType, status] of cases) {
      const t = await startTestApi({
        engine: fakeEngine(async () => {
          throw Object.assign(new Error(`boom ${errorType}`), { errorType });
        }),
      });
      try {
        const r = await t.get('/api/v1/query', { query: 'x' });
        expect(r.status).toBe(status);
        expect(r.json()).toEqual({ status: 'error', errorType, error: `boom ${errorType}` });
      } finally {
        await t.close();
      }
    }
  });

  it('answers unavailable when no engine is configured', async () => {
    const t = await startTestApi();
    try {
      const r = await t.get('/api/v1/query', { query: 'up' });
      expect(r.json().errorType).toBe('unavailable');
    } finally {
      await t.close();
    }
  });

  it('queues queries beyond the concurrency limit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const t = await startTestApi({
      maxConcurrentQueries: 1,
      engine: fakeEngine(async () => {
        calls++;
        if (calls === 1) await gate;
        return { ...EMPTY, value: { type: 'scalar', t: 0, v: calls } };
      }),
    });
    try {
      const first = t.get('/api/v1/query', { query: 'x' });
      const second = t.get('/api/v1/query', { query: 'x' });
      await vi.waitFor(() => expect(t.api.queries).toEqual({ running: 1, waiting: 1 }));
      expect(calls).toBe(1);
      release();
      expect((await first).status).toBe(200);
      expect((await second).json().data.result).toEqual([0, '2']);
    } finally {
      await t.close();
    }
  });
});

describe('format_query', () => {
  it('answers the canonical form', async () => {
    const t = await startTestApi();
    try {
      const r = await t.get('/api/v1/format_query', { query: 'sum(rate(foo{bar="baz"}[5m]))by(job)' });
      expect(r.text).toBe('{"status":"success","data":"sum by (job) (rate(foo{bar=\\"baz\\"}[5m]))"}');
      // Longer than 100 bytes: split as Prometheus's prettifier does.
      const lhs = 'sum by (job) (rate(http_requests_total{code="200",handler="/api/comments",job="api-server"}[5m]))';
      const rhs = 'sum by (job) (rate(http_requests_total{job="api-server"}[5m]))';
      const long = await t.get('/api/v1/format_query', { query: `${lhs} / ignoring(code) group_left ${rhs}` });
      expect(long.json().data).toBe(`  ${lhs}\n/ ignoring (code) group_left ()\n  ${rhs}`);
      const agg = await t.get('/api/v1/format_query', { query: `topk(5, ${lhs} + ${rhs})` });
      expect(agg.json().data).toBe(`topk(\n  5,\n    ${lhs}\n  +\n    ${rhs}\n)`);
      const bad = await t.post('/api/v1/format_query', { query: 'foo{' });
      expect(bad.status).toBe(400);
      expect(bad.json().error).toBe('invalid parameter "query": 1:5: parse error: unexpected end of input inside braces');
    } finally {
      await t.close();
    }
  });
});

describe('parse_query', () => {
  it('answers the tree in translateAST\'s shape, keys sorted', async () => {
    const t = await startTestApi();
    try {
      const r = await t.get('/api/v1/parse_query', { query: 'sum by (job) (rate(up{job="a"}[5m] offset 1m)) > bool 1' });
      expect(r.json().data).toEqual({
        bool: true,
        lhs: {
          expr: {
            args: [
              {
                matchers: [
                  { name: 'job', type: '=', value: 'a' },
                  { name: '__name__', type: '=', value: 'up' },
                ],
                name: 'up',
                offset: 60000,
                range: 300000,
                startOrEnd: null,
                timestamp: null,
                type: 'matrixSelector',
              },
            ],
            func: { argTypes: ['matrix'], name: 'rate', returnType: 'vector', variadic: 0 },
            type: 'call',
          },
          grouping: ['job'],
          op: 'sum',
          param: null,
          type: 'aggregation',
          without: false,
        },
        matching: null,
        op: '>',
        rhs: { type: 'numberLiteral', val: '1' },
        type: 'binaryExpr',
      });
      expect(r.text.indexOf('"bool"')).toBeLessThan(r.text.indexOf('"lhs"'));
      expect((await t.get('/api/v1/parse_query', { query: '1 +' })).status).toBe(400);
    } finally {
      await t.close();
    }
  });
});

void Labels;
