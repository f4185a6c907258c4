import { ManualClock } from '@edgeprom/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../storage/memory.js';
import { PUSH_ERROR_CODES } from './errors.js';
import { createPushGateway } from './gateway.js';
import { harness, latest, rawRequest, type Harness } from './test-util.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('lifecycle and options', () => {
  it('applyConfig swaps credentials and limits, keeping groups', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', 'a 1\n');
    h.push.applyConfig({ enabled: true, auth: { bearerTokens: ['new-token'] }, maxSeriesPerGroup: 1 });
    expect((await h.request('PUT', '/metrics/job/j', 'a 2\n')).status).toBe(401);
    const ok = await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 2\n', { Authorization: 'Bearer new-token' });
    expect(ok.status).toBe(200);
    const over = await rawRequest(h.port, 'PUT', '/metrics/job/j', 'a 2\nb 1\n', { Authorization: 'Bearer new-token' });
    expect(over.status).toBe(400);
    expect(h.push.groups()).toHaveLength(1);
  });

  it('stops its timers on stop() and on abort', async () => {
    const clock = new ManualClock();
    const push = createPushGateway({ enabled: true, auth: { insecure: true }, storage: new MemoryStorage(), clock });
    const ac = new AbortController();
    await push.start(ac.signal);
    expect(clock.pendingTimers).toBe(1);
    ac.abort();
    await clock.advance(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses bad options', () => {
    const storage = new MemoryStorage();
    const auth = { insecure: true };
    expect(() => createPushGateway({ enabled: true, storage, auth, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => createPushGateway({ enabled: true, storage, auth, maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
    expect(() => createPushGateway({ enabled: true, storage, auth, routePrefix: 'x/' })).toThrow(/route prefix/);
  });

  it('serves under a route prefix', async () => {
    h = await harness({ routePrefix: '/pushgateway' });
    expect((await h.request('PUT', '/pushgateway/metrics/job/j', 'a 1\n')).status).toBe(200);
    expect((await h.request('PUT', '/metrics/job/j', 'a 1\n')).status).toBe(404);
    expect((await h.request('GET', '/pushgateway/api/v1/metrics')).status).toBe(200);
  });

  it('exposes metadata of pushed families', async () => {
    h = await harness();
    await h.request('PUT', '/metrics/job/j', '# HELP a Some help.\n# TYPE a counter\na 1\nb 2\n');
    expect([...h.push.metadata.metadata()]).toEqual([
      { metric: 'a', type: 'counter', help: 'Some help.', unit: '' },
      { metric: 'b', type: 'unknown', help: '', unit: '' },
    ]);
    expect([...h.push.metadata.metadata('b')]).toHaveLength(1);
  });

  it('needs a newline at the end of a text body, as Pushgateway does', async () => {
    h = await harness();
    const r = await h.request('PUT', '/metrics/job/j', 'a 1\nb 2');
    expect(r.status).toBe(400);
    expect(r.body).toBe('text format parsing error in line 2: unexpected end of input stream\n');
    expect((await h.request('PUT', '/metrics/job/j', 'a 1\n  ')).status).toBe(200);
    expect(latest(h.storage, { job: 'j' }).get('a{job="j"}')).toBe(1);
  });

  it('every error code is documented', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/push-api.md', import.meta.url), 'utf8');
    for (const code of PUSH_ERROR_CODES) expect(doc, code).toContain(code);
  });
});
