/**
 * The MQTT wire format v1: the messages an agent (or a microcontroller) and the aggregator
 * exchange, as JavaScript sees them. docs/wire-format.md is the normative spec of the bytes;
 * this file is the seam both sides code against.
 *
 * Delivery model (see the spec for the full rules):
 * - Every sample an agent buffers gets a sequence number, unique and increasing within one
 *   boot of the agent (`boot` is a random id chosen at start; `bootSeq` counts boots).
 * - A batch carries the samples of one boot whose seqs lie in [seqFrom, seqTo], grouped by
 *   series; each sample keeps its own seq, so the aggregator drops exactly the samples it has
 *   already committed when an MQTT QoS 1 redelivery or a resend after a lost ack overlaps.
 * - The aggregator acks cumulatively: `{boot, seqTo}` means every sample of that boot with
 *   seq <= seqTo is durable in its WAL, and the agent may delete them.
 */
import type { Labels } from '../labels.js';
import type { WireFamilyMetadata, WireMetadataLimits } from './metadata.js';

/** The only version this code speaks. A receiver rejects any other with ERR_WIRE_VERSION. */
export const WIRE_VERSION = 1;

/** Default bound on an encoded message (both directions), in bytes. */
export const DEFAULT_MAX_WIRE_BYTES = 256 * 1024;

/** Bound on agent ids and alert receiver names (UTF-16 code units; keep them ASCII). */
export const MAX_AGENT_ID_LENGTH = 128;

/** Bound on boot ids. */
export const MAX_BOOT_ID_LENGTH = 64;

/**
 * One series of a batch: its label set (sent once) and its samples, ordered by seq. The
 * decoder may hand out the three arrays as views into one buffer shared by the batch's
 * series: read raw bytes through `byteOffset`/`byteLength`, not from `.buffer` alone.
 */
export interface WireSeries {
  /** Full label set including `__name__`. */
  labels: Labels;
  /** Sample timestamps, integer milliseconds since the epoch (not necessarily increasing: clocks jump). */
  timestamps: Float64Array;
  /**
   * Sample values, bit-exact as sent: a Prometheus stale marker keeps its NaN payload
   * (use isStaleMarkerAt; a plain JS number can lose NaN payload bits on the way).
   */
  values: Float64Array;
  /** Each sample's sequence number, strictly increasing, within [seqFrom, seqTo]. */
  seqs: Float64Array;
}

export interface BatchMessage {
  v: 1;
  type: 'batch';
  agent: string;
  boot: string;
  /** First seq this batch covers (inclusive). */
  seqFrom: number;
  /** Last seq this batch covers (inclusive); the agent's buffer may have dropped some in between. */
  seqTo: number;
  series: WireSeries[];
  /** Samples this boot's buffer has discarded so far (overflow), cumulative; informational. */
  dropped?: number;
  /** `# TYPE`/`# HELP`/`# UNIT` of families (wire key `meta`), when the agent sent any. */
  meta?: WireFamilyMetadata[];
}

export interface PresenceMessage {
  v: 1;
  type: 'presence';
  agent: string;
  boot: string;
  /** Counts the agent's boots (persisted on the device), so boots can be ordered. */
  bootSeq: number;
  state: 'online' | 'offline';
  /** Agent software version. */
  version: string;
  /** Where the agent serves /metrics, for scraping it; path starts with `/`. */
  metricsPath?: string;
  addresses?: string[];
  port?: number;
  /** When the agent sent this, milliseconds since the epoch (the device's wall clock). */
  ts: number;
}

export interface AckMessage {
  v: 1;
  type: 'ack';
  agent: string;
  boot: string;
  /** Every sample of this boot with seq <= seqTo is durable at the aggregator. */
  seqTo: number;
}

export type WireMessage = BatchMessage | PresenceMessage | AckMessage;

/** A series to encode. Values keep their bits when passed as a Float64Array. */
export interface BatchSeriesInput {
  labels: Labels;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  seqs: ArrayLike<number>;
}

export interface BatchInput {
  agent: string;
  boot: string;
  seqFrom: number;
  seqTo: number;
  series: readonly BatchSeriesInput[];
  dropped?: number;
  /** Family metadata to send along (wire key `meta`); empty or absent sends none. */
  meta?: readonly WireFamilyMetadata[];
}

export type PresenceInput = Omit<PresenceMessage, 'v' | 'type'>;
export type AckInput = Omit<AckMessage, 'v' | 'type'>;

export interface WireOptions {
  /** Reject messages larger than this many bytes (default DEFAULT_MAX_WIRE_BYTES). */
  maxBytes?: number;
  /** Bounds on a batch's `meta` (DEFAULT_WIRE_METADATA_LIMITS where not given). */
  meta?: Partial<WireMetadataLimits>;
}
