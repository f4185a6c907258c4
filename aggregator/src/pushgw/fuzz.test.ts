import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './test-util.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ maxBodyBytes: 64 * 1024, maxSeriesPerGroup: 50, maxGroups: 50 });
});
afterAll(async () => h.close());

const segment = fc.oneof(
  fc.constantFrom('job', 'job@base64', 'instance', 'a@base64', '__x', '1a', '=', '==', '', '.', '..', 'L3Zhci90bXA', '!!', 'A', '%2F', '%', '%zz', '%CE%A0'),
  fc.string({ maxLength: 6 }).map((s) => encodeURIComponent(s)),
);
const path = fc
  .array(segment, { maxLength: 8 })
  .map((segs) => '/metrics/' + segs.join('/'))
  .chain((p) => fc.constantFrom(p, p + '/', p.replace('/metrics/', '/metrics/job/j/'), '/api/v1/metrics'));

const line = fc.oneof(
  fc.constantFrom(
    'a 1',
    'a{x="1"} 2',
    'a 1 1234',
    '# TYPE a counter',
    '# TYPE a summary',
    '# TYPE h histogram',
    'h_bucket{le="1"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_sum 1',
    'h_count 2',
    'a_count 3',
    '# HELP a x',
    'push_time_seconds 5',
    'a{job="x",instance=""} 1',
    '# EOF',
    'c_total 1',
    'a NaN',
    '',
  ),
  fc.string({ maxLength: 20 }),
);
const body = fc.array(line, { maxLength: 12 }).map((ls) => ls.join('\n') + '\n');
const headers = fc.record(
  {
    'Content-Type': fc.constantFrom('text/plain; version=0.0.4', 'application/openmetrics-text; version=1.0.0', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited', 'x/y', ';;'),
    'X-Edgeprom-TTL': fc.constantFrom('0', '10s', '1h', 'bogus', '-1s', '99999999999999y'),
    'Content-Encoding': fc.constantFrom('gzip', 'identity', 'br'),
  },
  { requiredKeys: [] },
);

describe('random requests', () => {
  it('never produce a 5xx or break the handler', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('PUT', 'POST', 'DELETE', 'GET', 'PATCH'), path, body, headers, fc.boolean(), async (method, p, b, hdrs, gz) => {
        const payload = gz && hdrs['Content-Encoding'] === 'gzip' ? gzipSync(b) : b;
        const r = await h.request(method, p, method === 'GET' ? undefined : payload, hdrs);
        expect(r.status, `${method} ${p} -> ${r.status} ${r.body}`).toBeLessThan(500);
        await h.clock.advance(7_000);
      }),
      { numRuns: 300 },
    );
    expect((await h.request('PUT', '/metrics/job/after', 'ok 1\n')).status).toBe(200);
  });
});
