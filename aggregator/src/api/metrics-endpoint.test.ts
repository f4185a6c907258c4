import { describe, expect, it } from 'vitest';
import { handlerLabel } from './metrics-endpoint.js';

describe('handlerLabel (prometheus_http_requests_total{handler})', () => {
  it.each([
    ['/api/v1/query', '/api/v1/query'],
    ['/api/v1/query_range', '/api/v1/query_range'],
    ['/api/v1/targets', '/api/v1/targets'],
    ['/api/v1/fleet', '/api/v1/fleet'],
    ['/api/v1/label/job/values', '/api/v1/label/:name/values'],
    ['/api/v1/label/any thing/values', '/api/v1/label/:name/values'],
    ['/api/v1/nope', '/api/v1/*'],
    ['/api/v1', '/api/v1/*'],
    ['/metrics', '/metrics'],
    ['/metrics/job/backup/instance/db1', '/metrics/job/*'],
    ['/-/healthy', '/-/healthy'],
    ['/-/reload', '/-/reload'],
    ['/favicon.ico', 'other'],
    ['/random/path/123', 'other'],
  ])('%s → %s', (path, want) => {
    expect(handlerLabel(path)).toBe(want);
  });
});
