import { afterEach, describe, expect, it } from 'vitest';
import { Harness, tempBatch } from './test-harness.js';
import { WATERMARK_METRIC } from './watermarks.js';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

describe('ingest: the watermark survives a restart', () => {
  it('after reopening the tsdb, a re-sent old batch is deduped and acked with the stored watermark', async () => {
    h = await new Harness().start();
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 10));
    await a.nextAck();
    await a.push(tempBatch('a', 'boot1', 11, 20));
    await a.nextAck();
    expect(h.samples(WATERMARK_METRIC).get(`${WATERMARK_METRIC}{agent="a", boot="boot1"}`)?.map(([, v]) => v)).toEqual([10, 20]);

    await h.closeIngest();
    h.clock.advance(60_000);
    await h.openIngest();
    expect(h.ingest.metrics.samplesTotal.appended).toBe(0);

    await a.push(tempBatch('a', 'boot1', 5, 20));
    expect(await a.nextAck()).toMatchObject({ boot: 'boot1', seqTo: 20 });
    expect(h.ingest.metrics.samplesTotal).toMatchObject({ appended: 0, duplicate: 16 });
    await a.push(tempBatch('a', 'boot1', 15, 25));
    expect((await a.nextAck()).seqTo).toBe(25);
    expect(h.ingest.metrics.samplesTotal).toMatchObject({ appended: 5, duplicate: 22 });
    const rows = h.samples('temp').get('temp{instance="a", job="edgeprom", sensor="s1"}')!;
    expect(rows.map(([, v]) => v)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });
});
