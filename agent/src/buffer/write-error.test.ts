/** A store that stops taking writes (full or dying SD card) and a store with a rotten entry. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { PREFIX_CHUNK } from './codec.js';
import { MemorySampleBuffer } from './memory-buffer.js';
import { MemoryStore } from './memory-store.js';
import type { StoreOp } from './store.js';
import { gauges } from './testing.js';

class FlakyStore extends MemoryStore {
  failing = false;
  override async write(ops: StoreOp[]): Promise<void> {
    if (this.failing) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return super.write(ops);
  }
}

describe('buffer write errors and damaged entries', () => {
  it('keeps samples in memory while flushes fail, then writes them all in order', async () => {
    const store = new FlakyStore();
    const b = new MemorySampleBuffer({ store, clock: new ManualClock(), bootIdPath: '/nonexistent' });
    await b.open();
    store.failing = true;
    b.append([gauges('a', 5)], 1);
    await expect(b.flush()).rejects.toThrow('ENOSPC');
    b.append([gauges('a', 5)], 2);
    await expect(b.flush()).rejects.toThrow('ENOSPC');
    expect(b.stats()).toMatchObject({ flushErrors: 2, pendingSamples: 10, samples: 0 });
    store.failing = false;
    await b.flush();
    const [run] = await b.readFrom(undefined, 100);
    expect([...run.seqs]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.metrics().find((f) => f.name === 'edgeprom_buffer_flush_errors_total')!.samples[0].value).toBe(2);
    await b.close();
  });

  it('drops the oldest unflushed samples when failures outlast maxPendingSamples', async () => {
    const store = new FlakyStore();
    const b = new MemorySampleBuffer({ store, clock: new ManualClock(), bootIdPath: '/nonexistent', maxPendingSamples: 100 });
    await b.open();
    store.failing = true;
    for (let c = 0; c < 15; c++) b.append([gauges('a', 10)], c);
    const s = b.stats();
    expect(s.dropped.write_error).toBeGreaterThan(0);
    expect(s.pendingSamples + s.dropped.write_error).toBe(150);
    store.failing = false;
    await b.flush();
    const [run] = await b.readFrom(undefined, 1000);
    expect(run.seqs[run.seqs.length - 1]).toBe(150); // the newest survive
    expect(run.dropped).toBe(s.dropped.write_error);
    await b.close();
  });

  it('drops a chunk that no longer decodes, counts it as reason="corrupt", and serves the rest', async () => {
    const store = new MemoryStore();
    const b = new MemorySampleBuffer({ store, clock: new ManualClock(), bootIdPath: '/nonexistent', maxChunkSamples: 4 });
    await b.open();
    b.append([gauges('a', 12)], 1);
    await b.flush();
    const chunks: Uint8Array[] = [];
    for await (const [k] of store.scan(PREFIX_CHUNK)) chunks.push(k);
    expect(chunks.length).toBe(3);
    await store.write([{ type: 'put', key: chunks[1], value: Uint8Array.of(9, 1, 2) }]);
    const runs = await b.readFrom(undefined, 100);
    expect([...runs[0].seqs]).toEqual([1, 2, 3, 4, 9, 10, 11, 12]);
    expect(b.stats().dropped.corrupt).toBe(4);
    await b.close();
  });
});
