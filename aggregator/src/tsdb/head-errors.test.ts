import { describe, expect, it } from 'vitest';
import { EdgepromError, Labels, ManualClock } from '@edgeprom/shared';
import { Head } from './head.js';
import { SAMPLE_ERROR_CODES, STORAGE_ERROR_CODES, SampleError, StorageError } from '../storage/errors.js';
import { Matcher } from '../storage/matcher.js';

/** Runs fn and returns the code it threw with (sync or async). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgepromError);
    return (e as EdgepromError).code;
  }
  throw new Error('expected an error');
}

describe('storage error codes', () => {
  it('every documented code can actually be raised, and nothing else', async () => {
    const clock = new ManualClock(1_000_000_000_000);
    const head = new Head({ clock, outOfOrderTimeWindowMs: 0 });
    const l = Labels.from({ __name__: 'up' });
    const app = head.appender();
    app.append(l, clock.now(), 1);
    const seen = new Set<string>([
      await codeOf(() => app.append(l, clock.now(), 2)),
      await codeOf(() => app.append(l, clock.now() - 1, 2)),
      await codeOf(() => app.append(l, clock.now() + 3_600_000, 2)),
      await codeOf(() => app.append(Labels.EMPTY, 1, 2)),
    ]);
    await app.commit();
    seen.add(await codeOf(() => head.appender().append(Labels.from({ x: 'y' }), clock.now() - 7_200_000, 1)));
    seen.add(await codeOf(() => app.commit()));
    const q = head.querier(0, 1);
    q.close();
    seen.add(await codeOf(() => q.select([])));
    seen.add(await codeOf(() => Matcher.regex('a', '(')));
    // Nothing in the head is unsupported any more (the out-of-order window was the last);
    // the code stays for partial stores, and the OOO path's codes are in ooo-window.test.ts.
    expect([...seen].sort()).toEqual(
      [...SAMPLE_ERROR_CODES, ...STORAGE_ERROR_CODES].filter((c) => c !== 'ERR_UNSUPPORTED').sort(),
    );
  });

  it('sample errors carry the series and timestamp in fields and message', () => {
    const l = Labels.from({ __name__: 'up', job: 'a' });
    const e = new SampleError('ERR_OUT_OF_ORDER_SAMPLE', l, 42);
    expect(e).toBeInstanceOf(EdgepromError);
    expect(e.message).toBe('out of order sample: up{job="a"} @42');
    expect([e.code, e.t, e.labels]).toEqual(['ERR_OUT_OF_ORDER_SAMPLE', 42, l]);
    expect(new StorageError('ERR_UNSUPPORTED', 'x').name).toBe('StorageError');
  });
});
