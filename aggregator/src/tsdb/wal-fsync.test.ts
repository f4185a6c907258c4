import { afterEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { openTsdb, type Tsdb, type TsdbOptions } from './tsdb.js';
import { dump, tempDir } from './wal-test-util.js';

const T0 = Date.UTC(2026, 0, 1);

describe('WAL fsync policies', () => {
  let cleanup = () => {};
  let db: Tsdb | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    cleanup();
  });
  const openWith = async (opts: Partial<TsdbOptions>) => {
    const t = tempDir('wal-fsync');
    cleanup = t.cleanup;
    db = await openTsdb({ dir: t.dir, clock: new ManualClock(T0), appendWindowMs: Infinity, ...opts });
    return db;
  };
  const commitOne = async (store: Tsdb, i: number, t: number) => {
    const app = store.appender();
    app.append(Labels.from({ __name__: 'm', w: String(i) }), t, i);
    await app.commit();
  };

  it('always: a commit resolves only after an fsync that covers it', async () => {
    const store = await openWith({ fsync: 'always' });
    await commitOne(store, 0, T0);
    expect(store.metrics.wal.fsyncs).toBe(1);
    await commitOne(store, 0, T0 + 1);
    expect(store.metrics.wal.fsyncs).toBe(2);
    // A commit with nothing to log (an exact repeat) waits for nothing.
    await commitOne(store, 0, T0 + 1);
    expect(store.metrics.wal.fsyncs).toBe(2);
  });

  it('always: concurrent commits share fsyncs (group commit)', async () => {
    const store = await openWith({ fsync: 'always' });
    const writers = 100;
    const rounds = 5;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let r = 0; r < rounds; r++) {
          const app = store.appender();
          for (let j = 0; j < 100; j++) app.append(Labels.from({ __name__: 'm', w: String(w), j: String(j) }), T0 + r, r);
          await app.commit();
        }
      }),
    );
    const { fsyncs, commits } = store.metrics.wal;
    expect(commits).toBe(writers * rounds);
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(commits / 10);
    expect(store.metrics.wal.fsyncMsSum).toBeGreaterThanOrEqual(0);
    expect(store.metrics.wal.samplesLogged).toBe(writers * rounds * 100);
    expect(store.metrics.wal.bytesWritten).toBeGreaterThan(writers * rounds * 100 * 10);
  });

  it('interval: commits resolve after the write; the clock drives the fsync', async () => {
    const clock = new ManualClock(T0);
    const store = await openWith({ fsync: 'interval', fsyncIntervalMs: 5000, clock });
    await commitOne(store, 1, T0);
    await commitOne(store, 2, T0);
    expect(store.metrics.wal.fsyncs).toBe(0);
    expect(store.metrics.wal.bytesWritten).toBeGreaterThan(0);
    await clock.advance(4999);
    await store.wal.flush();
    expect(store.metrics.wal.fsyncs).toBe(0);
    await clock.advance(1);
    await store.wal.flush();
    expect(store.metrics.wal.fsyncs).toBe(1);
    await clock.advance(20_000); // nothing new written: nothing to sync
    await store.wal.flush();
    expect(store.metrics.wal.fsyncs).toBe(1);
    await commitOne(store, 3, T0 + 1);
    await clock.advance(5000);
    await store.wal.flush();
    expect(store.metrics.wal.fsyncs).toBe(2);
    await store.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('never: no fsync at all, and the data still replays after a clean close', async () => {
    const t = tempDir('wal-fsync-never');
    cleanup = t.cleanup;
    const store = await openTsdb({ dir: t.dir, clock: new ManualClock(T0), fsync: 'never' });
    for (let i = 0; i < 10; i++) await commitOne(store, i, T0);
    expect(store.metrics.wal.fsyncs).toBe(0);
    const before = dump(store);
    await store.close();
    expect(store.metrics.wal.fsyncs).toBe(0);
    db = await openTsdb({ dir: t.dir, clock: new ManualClock(T0) });
    expect(dump(db)).toEqual(before);
  });

  it('refuses commits after close with ERR_TSDB_CLOSED and leaves the head untouched', async () => {
    const store = await openWith({});
    const app = store.appender();
    app.append(Labels.from({ __name__: 'late' }), T0, 1);
    await store.close();
    await expect(app.commit()).rejects.toMatchObject({ code: 'ERR_TSDB_CLOSED' });
    expect(() => store.appender()).toThrow(expect.objectContaining({ code: 'ERR_TSDB_CLOSED' }));
    expect(dump(store).size).toBe(0);
    expect(() => app.append(Labels.from({ __name__: 'late' }), T0, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_APPENDER_CLOSED' }),
    );
  });
});
