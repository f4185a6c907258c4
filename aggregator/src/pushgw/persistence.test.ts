import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@edgeprom/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../storage/memory.js';
import { dump, harness, latest, type Harness } from './test-util.js';

let dir: string;
let h: Harness | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pushgw-'));
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 1);

describe('persistence', () => {
  it('keeps groups across a restart and appends them again at start', async () => {
    const file = join(dir, 'pushgw.json');
    const storage = new MemoryStorage();
    h = await harness({ persistenceFile: file, persistenceIntervalMs: 60_000 }, new ManualClock(T0), storage);
    await h.request('PUT', '/metrics/job/j/instance/i', '# HELP a Help.\n# TYPE a gauge\na{x="1"} NaN\na{x="2"} -Inf\n');
    await h.request('PUT', '/metrics/job/k/path@base64/=', 'b 1\n', { 'X-Edgeprom-TTL': '1h' });
    await h.request('PUT', '/metrics/job/bad', 'c 1 1000\n');
    await h.close();
    h = undefined;
    expect((await readdir(dir)).filter((f) => f.includes('in_progress'))).toEqual([]);

    const clock = new ManualClock(T0 + 60_000);
    h = await harness({ persistenceFile: file }, clock, storage);
    const groups = h.push.groups().sort((a, b) => (a.labels.job! < b.labels.job! ? -1 : 1));
    expect(groups.map((g) => g.labels)).toEqual([{ job: 'bad' }, { job: 'j', instance: 'i' }, { job: 'k', path: '' }]);
    expect(groups[2]!.ttlMs).toBe(3_600_000);
    expect(groups[0]!.failureTimeMs).toBe(T0);
    const a = dump(storage, { __name__: 'a' });
    expect(a.get('a{instance="i", job="j", x="1"}')!.at(-1)!.t).toBe(T0 + 60_000);
    expect(Number.isNaN(a.get('a{instance="i", job="j", x="1"}')!.at(-1)!.v)).toBe(true);
    expect(latest(storage, { __name__: 'a' }).get('a{instance="i", job="j", x="2"}')).toBe(-Infinity);
    const j = JSON.parse((await h.request('GET', '/api/v1/metrics')).body) as { data: { labels: { job: string }; a?: { help: string } }[] };
    expect(j.data.find((g) => g.labels.job === 'j')!.a!.help).toBe('Help.');
  });

  it('writes at most once per interval, and on stop', async () => {
    const file = join(dir, 'p.json');
    h = await harness({ persistenceFile: file, persistenceIntervalMs: 60_000 });
    await h.request('PUT', '/metrics/job/a', 'a 1\n');
    await h.clock.advance(59_000);
    await expect(readFile(file, 'utf8')).rejects.toThrow();
    await h.clock.advance(1_000);
    await h.push.stop(); // waits for the write in progress
    expect(JSON.parse(await readFile(file, 'utf8')).groups).toHaveLength(1);
  });

  it('expires groups whose TTL ran out while down, marking their series stale', async () => {
    const file = join(dir, 'p.json');
    const storage = new MemoryStorage();
    h = await harness({ persistenceFile: file }, new ManualClock(T0), storage);
    await h.request('PUT', '/metrics/job/t', 'a 1\n', { 'X-Edgeprom-TTL': '1m' });
    await h.close();
    h = await harness({ persistenceFile: file }, new ManualClock(T0 + 120_000), storage);
    expect(h.push.groups()).toEqual([]);
    expect(dump(storage, { __name__: 'a' }).get('a{job="t"}')!.at(-1)).toMatchObject({ t: T0 + 120_000, stale: true });
  });

  it('starts empty on a corrupt file', async () => {
    const file = join(dir, 'p.json');
    await writeFile(file, '{not json');
    const errors: string[] = [];
    const log = () => {};
    h = await harness({ persistenceFile: file, logger: { error: (_o, m) => errors.push(m ?? ''), warn: log, info: log, debug: log } });
    expect(h.push.groups()).toEqual([]);
    expect(errors).toContain('push API: could not load persisted groups');
    expect((await h.request('PUT', '/metrics/job/j', 'a 1\n')).status).toBe(200);
  });

  it('logs a failed write, keeps serving, and retries later', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const errors: string[] = [];
    const log = () => {};
    h = await harness({
      persistenceFile: join(blocker, 'p.json'),
      persistenceIntervalMs: 0,
      logger: { error: (_o, m) => errors.push(m ?? ''), warn: log, info: log, debug: log },
    });
    expect((await h.request('PUT', '/metrics/job/j', 'a 1\n')).status).toBe(200);
    const failures = () => errors.filter((m) => m === 'push API: persisting groups failed').length;
    await h.clock.advance(0);
    await vi.waitFor(() => expect(failures()).toBe(1));
    await h.clock.advance(999); // the retry waits a second, not 0 ms
    expect(failures()).toBe(1);
    await h.clock.advance(1);
    await vi.waitFor(() => expect(failures()).toBe(2));
    expect((await h.request('PUT', '/metrics/job/j', 'a 2\n')).status).toBe(200);
  });
});
