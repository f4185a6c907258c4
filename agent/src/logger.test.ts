import { closeSync, openSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger, isLogLevel, silentLogger, type Logger } from './logger.js';
import { fakeTree, type FakeTree } from './testing/fake-tree.js';

let tree: FakeTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

function lines(level: Parameters<typeof createLogger>[0], use: (l: Logger) => void): Record<string, unknown>[] {
  let text = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  use(createLogger(level, stream));
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger', () => {
  it('writes the JSON lines pino wrote for the agent: numeric level, time, name, fields, msg', () => {
    // The same call through pino configured as the agent's logger was, for the reference shape.
    let ref = '';
    const p = pino({ level: 'info', base: { name: 'edgeprom-agent' } }, new Writable({ write: (c, _e, cb) => ((ref += String(c)), cb()) }));
    p.warn({ broker: 'mqtt://x', n: 1 }, 'mqtt: connection lost');
    const want = JSON.parse(ref) as Record<string, unknown>;
    const [got] = lines('info', (l) => l.warn({ broker: 'mqtt://x', n: 1 }, 'mqtt: connection lost'));
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect({ ...got, time: 0 }).toEqual({ ...want, time: 0 });
    expect(typeof got.time).toBe('number');
  });

  it('filters by level, changes level at run time, and refuses unknown levels', () => {
    const got = lines('warn', (l) => {
      l.info('hidden');
      l.error('shown');
      l.level = 'debug';
      l.debug({ a: 1 }, 'now shown');
      expect(() => (l.level = 'loud')).toThrow(/unknown log level "loud"/);
      l.level = 'silent';
      l.fatal('never');
    });
    expect(got.map((g) => [g.level, g.msg])).toEqual([
      [50, 'shown'],
      [20, 'now shown'],
    ]);
    expect(isLogLevel('trace')).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
  });

  it('serializes errors, bigints and a message-only call; a circular object does not throw', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const [e, b, m, c] = lines('info', (l) => {
      l.error({ err: Object.assign(new Error('boom'), { code: 'EIO' }) }, 'failed');
      l.info({ big: 10n });
      l.info('just text');
      l.info(circular, 'circular');
    });
    expect(e.err).toMatchObject({ type: 'Error', message: 'boom', code: 'EIO' });
    expect(b).toMatchObject({ big: '10' });
    expect(b.msg).toBeUndefined();
    expect(m.msg).toBe('just text');
    expect(c.log_error).toMatch(/fields not serializable/);
    expect(c.msg).toBe('circular');
  });

  it('writes to a file descriptor synchronously; the silent logger writes nothing', async () => {
    tree = await fakeTree({});
    const fd = openSync(tree.path('log'), 'w');
    const l = createLogger('info', fd);
    l.info({ x: 1 }, 'one');
    silentLogger().fatal('nothing');
    closeSync(fd);
    const got = readFileSync(tree.path('log'), 'utf8').trim().split('\n').map((s) => JSON.parse(s) as Record<string, unknown>);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ level: 30, name: 'edgeprom-agent', x: 1, msg: 'one' });
  });
});
