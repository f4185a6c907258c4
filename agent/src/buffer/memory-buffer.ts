/**
 * The buffer in memory: the same policy over a MemoryStore. Nothing survives the process;
 * the agent falls back to it when no LevelDB can be opened at all, and tests use it. Pass
 * the same `store` to a new instance to simulate a restart.
 */
import { MemoryStore } from './memory-store.js';
import { StoredSampleBuffer, type SampleBufferOptions } from './sample-buffer.js';
import type { SampleBuffer } from './interface.js';

export interface MemorySampleBufferOptions extends SampleBufferOptions {
  store?: MemoryStore;
}

export class MemorySampleBuffer extends StoredSampleBuffer {
  readonly store: MemoryStore;
  constructor(opts: MemorySampleBufferOptions = {}) {
    const store = opts.store ?? new MemoryStore();
    super(store, opts);
    this.store = store;
  }
}

MemorySampleBuffer satisfies new (opts?: MemorySampleBufferOptions) => SampleBuffer;
