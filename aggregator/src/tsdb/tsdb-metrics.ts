/**
 * The TSDB's self metrics as MetricFamily lists, with Prometheus's names where Prometheus
 * has the same figure (so dashboards built for Prometheus's own /metrics work unchanged).
 * The counters live as plain numbers in the parts that own them (Head.metrics,
 * WalWriter.metrics, TsdbMetrics below); this file only names them.
 */
import { FamilySet, Labels, type MetricFamily } from '@edgeprom/shared';
import type { Head } from './head.js';
import type { WalMetrics } from './wal-writer.js';

/** Counters of the on-disk part (blocks, compaction, retention, checkpoints, tombstones). */
export interface TsdbMetrics {
  compactions: number;
  compactionsFailed: number;
  /** Head compactions (head cut into blocks), also counted in `compactions`. */
  headCompactions: number;
  /** Sum of compaction durations (ms, Clock.monotonic); count is `compactions`. */
  compactionMsSum: number;
  /** Blocks merged with overlapping ones (out-of-order data). */
  verticalCompactions: number;
  checkpoints: number;
  checkpointsFailed: number;
  headTruncations: number;
  /** Blocks dropped by retention. */
  timeRetentions: number;
  sizeRetentions: number;
  /** Blocks found unreadable at open and moved aside. */
  blocksCorrupted: number;
  tombstoneCleanups: number;
  reloads: number;
}

export function newTsdbMetrics(): TsdbMetrics {
  return {
    compactions: 0,
    compactionsFailed: 0,
    headCompactions: 0,
    compactionMsSum: 0,
    verticalCompactions: 0,
    checkpoints: 0,
    checkpointsFailed: 0,
    headTruncations: 0,
    timeRetentions: 0,
    sizeRetentions: 0,
    blocksCorrupted: 0,
    tombstoneCleanups: 0,
    reloads: 0,
  };
}

/** What the families are built from; block figures are absent for a store without blocks. */
export interface TsdbMetricsSource {
  head: Head;
  wal: WalMetrics;
  tsdb: TsdbMetrics;
  blocks: { count: number; bytes: number; minTime: number };
  /** Bytes of the WAL directory (segments and checkpoint). */
  walBytes: number;
  /** Bytes of the head chunks files (chunks_head/, with what their write buffer holds). */
  headChunkBytes: number;
  /** Retention limits (0: none). */
  retentionBytes: number;
  retentionMs: number;
}

const sec = (ms: number): number => ms / 1000;
const finite = (t: number): number => (Number.isFinite(t) ? t : 0);

