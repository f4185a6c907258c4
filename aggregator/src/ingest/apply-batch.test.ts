import { describe, expect, it } from 'vitest';
import { Labels, ManualClock } from '@edgeprom/shared';
import { decodeMessage, encodeBatch, type BatchMessage } from '@edgeprom/shared/wire';
import { MemoryStorage } from '../storage/memory.js';
import type { Appendable, Appender } from '../storage/interface.js';
import { applyBatch } from './apply-batch.js';
import { attachTargetLabels, PushLabelCache } from './push-labels.js';
import { WATERMARK_METRIC, Watermarks } from './watermarks.js';

const T0 = Date.UTC(2026, 0, 1);
const batch = (boot: string, from: number, to: number): BatchMessage => {
  const seqs = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return decodeMessage(
    encodeBatch({ agent: 'a', boot, seqFrom: from, seqTo: to, series: [{ labels: Labels.from({ __name__: 'x' }), timestamps: seqs.map((s) => T0 + s), values: seqs, seqs }] }),
  ) as BatchMessage;
};

describe('applyBatch', () => {
  it('writes the watermark in the same commit, and a fresh Watermarks rebuilds it from the store', async () => {
    const store = new MemoryStorage();
    const clock = new ManualClock(T0);
    const wm = new Watermarks(clock);
    const labels = new PushLabelCache();
    expect(await applyBatch(store, wm, labels, batch('b1', 1, 5))).toMatchObject({ watermark: 5, committed: true, counts: { appended: 5 } });
    // Same clock instant: the next watermark sample still gets a later timestamp.
    expect(await applyBatch(store, wm, labels, batch('b1', 4, 8))).toMatchObject({ watermark: 8, counts: { appended: 3, duplicate: 2 } });
    expect(await applyBatch(store, wm, labels, batch('b1', 1, 8))).toMatchObject({ watermark: 8, committed: false, counts: { duplicate: 8 } });
    const fresh = new Watermarks(clock);
    expect(fresh.load(store)).toBe(1);
    expect(fresh.get('a', 'b1')).toMatchObject({ seq: 8, t: T0 + 1 });
    expect(fresh.get('a', 'b1')?.labels.toString()).toBe(`${WATERMARK_METRIC}{agent="a", boot="b1"}`);
  });

  it('a failed commit moves no watermark, so the batch is applied in full when resent', async () => {
    const mem = new MemoryStorage();
    let fail = true;
    const flaky: Appendable = {
      appender(): Appender {
        const app = mem.appender();
        return {
          append: (l, t, v) => app.append(l, t, v),
          rollback: () => app.rollback(),
          commit: () => (fail ? Promise.reject(new Error('disk full')) : app.commit()),
        };
      },
    };
    const wm = new Watermarks(new ManualClock(T0));
    const labels = new PushLabelCache();
    await expect(applyBatch(flaky, wm, labels, batch('b1', 1, 5))).rejects.toThrow('disk full');
    expect(wm.get('a', 'b1')).toBeUndefined();
    fail = false;
    expect(await applyBatch(flaky, wm, labels, batch('b1', 1, 5))).toMatchObject({ watermark: 5, counts: { appended: 5 } });
  });
});

describe('push labels', () => {
  it('attaches target labels and keeps colliding pushed ones as exported_*', () => {
    const out = attachTargetLabels(Labels.from({ __name__: 'm', instance: 'x', job: 'y', a: '1' }), Labels.from({ job: 'j', instance: 'i' }));
    expect(out.toString()).toBe('m{a="1", exported_instance="x", exported_job="y", instance="i", job="j"}');
    const cache = new PushLabelCache();
    const l = Labels.from({ __name__: 'm' });
    expect(cache.get('dev', l)).toBe(cache.get('dev', Labels.from({ __name__: 'm' })));
    expect(cache.get('dev', l).toString()).toBe('m{instance="dev", job="edgeprom"}');
  });

  it('asks for the target labels once per batch and starts the agent over when they change', () => {
    let job = 'j1';
    let asked = 0;
    const cache = new PushLabelCache((agent) => (asked++, Labels.from({ job, instance: agent })));
    const m = Labels.from({ __name__: 'm' });
    const entry = cache.forAgent('dev').get(m);
    entry.ref = 42;
    const again = cache.forAgent('dev');
    expect(again.get(m)).toBe(entry);
    expect(again.get(Labels.from({ __name__: 'm' }))).toBe(entry);
    expect(asked).toBe(2);
    job = 'j2';
    const moved = cache.forAgent('dev').get(m);
    expect(moved).not.toBe(entry);
    expect(moved).toMatchObject({ ref: 0 });
    expect(moved.labels.toString()).toBe('m{instance="dev", job="j2"}');
  });
});
