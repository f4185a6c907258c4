import { afterEach, describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { encodeBatch } from '@edgeprom/shared/wire';
import type { Appendable, Appender, Queryable } from '../storage/interface.js';
import { Harness, T0, tempBatch } from './test-harness.js';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

describe('ingest: a batch', () => {
  it('lands in the store with job/instance labels, and is acked only after its commit resolved', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let commitCalled!: () => void;
    const committing = new Promise<void>((r) => (commitCalled = r));
    const wrap = (s: Appendable & Queryable): Appendable & Queryable => ({
      querier: (a, b) => s.querier(a, b),
      appender(): Appender {
        const app = s.appender();
        return {
          append: (l, t, v) => app.append(l, t, v),
          rollback: () => app.rollback(),
          async commit() {
            commitCalled();
            await gate;
            await app.commit();
            events.push('committed');
          },
        };
      },
    });
    h = await new Harness().start({ wrapStore: wrap });
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 5));
    await committing;
    // While the commit is held, the only thing the device can get is our marker, not an ack.
    await h.internal.publishAsync('edgeprom/ack/a', Buffer.from('marker'), { qos: 1 });
    expect((await a.inbox.next('edgeprom/ack/a')).toString()).toBe('marker');
    release();
    const ack = await a.nextAck();
    events.push('ack');
    expect(ack).toEqual({ v: 1, type: 'ack', agent: 'a', boot: 'boot1', seqTo: 5 });
    expect(events).toEqual(['committed', 'ack']);

    const got = h.samples('temp');
    expect([...got.keys()]).toEqual(['temp{instance="a", job="edgeprom", sensor="s1"}']);
    expect(got.get('temp{instance="a", job="edgeprom", sensor="s1"}')).toEqual([1, 2, 3, 4, 5].map((s) => [T0 + s * 1000, s]));
    expect(h.ingest.device('a')).toMatchObject({ boot: 'boot1', lastSeq: 5, lastResult: 'ok', lastSampleTime: T0 + 5000 });
    expect(h.ingest.metrics.batchCount('a', 'ok')).toBe(1);
  });

  it('renames pushed job/instance labels to exported_*, as a scrape with honor_labels: false does', async () => {
    h = await new Harness().start({ targetLabels: (agent) => Labels.from({ job: 'fleet', instance: `${agent}:9100` }) });
    const a = await h.device('a');
    await a.push(
      encodeBatch({
        agent: 'a',
        boot: 'b',
        seqFrom: 1,
        seqTo: 1,
        series: [{ labels: Labels.from({ __name__: 'up', job: 'own' }), timestamps: [T0], values: [1], seqs: [1] }],
      }),
    );
    await a.nextAck();
    expect([...h.samples('up').keys()]).toEqual(['up{exported_job="own", instance="a:9100", job="fleet"}']);
  });
});

describe('ingest: dedupe by (agent, boot, seq)', () => {
  it('the same batch twice (a QoS 1 redelivery) appends once and is acked twice', async () => {
    h = await new Harness().start();
    const a = await h.device('a');
    const batch = tempBatch('a', 'boot1', 1, 10);
    await a.push(batch);
    expect((await a.nextAck()).seqTo).toBe(10);
    await a.push(batch);
    expect((await a.nextAck()).seqTo).toBe(10);
    expect(h.samples('temp').get('temp{instance="a", job="edgeprom", sensor="s1"}')).toHaveLength(10);
    expect(h.ingest.metrics.samplesTotal).toMatchObject({ appended: 10, duplicate: 10 });
    expect(h.ingest.metrics.batchCount('a', 'duplicate')).toBe(1);
  });

  it('an overlapping resend with other boundaries appends exactly the missing seqs', async () => {
    h = await new Harness().start();
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 10));
    await a.nextAck();
    // A lost ack: the agent resends from 1 with a larger batch.
    await a.push(tempBatch('a', 'boot1', 1, 25));
    expect((await a.nextAck()).seqTo).toBe(25);
    await a.push(tempBatch('a', 'boot1', 20, 30));
    expect((await a.nextAck()).seqTo).toBe(30);
    const rows = h.samples('temp').get('temp{instance="a", job="edgeprom", sensor="s1"}')!;
    expect(rows.map(([, v]) => v)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(h.ingest.metrics.samplesTotal).toMatchObject({ appended: 30, duplicate: 10 + 6 });
  });

  it('boots are independent, a gap is counted as lost, and refused samples are counted and still acked', async () => {
    h = await new Harness().start();
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 10));
    await a.nextAck();
    await a.push(tempBatch('a', 'boot1', 15, 20, { dropped: 4 }));
    expect((await a.nextAck()).seqTo).toBe(20);
    expect(h.ingest.metrics.samplesTotal.lost).toBe(4);
    expect(h.ingest.device('a')?.droppedReported).toBe(4);
    // Another boot's seqs 1..5 are not covered by boot1's watermark. Its timestamps are an
    // hour ahead of the aggregator's clock: refused by the store, counted, and acked anyway.
    const seqs = [1, 2, 3, 4, 5];
    await a.push(
      encodeBatch({
        agent: 'a',
        boot: 'boot0',
        seqFrom: 1,
        seqTo: 5,
        series: [{ labels: Labels.from({ __name__: 'temp', sensor: 's1' }), timestamps: seqs.map((s) => T0 + 3_600_000 + s), values: seqs, seqs }],
      }),
    );
    expect(await a.nextAck()).toMatchObject({ boot: 'boot0', seqTo: 5 });
    expect(h.ingest.metrics.samplesTotal).toMatchObject({ appended: 16, too_far_in_future: 5 });
    expect(h.ingest.metrics.batchCount('a', 'ok')).toBe(3);
  });

  it('appends a known series by the ref the store returned for it, with no new Labels', async () => {
    // What the store sees: per append of the pushed series, its labels object and the ref passed.
    const seen: { labels: Labels; hint: number; ref: number }[] = [];
    const wrap = (s: Appendable & Queryable): Appendable & Queryable => ({
      querier: (a, b) => s.querier(a, b),
      appender(): Appender {
        const app = s.appender();
        return {
          append: (l, t, v, hint) => {
            const ref = app.append(l, t, v, hint);
            if (l.name === 'temp') seen.push({ labels: l, hint: hint ?? 0, ref });
            return ref;
          },
          rollback: () => app.rollback(),
          commit: () => app.commit(),
        };
      },
    });
    h = await new Harness().start({ wrapStore: wrap });
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 3));
    await a.nextAck();
    // A new series: no ref before its commit creates it.
    expect(seen.map((x) => x.hint)).toEqual([0, 0, 0]);
    seen.length = 0;
    await a.push(tempBatch('a', 'boot1', 4, 6));
    await a.nextAck();
    // The next batch finds it by labels once, then passes the ref the store returned.
    const ref = seen[0].ref;
    expect(ref).not.toBe(0);
    expect(seen.map((x) => x.hint)).toEqual([0, ref, ref]);
    const first = seen[0].labels;
    seen.length = 0;
    // From then on every append is by ref, with the same Labels object: no lookup, no new Labels.
    await a.push(tempBatch('a', 'boot1', 7, 8));
    await a.nextAck();
    expect(seen.map((x) => x.hint)).toEqual([ref, ref]);
    expect(seen.every((x) => x.labels === first)).toBe(true);
    const rows = h.samples('temp').get('temp{instance="a", job="edgeprom", sensor="s1"}')!;
    expect(rows.map(([, v]) => v)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
