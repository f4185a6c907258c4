/**
 * The SampleBuffer seam: where every collected sample goes first, and where the pusher reads
 * the history that nobody scraped (docs/architecture "Samples from offline devices").
 *
 *   collector.onCollect ─► append() ─► (memory, up to one flush interval) ─► flush() ─► store
 *                                                                 pusher ◄─ readFrom() ◄─┘
 *                                                    aggregator ack ─► ack() ─► trim
 *
 * Implementations: `LevelSampleBuffer` (LevelDB on the SD card, the agent's default) and
 * `MemorySampleBuffer` (same code over an in-memory store: tests, and the fallback when no
 * storage works). Both pass the one contract suite in `contract.ts`.
 *
 * Guarantees every implementation gives (the contract suite checks each):
 * - **Sequence numbers.** Each appended sample gets the next seq of the current boot:
 *   1, 2, 3, ... in append order (families in order, samples in order). The boot id is
 *   `<kernel boot id>.<store id>` (`/proc/sys/kernel/random/boot_id`, and a random id the
 *   store keeps and renews after a repair): restarting the agent within one kernel boot
 *   continues after the last durable seq; a reboot, a lost or repaired store starts a new
 *   seq space. So a seq is never handed out twice for one boot id. Seqs that were appended
 *   but never flushed (a crash) were never visible to a reader, so reusing them is harmless.
 * - **Durability.** `append` only buffers in memory. A sample is durable once a flush
 *   that contains it resolved; flushes run every `flushIntervalMs` on the injected Clock,
 *   on `flush()` and on `close()`. After a crash (SIGKILL, power loss with `sync`) every
 *   flushed sample is there on reopen.
 * - **Reads see durable samples only**, oldest first: boots in the order they were first
 *   seen, seqs increasing within a boot, never a seq the aggregator acked.
 * - **Values are bit-exact** binary64, NaN payloads included (the stale marker
 *   0x7ff0000000000002 stays distinguishable): reads hand them out in a Float64Array.
 * - **Trimming happens only on ack** (and by the bounds below, which count what they drop).
 * - **Bounded** by bytes and by age; dropped samples are counted per reason and per boot.
 * - **Held samples** (collected while the wall clock is untrusted, clock/) live in their own
 *   part of the store that reads never see. `releaseHeld` re-bases them and appends them to
 *   the normal buffer, in collection order, with the next seqs, before any later append.
 */
import type { Labels, MetricFamily } from '@edgeprom/shared';

/** A place in the buffer's order: the sample `seq` of boot `boot`. */
export interface BufferPosition {
  boot: string;
  seq: number;
}

/**
 * Consecutive buffered samples of one boot, in seq order, as columns (a Float64Array keeps
 * every bit of a value; a plain JS number array may canonicalise NaNs).
 */
export interface BufferedRun {
  boot: string;
  /** Seqs, strictly increasing. Gaps are samples dropped by the bounds. */
  seqs: Float64Array;
  /** Integer ms since the epoch (device clock). */
  timestamps: Float64Array;
  values: Float64Array;
  /** Labels of each sample; equal series share one interned Labels object. */
  labels: Labels[];
  /** Samples this boot's buffer has dropped so far (the wire batch's `dropped`). */
  dropped: number;
}

/** Why samples were discarded without an ack (the `reason` label). */
export type DropReason =
  /** The buffer reached `maxBytes`: oldest first, with per-family fairness (policy.ts). */
  | 'size'
  /** Older than `maxAgeMs`. */
  | 'age'
  /** A stored entry no longer decoded (bit rot, a partly repaired database). */
  | 'corrupt'
  /** Flushing kept failing and the in-memory backlog reached its bound. */
  | 'write_error';

export const DROP_REASONS: readonly DropReason[] = ['size', 'age', 'corrupt', 'write_error'];

export interface BootStats {
  boot: string;
  /** Order in which this device's boots were first seen by the store (1, 2, ...). */
  ordinal: number;
  /** Highest durable seq (0: none). */
  lastSeq: number;
  /** Highest acked seq (0: none). */
  ackedSeq: number;
  /** Samples of this boot dropped so far. */
  dropped: number;
  /** Samples of this boot durable and not yet acked. */
  samples: number;
}

/** Why held samples were discarded before they could be re-based (the `reason` label). */
export type HeldDropReason =
  /** Held in another clock domain (before a reboot): their monotonic times mean nothing now. */
  | 'reboot'
  /** The buffer reached `maxBytes` and held samples were the oldest thing left to drop. */
  | 'size'
  /** A held entry no longer decoded. */
  | 'corrupt';

export const HELD_DROP_REASONS: readonly HeldDropReason[] = ['reboot', 'size', 'corrupt'];

