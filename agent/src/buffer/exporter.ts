/** Exposes the buffer's `edgeprom_buffer_*` metrics through the Exporter seam. */
import type { Exporter } from '../exporter/interface.js';
import type { SampleBuffer } from './interface.js';

export function bufferExporter(buffer: Pick<SampleBuffer, 'metrics'>): Exporter {
  return {
    name: 'buffer',
    // No I/O: numbers the buffer keeps in memory.
    live: true,
    async collect() {
      return buffer.metrics();
    },
  };
}
