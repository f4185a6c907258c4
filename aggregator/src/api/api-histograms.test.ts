import { Labels } from '@edgeprom/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../promql/index.js';
import { FloatHistogram } from '../storage/index.js';
import { startTestApi, type TestApi } from './test-helpers.js';

const T0 = 1_700_000_000_000;

/** schema 0: positive bucket i is (2^(i-1), 2^i], negative bucket i is [-2^i, -2^(i-1)). */
function hist(scale: number): FloatHistogram {
  const h = new FloatHistogram();
  h.schema = 0;
  h.count = 5 * scale;
  h.sum = 4 * scale;
  h.zeroThreshold = 0.001;
  h.zeroCount = 1 * scale;
  h.pIdx = [0, 1, 2];
  h.pCnt = [1 * scale, 0, 1 * scale];
  h.nIdx = [0];
  h.nCnt = [2 * scale];
  return h;
}

describe('native histograms in query results', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ engine: createEngine() });
    const app = t.storage.appender();
    const l = Labels.from([['__name__', 'req_seconds'], ['job', 'api']]);
    const mixed = Labels.from([['__name__', 'mixed']]);
    for (let i = 0; i <= 4; i++) {
      app.appendHistogram!(l, T0 + i * 60_000, hist(i + 1));
      if (i < 2) app.append(mixed, T0 + i * 60_000, i);
      else app.appendHistogram!(mixed, T0 + i * 60_000, hist(1));
    }
    await app.commit();
  });
  afterAll(() => t.close());

  it('writes an instant histogram sample as Prometheus does, byte for byte', async () => {
    const r = await t.get('/api/v1/query', { query: 'req_seconds', time: String(T0 / 1000) });
    expect(r.status).toBe(200);
    // The empty bucket (1,2] is left out; the zero bucket is closed, negative buckets open above.
    expect(r.text).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[' +
        '{"metric":{"__name__":"req_seconds","job":"api"},"histogram":[1700000000,' +
        '{"count":"5","sum":"4","buckets":[[1,"-1","-0.5","2"],[3,"-0.001","0.001","1"],[0,"0.5","1","1"],[0,"2","4","1"]]}]}]}}',
    );
  });

  it('puts histogram points of a range under "histograms", floats under "values"', async () => {
    const r = await t.get('/api/v1/query_range', {
      query: 'mixed',
      start: String(T0 / 1000),
      end: String((T0 + 180_000) / 1000),
      step: '60',
    });
    expect(r.status).toBe(200);
    const [s] = r.json().data.result;
    expect(s.values).toEqual([
      [1700000000, '0'],
      [1700000060, '1'],
    ]);
    expect(s.histograms.map((p: [number, { count: string }]) => [p[0], p[1].count])).toEqual([
      [1700000120, '5'],
      [1700000180, '5'],
    ]);
  });

  it('computes rate over histograms and histogram_count of the result', async () => {
    // The series grows by hist(1) per minute: 5 observations per 60 s.
    const r = await t.get('/api/v1/query', { query: 'histogram_count(rate(req_seconds[4m]))', time: String((T0 + 240_000) / 1000) });
    expect(r.status).toBe(200);
    const [s] = r.json().data.result;
    expect(Number(s.value[1])).toBeCloseTo(5 / 60, 12);
  });

  it('warns when a sum mixes floats and histograms', async () => {
    const r = await t.get('/api/v1/query', { query: 'sum({__name__=~"mixed|req_seconds"})', time: String((T0 + 60_000) / 1000) });
    expect(r.status).toBe(200);
    expect(r.json().data.result).toEqual([]);
    expect(r.json().warnings).toEqual(['PromQL warning: encountered a mix of histograms and floats for aggregation (1:1)']);
  });
});