export interface HeldStats {
  /** Samples held (stored and pending), over all clock domains. */
  samples: number;
  /** Held samples not yet flushed. */
  pendingSamples: number;
  /** Stored size of the held entries (part of `sizeBytes`). */
  sizeBytes: number;
  /** Held samples re-based and moved to the normal buffer, since open. */
  released: number;
  /** Held samples discarded, since open, by reason. */
  dropped: Record<HeldDropReason, number>;
}

export interface HeldRelease {
  /** Seqs reserved for the released samples: the next `seqs` of the current boot. */
  seqs: number;
  /** Settles when the samples are moved: how many moved, how many were dropped. */
  done: Promise<{ released: number; dropped: number }>;
}

export interface BufferStats {
  /** The current boot id: `<kernel boot id>.<store id>`. */
  boot: string;
  /** Ordinal of the current boot (counts the device's boots seen by this store). */
  bootOrdinal: number;
  /** Durable, unacked samples over all boots. */
  samples: number;
  /** Samples appended and not yet flushed. */
  pendingSamples: number;
  /** Logical size of the stored entries (keys + values), the quantity bounded by maxBytes. */
  sizeBytes: number;
  /** Oldest timestamp (ms) among durable unacked samples; undefined when empty. */
  oldestTimestampMs?: number;
  /** Bytes handed to the store (puts: key + value, deletes: key), since open. */
  bytesWritten: number;
  /** Samples accepted by append(), since open. */
  appended: number;
  /** Flushes that wrote something, since open. */
  flushes: number;
  /** Flushes that failed, since open. */
  flushErrors: number;
  /** Samples dropped since open, by reason. */
  dropped: Record<DropReason, number>;
  /** Series in the dictionary. */
  series: number;
  /** Boots with buffered samples (and always the current one), oldest first. */
  boots: BootStats[];
  /** Samples held while the clock was untrusted. */
  held: HeldStats;
}

export interface SampleBuffer {
  /** Loads (or creates, or recovers) the store and starts the flush timer. */
  open(): Promise<void>;

  /**
   * Records one collection: every sample of every family, in order, each with the next seq.
   * A sample's own timestamp wins over `timestampMs`; timestamps are truncated to integer
   * ms (as Prometheus does). Synchronous and allocation-light: it only fills the pending
   * columns. Throws ERR_BUFFER_NOT_OPEN / ERR_BUFFER_CLOSED.
   */
  append(families: readonly MetricFamily[], timestampMs: number): void;

  /**
   * Records one collection made while the wall clock is untrusted: each sample is stored
   * with `monotonicMs` (plus its own timestamp's distance from `timestampMs`, when it has
   * one) in clock domain `domain`, where readers do not see it, until `releaseHeld`.
   * Synchronous like append; durable on the next flush.
   */
  hold(families: readonly MetricFamily[], timestampMs: number, monotonicMs: number, domain: string): void;

  /**
   * The wall clock is trusted again: every held sample of `domain` gets the timestamp
   * `monotonic + offsetMs` (offset = trusted wall now − monotonic now) and moves to the
   * normal buffer in collection order, one atomic write per ~1 MiB of held chunks. Their
   * seqs are reserved at once (`seqs` of them, the next ones), so the caller may append
   * right away: appends and holds made while the release runs are applied after it. Held
   * samples of any other domain are dropped and counted (`reboot`); a held chunk that no
   * longer decodes leaves its reserved seqs unused.
   */
  releaseHeld(domain: string, offsetMs: number): HeldRelease;

  /**
   * Writes pending samples (and any new series, boot state) in one atomic store batch, then
   * applies the bounds. Resolves when the batch is durable. Concurrent calls share order.
   */
  flush(): Promise<void>;

  /**
   * Up to `maxSamples` durable, unacked samples strictly after `after` (from the oldest when
   * undefined or when `after` names a boot no longer buffered), grouped into one run per
   * boot, oldest first. A seq alone is ambiguous across boots, so the position names its
   * boot; the pusher passes the last sample it sent, or undefined to start over (resend
   * after a timeout, wire-format §8). Empty array: nothing to read.
   */
  readFrom(after: BufferPosition | undefined, maxSamples: number): Promise<BufferedRun[]>;

  /**
   * The aggregator has every sample of `boot` with seq <= seqTo: trims them. Cumulative and
   * idempotent; an ack for an unknown boot or below an earlier ack does nothing; seqTo above
   * the last durable seq is clamped to it. Resolves with the number of samples trimmed.
   */
  ack(boot: string, seqTo: number): Promise<number>;

  /** Current numbers; cheap (no I/O). */
  stats(): BufferStats;

  /** The `edgeprom_buffer_*` families for an exporter (metrics.ts); cheap. */
  metrics(): MetricFamily[];

  /** Stops the timer, flushes, closes the store. Idempotent. */
  close(): Promise<void>;
}
