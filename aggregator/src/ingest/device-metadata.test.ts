/**
 * Family metadata of push devices: batches with `meta` through a real broker into the
 * ingest, then listed by the real HTTP API's /api/v1/metadata (merged with other sources).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mergeMetadata } from '../api/sources.js';
import { startTestApi, type TestApi } from '../api/test-helpers.js';
import { Harness, tempBatch } from './test-harness.js';

let h: Harness;
let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  await h.stop();
});

const TEMP = { metric: 'temp', type: 'gauge', help: 'Sensor temperature.', unit: 'celsius' };

async function metadata(params?: Record<string, string>): Promise<unknown> {
  const r = await api!.get('/api/v1/metadata', params);
  expect(r.status, r.text).toBe(200);
  return (r.json() as { data: unknown }).data;
}

describe('ingest: family metadata (batch meta)', () => {
  it('records it per device and lists it at /api/v1/metadata, deduplicated', async () => {
    h = await new Harness().start();
    api = await startTestApi({ metadata: mergeMetadata({ metadata: () => [] }, h.ingest.metadata) });
    const a = await h.device('a');
    const b = await h.device('b');
    await a.push(tempBatch('a', 'boot1', 1, 2, { meta: [TEMP, { metric: 'up_seconds', type: 'counter', help: 'Uptime.', unit: 'seconds' }] }));
    expect((await a.nextAck()).seqTo).toBe(2);
    await b.push(tempBatch('b', 'boot1', 1, 1, { meta: [TEMP] }));
    expect((await b.nextAck()).seqTo).toBe(1);
    expect(await metadata()).toEqual({
      temp: [{ type: 'gauge', help: 'Sensor temperature.', unit: 'celsius' }],
      up_seconds: [{ type: 'counter', help: 'Uptime.', unit: 'seconds' }],
    });
    // A later batch without meta changes nothing; one with a changed family replaces it.
    await b.push(tempBatch('b', 'boot1', 2, 2));
    await b.nextAck();
    await b.push(tempBatch('b', 'boot1', 3, 3, { meta: [{ ...TEMP, help: 'New wording.' }] }));
    await b.nextAck();
    expect(await metadata({ metric: 'temp' })).toEqual({
      temp: [
        { type: 'gauge', help: 'Sensor temperature.', unit: 'celsius' },
        { type: 'gauge', help: 'New wording.', unit: 'celsius' },
      ],
    });
    expect(h.samples('temp').size).toBe(2);
  });

  it('refuses a batch whose meta breaks the configured limits, naming the field', async () => {
    const warned: string[] = [];
    const logger = { info() {}, error() {}, warn: (o: object) => void warned.push((o as { reason?: string }).reason ?? '') };
    h = await new Harness().start({ wireMetadataLimits: { maxHelpLength: 5 }, logger });
    const a = await h.device('a');
    await a.push(tempBatch('a', 'boot1', 1, 1, { meta: [{ ...TEMP, help: 'short' }] }));
    expect((await a.nextAck()).seqTo).toBe(1);
    await a.push(tempBatch('a', 'boot1', 2, 2, { meta: [TEMP] }));
    // Refused (never acked); the next good batch is acked.
    await a.push(tempBatch('a', 'boot1', 2, 2));
    expect((await a.nextAck()).seqTo).toBe(2);
    expect(h.ingest.device('a')!.batches.malformed).toBe(1);
    expect(warned).toEqual(['ERR_WIRE_MALFORMED: meta["temp"][1]: 19 characters, over the maximum of 5']);
    expect([...h.ingest.metadata.device('a')!.values()]).toEqual([{ ...TEMP, help: 'short' }]);
  });

  it('keeps at most the configured families per device', async () => {
    h = await new Harness().start({ deviceMetadataLimits: { maxFamiliesPerDevice: 2 } });
    const a = await h.device('a');
    const meta = ['f1', 'f2', 'f3'].map((metric) => ({ metric, type: 'gauge', help: '', unit: '' }));
    await a.push(tempBatch('a', 'boot1', 1, 1, { meta }));
    await a.nextAck();
    expect([...h.ingest.metadata.device('a')!.keys()]).toEqual(['f1', 'f2']);
    expect(h.ingest.metadata.ignored).toBe(1);
  });
});
