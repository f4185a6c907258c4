/** The buffer's own metrics, from its stats: what an operator watches on an offline device. */
import type { MetricFamily } from '@edgeprom/shared';
import { FamilySet } from '@edgeprom/shared';
import { DROP_REASONS, type BufferStats } from './interface.js';

export function bufferFamilies(s: BufferStats): MetricFamily[] {
  const fs = new FamilySet();
  fs.counter('edgeprom_buffer_bytes_written_total', 'Bytes the sample buffer handed to its store (keys and values of puts, keys of deletes), since start. LevelDB adds its own log and compaction writes.', undefined, s.bytesWritten);
  fs.counter('edgeprom_buffer_samples_total', 'Samples appended to the buffer since start.', undefined, s.appended);
  for (const reason of DROP_REASONS) {
    fs.counter('edgeprom_buffer_dropped_samples_total', 'Samples the buffer discarded before they were acknowledged, since start, by reason (size, age, corrupt, write_error).', { reason }, s.dropped[reason]);
  }
  fs.gauge('edgeprom_buffer_size_bytes', 'Logical size of the buffered entries (the quantity bounded by the buffer max_bytes).', undefined, s.sizeBytes);
  if (s.oldestTimestampMs !== undefined) {
    fs.gauge('edgeprom_buffer_oldest_sample_timestamp_seconds', 'Timestamp of the oldest unacknowledged buffered sample; absent when the buffer is empty.', undefined, s.oldestTimestampMs / 1000);
  }
  fs.counter('edgeprom_buffer_flushes_total', 'Batched writes of the buffer to its store, since start.', undefined, s.flushes);
  fs.counter('edgeprom_buffer_flush_errors_total', 'Buffer flushes that failed (the samples stay pending and are retried), since start.', undefined, s.flushErrors);
  fs.gauge('edgeprom_buffer_unacked_samples', 'Durable samples in the buffer not yet acknowledged by the aggregator.', undefined, s.samples);
  fs.gauge('edgeprom_buffer_pending_samples', 'Samples appended but not yet flushed.', undefined, s.pendingSamples);
  fs.gauge('edgeprom_buffer_series', 'Series in the buffer\'s series dictionary.', undefined, s.series);
  return fs.list();
}
