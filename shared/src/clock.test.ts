import { describe, expect, it } from 'vitest';
import { ManualClock, RealClock } from './clock.js';

describe('ManualClock', () => {
  it('fires timers in time order while advancing, moving wall and monotonic time together', async () => {
    const c = new ManualClock(1_000_000);
    const fired: string[] = [];
    c.setTimeout(() => fired.push(`b@${c.monotonic()}`), 200);
    c.setTimeout(() => fired.push(`a@${c.monotonic()}`), 100);
    const iv = c.setInterval(() => fired.push(`i@${c.monotonic()}`), 150);
    await c.advance(310);
    expect(fired).toEqual(['a@100', 'i@150', 'b@200', 'i@300']);
    expect(c.now()).toBe(1_000_310);
    c.clearTimeout(iv);
    expect(c.pendingTimers).toBe(0);
  });

  it('lets async chains driven by sleep run an hour in one call', async () => {
    const c = new ManualClock();
    let ticks = 0;
    const loop = (async () => {
      for (let i = 0; i < 240; i++) {
        await c.sleep(15_000);
        ticks++;
      }
    })();
    await c.advance(3_600_000);
    await loop;
    expect(ticks).toBe(240);
  });

  it('sleep rejects on abort and cancels its timer', async () => {
    const c = new ManualClock();
    const ac = new AbortController();
    const p = c.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(c.pendingTimers).toBe(0);
  });

  it('setWallTime jumps the wall clock only', async () => {
    const c = new ManualClock(0);
    await c.advance(10);
    c.setWallTime(5_000_000);
    expect(c.now()).toBe(5_000_000);
    expect(c.monotonic()).toBe(10);
  });

  it('rejects a negative advance', async () => {
    await expect(new ManualClock().advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('RealClock', () => {
  it('sleeps and cancels', async () => {
    const c = new RealClock();
    const t0 = c.monotonic();
    await c.sleep(5);
    expect(c.monotonic()).toBeGreaterThan(t0);
    let fired = false;
    const h = c.setTimeout(() => (fired = true), 1);
    c.clearTimeout(h);
    await c.sleep(10);
    expect(fired).toBe(false);
  });
});
