import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, startTestApi, type TestApi } from './test-helpers.js';

const T0 = 1_700_000_000_000;

describe('series and label endpoints', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    await load(t.storage, [
      [{ __name__: 'up', job: 'node', instance: 'b' }, T0, 1],
      [{ __name__: 'up', job: 'node', instance: 'a' }, T0, 1],
      [{ __name__: 'up', job: 'prom', instance: 'c' }, T0 + 3_600_000, 1],
      [{ __name__: 'http_requests_total', job: 'prom', code: '200' }, T0, 5],
      [{ __name__: 'http_requests_total', job: 'prom', code: '500' }, T0, 1],
    ]);
  });
  afterAll(() => t.close());

  describe('/api/v1/series', () => {
    it('lists matching series in label order, as label objects', async () => {
      const r = await t.get('/api/v1/series', { 'match[]': 'up{job="node"}' });
      expect(r.status).toBe(200);
      expect(r.text).toBe(
        '{"status":"success","data":[{"__name__":"up","instance":"a","job":"node"},{"__name__":"up","instance":"b","job":"node"}]}',
      );
    });

    it('unions several match[] without duplicates', async () => {
      const r = await t.post('/api/v1/series', { 'match[]': ['up{instance="a"}', '{job="node"}', 'http_requests_total{code="500"}'] });
      expect(r.json().data).toEqual([
        { __name__: 'http_requests_total', code: '500', job: 'prom' },
        { __name__: 'up', instance: 'a', job: 'node' },
        { __name__: 'up', instance: 'b', job: 'node' },
      ]);
    });

    it('restricts to start/end', async () => {
      const r = await t.get('/api/v1/series', {
        'match[]': 'up',
        start: String((T0 + 60_000) / 1000),
        end: new Date(T0 + 7_200_000).toISOString(),
      });
      expect(r.json().data).toEqual([{ __name__: 'up', instance: 'c', job: 'prom' }]);
    });

    it('truncates to limit and warns', async () => {
      const r = await t.get('/api/v1/series', { 'match[]': 'up', limit: '2' });
      expect(r.json()).toEqual({
        status: 'success',
        data: [
          { __name__: 'up', instance: 'a', job: 'node' },
          { __name__: 'up', instance: 'b', job: 'node' },
        ],
        warnings: ['results truncated due to limit'],
      });
      const exact = await t.get('/api/v1/series', { 'match[]': 'up', limit: '3' });
      expect(exact.json().warnings).toBeUndefined();
    });

    it('answers an empty list, not null', async () => {
      expect((await t.get('/api/v1/series', { 'match[]': 'nothing' })).text).toBe('{"status":"success","data":[]}');
    });

    it.each([
      [{}, 'no match[] parameter provided'],
      [{ 'match[]': '{job=~".*"}' }, 'invalid parameter "match[]": match[] must contain at least one non-empty matcher'],
      [{ 'match[]': 'up{' }, 'invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces'],
      [{ 'match[]': 'up', start: 'x' }, `invalid parameter "start": Invalid time value for 'start': cannot parse "x" to a valid timestamp`],
      [{ 'match[]': 'up', limit: 'x' }, 'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax'],
    ])('%j → 400 %s', async (params, error) => {
      const r = await t.get('/api/v1/series', params as Record<string, string>);
      expect(r.status).toBe(400);
      expect(r.json()).toEqual({ status: 'error', errorType: 'bad_data', error });
    });

    it('reports malformed query strings as Go ParseForm does', async () => {
      const r = await t.get('/api/v1/series?match[]=up&a;b=1');
      expect(r.json()).toEqual({
        status: 'error',
        errorType: 'bad_data',
        error: 'error parsing form values: invalid semicolon separator in query',
      });
    });
  });

  describe('/api/v1/labels', () => {
    it('lists all label names', async () => {
      const r = await t.get('/api/v1/labels');
      expect(r.text).toBe('{"status":"success","data":["__name__","code","instance","job"]}');
    });

    it('filters by match[] (several are unioned) and POST works', async () => {
      expect((await t.get('/api/v1/labels', { 'match[]': 'up' })).json().data).toEqual(['__name__', 'instance', 'job']);
      const r = await t.post('/api/v1/labels', { 'match[]': ['up{instance="a"}', 'http_requests_total'] });
      expect(r.json().data).toEqual(['__name__', 'code', 'instance', 'job']);
    });

    it('truncates to limit and warns', async () => {
      expect((await t.get('/api/v1/labels', { limit: '2' })).json()).toEqual({
        status: 'success',
        data: ['__name__', 'code'],
        warnings: ['results truncated due to limit'],
      });
    });

    it('refuses an empty-matching selector without the match[] prefix, as Prometheus does', async () => {
      const r = await t.get('/api/v1/labels', { 'match[]': '{foo=""}' });
      expect(r.status).toBe(400);
      expect(r.json().error).toBe('match[] must contain at least one non-empty matcher');
    });
  });

  describe('/api/v1/label/<name>/values', () => {
    it('lists values', async () => {
      expect((await t.get('/api/v1/label/job/values')).text).toBe('{"status":"success","data":["node","prom"]}');
      expect((await t.get('/api/v1/label/__name__/values')).json().data).toEqual(['http_requests_total', 'up']);
    });

    it('filters by match[] and time', async () => {
      expect((await t.get('/api/v1/label/instance/values', { 'match[]': 'up{job="node"}' })).json().data).toEqual(['a', 'b']);
      const later = await t.get('/api/v1/label/instance/values', { start: String((T0 + 60_000) / 1000) });
      expect(later.json().data).toEqual(['c']);
    });

    it('answers [] for an unknown label', async () => {
      expect((await t.get('/api/v1/label/nope/values')).text).toBe('{"status":"success","data":[]}');
    });

    it('truncates to limit and warns', async () => {
      expect((await t.get('/api/v1/label/instance/values', { limit: '1' })).json()).toEqual({
        status: 'success',
        data: ['a'],
        warnings: ['results truncated due to limit'],
      });
    });

    it('refuses an invalid label name', async () => {
      const r = await t.get('/api/v1/label/1abc/values');
      expect(r.status).toBe(400);
      expect(r.json()).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid label name: "1abc"' });
    });

    it('is GET only', async () => {
      const r = await t.post('/api/v1/label/job/values', {});
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, OPTIONS');
    });
  });
});
