/** The agent's buffer: LevelDB under `<storage.path>/buffer`, with recovery (level-store.ts). */
import { LevelStore, type LevelStoreOptions } from './level-store.js';
import { StoredSampleBuffer, type SampleBufferOptions } from './sample-buffer.js';
import type { SampleBuffer } from './interface.js';

export interface LevelSampleBufferOptions extends SampleBufferOptions, Omit<LevelStoreOptions, 'clock' | 'logger'> {
  /** The LevelDB directory. */
  path: string;
}

export class LevelSampleBuffer extends StoredSampleBuffer {
  readonly path: string;
  constructor(opts: LevelSampleBufferOptions) {
    super(new LevelStore(opts.path, opts), opts);
    this.path = opts.path;
  }
}

LevelSampleBuffer satisfies new (opts: LevelSampleBufferOptions) => SampleBuffer;
