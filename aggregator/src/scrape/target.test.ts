/** PopulateLabels, target URLs and offsets, as Prometheus's target tests pin them. */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { compileRelabel } from '../relabel/relabel.js';
import { Target, populateLabels, splitsHostPort, targetUrl, targetsFromGroup } from './target.js';
import { scrapeJob } from './types.js';

const job = scrapeJob({ job_name: 'job', scrape_interval: 60_000, scrape_timeout: 10_000 });

describe('populateLabels', () => {
  it('adds defaults, the default port and instance; drops __meta_*', () => {
    const r = populateLabels(Labels.from({ __address__: '1.2.3.4', __meta_x: 'y', custom: 'v' }), job, []);
    expect(r.labels!.toObject()).toEqual({
      __address__: '1.2.3.4:80',
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      __scrape_interval__: '1m',
      __scrape_timeout__: '10s',
      custom: 'v',
      instance: '1.2.3.4:80',
      job: 'job',
    });
    expect(r.discovered!.toObject()).toEqual({
      __address__: '1.2.3.4',
      __meta_x: 'y',
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      __scrape_interval__: '1m',
      __scrape_timeout__: '10s',
      custom: 'v',
      job: 'job',
    });
  });

  it('https gets 443, an existing port and IPv6 brackets are kept, noDefaultPort adds none', () => {
    const https = scrapeJob({ ...job, scheme: 'https' });
    expect(populateLabels(Labels.from({ __address__: 'h' }), https, []).labels!.get('__address__')).toBe('h:443');
    expect(populateLabels(Labels.from({ __address__: 'h:9100' }), job, []).labels!.get('__address__')).toBe('h:9100');
    expect(populateLabels(Labels.from({ __address__: '[::1]' }), job, []).labels!.get('__address__')).toBe('[::1]:80');
    expect(populateLabels(Labels.from({ __address__: 'h' }), job, [], true).labels!.get('instance')).toBe('h');
  });

  it('keeps labels the target sets, params become __param_*, instance is not overwritten', () => {
    const j = scrapeJob({ ...job, params: { module: ['icmp', 'x'] } });
    const r = populateLabels(Labels.from({ __address__: 'h:1', job: 'mine', instance: 'i', __metrics_path__: '/probe' }), j, []);
    expect(r.labels!.get('job')).toBe('mine');
    expect(r.labels!.get('instance')).toBe('i');
    expect(r.labels!.get('__param_module')).toBe('icmp');
    const t = new Target(r.labels!, r.discovered!, j.params);
    expect(t.url).toBe('http://h:1/probe?module=icmp&module=x');
    expect(t.publicLabels.toObject()).toEqual({ instance: 'i', job: 'mine' });
  });

  it('relabeling can drop a target or change its interval', () => {
    const drop = compileRelabel([{ source_labels: ['__address__'], regex: 'h:.*', action: 'drop' }]);
    const r = populateLabels(Labels.from({ __address__: 'h:1' }), job, drop);
    expect(r.labels).toBeUndefined();
    expect(r.discovered!.get('__address__')).toBe('h:1');
    const every5 = compileRelabel([{ target_label: '__scrape_interval__', replacement: '5s' }, { target_label: '__scrape_timeout__', replacement: '1s' }]);
    const t = populateLabels(Labels.from({ __address__: 'h:1' }), job, every5).labels!;
    expect(new Target(t, t, {}).intervalAndTimeout()).toEqual({ intervalMs: 5000, timeoutMs: 1000 });
  });

  it('refuses targets Prometheus refuses', () => {
    const noAddr = compileRelabel([{ target_label: '__address__', replacement: '', regex: '(.*)' }]);
    expect(() => populateLabels(Labels.from({ __address__: 'h:1' }), job, noAddr)).toThrow('no address');
    expect(() => populateLabels(Labels.from({ __address__: 'h:1/x' }), job, [])).toThrow('"h:1/x" is not a valid hostname');
    const slow = compileRelabel([{ target_label: '__scrape_timeout__', replacement: '2m' }]);
    expect(() => populateLabels(Labels.from({ __address__: 'h:1' }), job, slow)).toThrow('scrape timeout cannot be greater than scrape interval ("2m" > "1m")');
    const g = targetsFromGroup({ source: 'f.json:0', targets: [{ __address__: 'a:1' }, { foo: 'x' }], labels: { foo: 'g' } }, job, []);
    expect(g.active.map((t) => t.get('foo'))).toEqual(['g']);
    expect(g.failures.map((e) => e.message)).toEqual(['instance 1 in group f.json:0: no address']);
  });

  it('splits host and port as Go does', () => {
    expect(['h:1', '[::1]:9', 'h:'].map(splitsHostPort)).toEqual([true, true, true]);
    expect(['h', '::1', '[::1]', 'a:b:c'].map(splitsHostPort)).toEqual([false, false, false, false]);
  });

  it('escapes query parameters as Go does', () => {
    const l = Labels.from({ __address__: 'h:1', __scheme__: 'http', __metrics_path__: '/m', '__param_a b': "x'y z" });
    expect(targetUrl(l, {})).toBe('http://h:1/m?a+b=x%27y+z');
  });
});

describe('target offset', () => {
  const mk = (addr: string) => {
    const l = populateLabels(Labels.from({ __address__: addr }), job, []).labels!;
    return new Target(l, l, {});
  };
  it('is deterministic, within the interval, and spreads targets', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 7);
    const offsets = Array.from({ length: 50 }, (_, i) => mk(`host-${i}:9100`).offset(15_000, now));
    expect(Array.from({ length: 50 }, (_, i) => mk(`host-${i}:9100`).offset(15_000, now))).toEqual(offsets);
    for (const o of offsets) expect(o).toBeGreaterThanOrEqual(0);
    for (const o of offsets) expect(o).toBeLessThanOrEqual(15_000);
    expect(new Set(offsets).size).toBeGreaterThan(40);
    // Pinned to absolute time: a later start lands on the same phase.
    const t = mk('host-1:9100');
    const a = now + t.offset(15_000, now);
    const later = now + 4_321;
    expect((later + t.offset(15_000, later) - a) % 15_000).toBe(0);
    // A seed moves it.
    expect(t.offset(15_000, now, 12345n)).not.toBe(t.offset(15_000, now));
  });
});