export function tsdbMetricFamilies(src: TsdbMetricsSource): MetricFamily[] {
  const { head, wal, tsdb } = src;
  const m = head.metrics;
  const st = head.stats();
  const f = new FamilySet();
  f.gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.', undefined, st.series);
  f.counter(
    'prometheus_tsdb_head_series_created_total',
    'Total number of series created in the head.',
    undefined,
    m.seriesCreated,
  );
  f.counter(
    'prometheus_tsdb_head_series_removed_total',
    'Total number of series removed in the head.',
    undefined,
    m.seriesRemoved,
  );
  f.counter(
    'prometheus_tsdb_head_samples_appended_total',
    'Total number of appended samples.',
    { type: 'float' },
    m.samplesAppended,
  );
  f.gauge('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.', undefined, st.chunks);
  f.gauge(
    'prometheus_tsdb_head_min_time',
    'Minimum time bound of the head block (ms).',
    undefined,
    finite(head.minTime),
  );
  f.gauge(
    'prometheus_tsdb_head_max_time',
    'Maximum timestamp of the head block (ms).',
    undefined,
    finite(head.maxTime),
  );
  f.gauge(
    'prometheus_tsdb_head_min_time_seconds',
    'Minimum time bound of the head block.',
    undefined,
    sec(finite(head.minTime)),
  );
  f.gauge(
    'prometheus_tsdb_head_max_time_seconds',
    'Maximum timestamp of the head block.',
    undefined,
    sec(finite(head.maxTime)),
  );
  f.counter('prometheus_tsdb_head_truncations_total', 'Total number of head truncations.', undefined, tsdb.headTruncations);
  f.counter(
    'prometheus_tsdb_out_of_order_samples_total',
    'Total number of out of order samples ingestion failed attempts due to out of order being disabled.',
    { type: 'float' },
    m.rejected.outOfOrder,
  );
  f.counter(
    'prometheus_tsdb_head_out_of_order_samples_appended_total',
    'Total number of appended out of order samples.',
    { type: 'float' },
    m.outOfOrder.appended,
  );
  f.counter(
    'prometheus_tsdb_too_old_samples_total',
    'Total number of out of order samples ingestion failed attempts with out of order support enabled, but sample outside of time window.',
    { type: 'float' },
    m.rejected.tooOld,
  );
  f.counter(
    'prometheus_tsdb_duplicate_samples_total',
    'Samples refused because their timestamp is stored with a different value.',
    { type: 'float' },
    m.rejected.duplicate,
  );
  f.counter(
    'prometheus_tsdb_duplicate_samples_ignored_total',
    'Samples ignored because they repeated a stored sample exactly (idempotent replays).',
    { type: 'float' },
    m.duplicatesIgnored,
  );
  f.counter(
    'prometheus_tsdb_too_far_in_future_samples_total',
    'Samples refused because their timestamp is too far ahead of the clock.',
    { type: 'float' },
    m.rejected.tooFarInFuture,
  );
  f.counter(
    'prometheus_tsdb_invalid_samples_total',
    'Samples refused as invalid (empty label set, bad timestamp).',
    { type: 'float' },
    m.rejected.invalid,
  );

  const fam = f.list();
  fam.push({
    name: 'prometheus_tsdb_wal_fsync_duration_seconds',
    type: 'summary',
    help: 'Duration of write log fsync.',
    samples: [
      { labels: Labels.from({ __name__: 'prometheus_tsdb_wal_fsync_duration_seconds_sum' }), value: sec(wal.fsyncMsSum) },
      { labels: Labels.from({ __name__: 'prometheus_tsdb_wal_fsync_duration_seconds_count' }), value: wal.fsyncs },
    ],
  });
  fam.push({
    name: 'prometheus_tsdb_compaction_duration_seconds',
    type: 'summary',
    help: 'Duration of compaction runs.',
    samples: [
      {
        labels: Labels.from({ __name__: 'prometheus_tsdb_compaction_duration_seconds_sum' }),
        value: sec(tsdb.compactionMsSum),
      },
      { labels: Labels.from({ __name__: 'prometheus_tsdb_compaction_duration_seconds_count' }), value: tsdb.compactions },
    ],
  });
  const g = new FamilySet();
  g.gauge('prometheus_tsdb_wal_fsync_duration_max_seconds', 'Longest WAL fsync so far.', undefined, sec(wal.fsyncMsMax));
  g.counter('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.', undefined, wal.corruptions);
  g.counter('prometheus_tsdb_wal_writes_failed_total', 'Total number of WAL writes that failed.', undefined, wal.writeErrors);
  g.counter('prometheus_tsdb_wal_segments_created_total', 'WAL segments created.', undefined, wal.segmentsCreated);
  g.counter('prometheus_tsdb_wal_record_bytes_total', 'Bytes written to the WAL.', undefined, wal.bytesWritten);
  g.gauge('prometheus_tsdb_wal_storage_size_bytes', 'Size of the write log directory.', undefined, src.walBytes);
  g.gauge('prometheus_tsdb_head_chunks_storage_size_bytes', 'Size of the chunks_head directory.', undefined, src.headChunkBytes);
  g.counter(
    'prometheus_tsdb_checkpoint_creations_total',
    'Total number of checkpoint creations attempted.',
    undefined,
    tsdb.checkpoints + tsdb.checkpointsFailed,
  );
  g.counter(
    'prometheus_tsdb_checkpoint_creations_failed_total',
    'Total number of checkpoint creations that failed.',
    undefined,
    tsdb.checkpointsFailed,
  );
  g.counter(
    'prometheus_tsdb_compactions_total',
    'Total number of compactions that were executed for the partition.',
    undefined,
    tsdb.compactions,
  );
  g.counter('prometheus_tsdb_compactions_failed_total', 'Total number of compactions that failed.', undefined, tsdb.compactionsFailed);
  g.counter(
    'prometheus_tsdb_vertical_compactions_total',
    'Total number of compactions done on overlapping blocks.',
    undefined,
    tsdb.verticalCompactions,
  );
  g.gauge('prometheus_tsdb_blocks_loaded', 'Number of currently loaded data blocks.', undefined, src.blocks.count);
  g.gauge(
    'prometheus_tsdb_storage_blocks_bytes',
    'The number of bytes that are currently used for local storage by all blocks.',
    undefined,
    src.blocks.bytes,
  );
  g.gauge(
    'prometheus_tsdb_lowest_timestamp_seconds',
    'Lowest timestamp value stored in the database.',
    undefined,
    sec(finite(Math.min(src.blocks.minTime, head.minTime))),
  );
  g.gauge(
    'prometheus_tsdb_retention_limit_bytes',
    'Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled.',
    undefined,
    src.retentionBytes,
  );
  g.gauge(
    'prometheus_tsdb_retention_limit_seconds',
    'How long to retain samples in storage, configured 0 means disabled.',
    undefined,
    sec(src.retentionMs),
  );
  g.counter(
    'prometheus_tsdb_time_retentions_total',
    'The number of times that blocks were deleted because the maximum time limit was exceeded.',
    undefined,
    tsdb.timeRetentions,
  );
  g.counter(
    'prometheus_tsdb_size_retentions_total',
    'The number of times that blocks were deleted because the maximum number of bytes was exceeded.',
    undefined,
    tsdb.sizeRetentions,
  );
  g.counter(
    'prometheus_tsdb_reloads_total',
    'Number of times the database reloaded block data from disk.',
    undefined,
    tsdb.reloads,
  );
  g.counter(
    'prometheus_tsdb_blocks_corrupted_total',
    'Blocks found unreadable at open and moved aside.',
    undefined,
    tsdb.blocksCorrupted,
  );
  g.counter(
    'prometheus_tsdb_tombstone_cleanup_total',
    'Number of blocks rewritten to remove tombstoned data.',
    undefined,
    tsdb.tombstoneCleanups,
  );
  return [...fam, ...g.list()];
}
