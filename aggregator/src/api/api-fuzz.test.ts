import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../promql/index.js';
import { load, rawRequest, startTestApi, type TestApi } from './test-helpers.js';

const PATHS = [
  '/api/v1/query',
  '/api/v1/query_range',
  '/api/v1/series',
  '/api/v1/labels',
  '/api/v1/label/job/values',
  '/api/v1/label/__name__/values',
  '/api/v1/metadata',
  '/api/v1/format_query',
  '/api/v1/query_exemplars',
  '/api/v1/status/tsdb',
  '/api/v1/status/config',
];
const NAMES = ['query', 'time', 'start', 'end', 'step', 'timeout', 'limit', 'match[]', 'stats', 'lookback_delta', 'metric', 'limit_per_metric'];
const VALUES = [
  '', 'up', 'up{job="a"}', '{__name__=~".+"}', 'rate(up[5m])', 'sum by (job) (up)', '1', '-1', '0', '1e3', 'NaN', '+Inf',
  '-Inf', '0x1p3', '1_0', '5m', '1h30m', '-5m', '2015-07-01T20:10:51.781Z', '9999999999999999999', '1e400', '(', 'x',
  '"str"', 'up[5m]', '-292273086-05-16T16:47:06Z', '0.001', ' ', '%', '\u0000', 'all',
];

const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 20 }), fc.double().map(String));
const param = fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 8 })), value);

/** 503 only for a timeout (`timeout=0` is a legitimate way to get one). */
function allowed(status: number): boolean {
  return status === 200 || status === 204 || status === 400 || status === 422 || status === 503;
}

const ERROR_TYPES: Record<number, string> = { 400: 'bad_data', 422: 'execution', 503: 'timeout' };

describe('random parameters', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ engine: createEngine({ maxSamples: 1_000_000 }) });
    await load(t.storage, [
      [{ __name__: 'up', job: 'a' }, 1_000, 1],
      [{ __name__: 'up', job: 'b' }, 2_000, 0],
    ]);
  });
  afterAll(() => t.close());

  it('never produce a 5xx; errors come in the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.array(param, { maxLength: 6 }),
        fc.constantFrom('GET', 'POST'),
        async (path, params, method) => {
          const u = new URLSearchParams();
          for (const [k, v] of params) u.append(k, v);
          const r =
            method === 'GET'
              ? await rawRequest(t.base, `${path}?${u}`)
              : await rawRequest(t.base, path, {
                  method,
                  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                  body: u.toString(),
                });
          const okMethod = method === 'GET' || !/metadata|label\/|status/.test(path);
          if (!okMethod) {
            expect(r.status).toBe(405);
            return;
          }
          expect(allowed(r.status), `${r.status} ${r.text}`).toBe(true);
          if (r.status === 204) return;
          const body = r.json();
          if (r.status === 200) expect(body.status).toBe('success');
          else {
            expect(body.status).toBe('error');
            expect(typeof body.error).toBe('string');
            expect(body.errorType).toBe(ERROR_TYPES[r.status]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('raw, malformed query strings never produce a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.string({ maxLength: 40 }), async (path, raw) => {
        const enc = raw.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)).replace(/#/g, '%23');
        const r = await rawRequest(t.base, `${path}?${enc}`);
        expect(allowed(r.status), `${r.status} ${r.text}`).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
