import { suite } from './contract.js';
import { MemorySampleBuffer } from './memory-buffer.js';
import { MemoryStore } from './memory-store.js';

suite({
  name: 'memory',
  async place() {
    const store = new MemoryStore();
    return {
      async open(opts) {
        const b = new MemorySampleBuffer({ ...opts, store });
        await b.open();
        return b;
      },
      async cleanup() {},
    };
  },
});
