import { afterEach, describe, expect, it } from 'vitest';
import { Harness, tempBatch } from './test-harness.js';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

/** Sets the first `"v": 1` (61 76 01) of an encoded message to `"v": 2`. */
function withVersion2(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i + 2 < out.length; i++) {
    if (out[i] === 0x61 && out[i + 1] === 0x76 && out[i + 2] === 0x01) {
      out[i + 2] = 0x02;
      return out;
    }
  }
  throw new Error('no version field');
}

describe('ingest: bad batches', () => {
  it('malformed, oversized, wrong-version and topic-agent mismatch are refused, counted, logged once, never acked; the other device is unaffected', async () => {
    const logs: { msg: string; obj: Record<string, unknown> }[] = [];
    const log = (obj: object, msg?: string) => void logs.push({ msg: msg ?? '', obj: obj as Record<string, unknown> });
    h = await new Harness().start({ maxBatchBytes: 4096, logger: { info: log, warn: log, error: log } });
    const a = await h.device('a');
    const b = await h.device('b');

    await a.push(Buffer.from('not cbor at all'));
    await a.push(Buffer.from('still not cbor'));
    await a.push(tempBatch('a', 'boot1', 1, 1000)); // ~8 KiB > 4096
    await a.push(withVersion2(tempBatch('a', 'boot1', 1, 3)));
    await a.push(tempBatch('b', 'boot1', 1, 3)); // names agent b on a's topic (a may not publish on b's)
    // Meanwhile b flows.
    await b.push(tempBatch('b', 'bootB', 1, 3));
    expect(await b.nextAck()).toMatchObject({ agent: 'b', seqTo: 3 });
    await h.ingest.idle();

    const m = h.ingest.metrics;
    expect(m.batchCount('a', 'malformed')).toBe(2);
    expect(m.batchCount('a', 'too_large')).toBe(1);
    expect(m.batchCount('a', 'version')).toBe(1);
    expect(m.batchCount('a', 'agent_mismatch')).toBe(1);
    expect(m.batchCount('a', 'ok')).toBe(0);
    expect(m.batchCount('b', 'ok')).toBe(1);
    expect(h.ingest.device('a')?.lastError).toMatch(/names agent "b"/);
    expect(m.samples()).toContainEqual({ name: 'edgeprom_ingest_batches_total', labels: { agent: 'a', result: 'malformed' }, value: 2 });

    const refusals = logs.filter((l) => l.msg.startsWith('ingest: batch refused'));
    expect(refusals.map((l) => l.obj.result)).toEqual(['malformed', 'too_large', 'version', 'agent_mismatch']);

    // None of those was acked: the first ack a ever gets is for its first good batch.
    await a.push(tempBatch('a', 'boot1', 1, 3));
    expect(await a.nextAck()).toMatchObject({ agent: 'a', boot: 'boot1', seqTo: 3 });
    expect(a.pendingAcks()).toBe(0);
    expect([...h.samples('temp').keys()].sort()).toEqual([
      'temp{instance="a", job="edgeprom", sensor="s1"}',
      'temp{instance="b", job="edgeprom", sensor="s1"}',
    ]);
  });
});
