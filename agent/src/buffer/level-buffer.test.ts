import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from './contract.js';
import { LevelSampleBuffer } from './level-buffer.js';

suite({
  name: 'LevelDB',
  async place() {
    const dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-level-'));
    return {
      async open(opts) {
        const b = new LevelSampleBuffer({ ...opts, path: join(dir, 'buffer') });
        await b.open();
        return b;
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
