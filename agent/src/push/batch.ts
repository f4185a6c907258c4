/**
 * Buffered samples → one wire batch (wire-format §5), within the byte bound. Pure: a run
 * of the buffer in, encoded bytes out. The sample count is adapted to what the last
 * batches cost per sample, and a batch the encoder refuses as too large is re-cut smaller
 * (the spec's "the pusher then sends fewer samples per batch").
 */
import { encodeBatch, WIRE_ERROR_CODES, WireError, type BatchSeriesInput, type WireFamilyMetadata } from '@edgeprom/shared/wire';
import type { Labels } from '@edgeprom/shared';
import type { BufferedRun } from '../buffer/interface.js';

export interface EncodedBatch {
  bytes: Uint8Array;
  boot: string;
  seqFrom: number;
  seqTo: number;
  samples: number;
  /** Family metadata the batch carries (wire key `meta`). */
  meta?: readonly WireFamilyMetadata[];
}

/** The first `n` samples of `run` as a batch input (series in first-seen order, values bit-exact). */
export function batchSeries(run: BufferedRun, n: number): BatchSeriesInput[] {
  const bySeries = new Map<string, { labels: Labels; idx: number[] }>();
  for (let i = 0; i < n; i++) {
    const l = run.labels[i];
    let s = bySeries.get(l.key);
    if (!s) bySeries.set(l.key, (s = { labels: l, idx: [] }));
    s.idx.push(i);
  }
  const src = new Uint8Array(run.values.buffer, run.values.byteOffset, run.values.byteLength);
  const out: BatchSeriesInput[] = [];
  for (const { labels, idx } of bySeries.values()) {
    const k = idx.length;
    const timestamps = new Float64Array(k);
    const seqs = new Float64Array(k);
    const values = new Float64Array(k);
    const dst = new Uint8Array(values.buffer);
    for (let j = 0; j < k; j++) {
      const i = idx[j];
      timestamps[j] = run.timestamps[i];
      seqs[j] = run.seqs[i];
      dst.set(src.subarray(i * 8, i * 8 + 8), j * 8); // bytes, not numbers: NaN payloads (stale markers) survive
    }
    out.push({ labels, timestamps, values, seqs });
  }
  return out;
}

export function encodeRun(agent: string, run: BufferedRun, n: number, maxBytes: number, meta?: readonly WireFamilyMetadata[]): EncodedBatch {
  const seqFrom = run.seqs[0];
  const seqTo = run.seqs[n - 1];
  const withMeta = meta !== undefined && meta.length > 0;
  const bytes = encodeBatch({ agent, boot: run.boot, seqFrom, seqTo, dropped: run.dropped, series: batchSeries(run, n), ...(withMeta ? { meta } : {}) }, { maxBytes });
  return { bytes, boot: run.boot, seqFrom, seqTo, samples: n, ...(withMeta ? { meta } : {}) };
}

/** Encodes as many of `run`'s first `n` samples as fit in `maxBytes` (at least one). */
export function encodeFitting(agent: string, run: BufferedRun, n: number, maxBytes: number, meta?: readonly WireFamilyMetadata[]): EncodedBatch {
  let take = Math.min(n, run.seqs.length);
  for (;;) {
    try {
      return encodeRun(agent, run, take, maxBytes, meta);
    } catch (err) {
      if (!(err instanceof WireError) || err.code !== WIRE_ERROR_CODES.TOO_LARGE) throw err;
      // Metadata never costs samples: without it, the batch goes as it would have.
      if (take === 1 && meta !== undefined && meta.length > 0) return encodeFitting(agent, run, n, maxBytes);
      if (take === 1) throw err;
      const m = /is (\d+) bytes/.exec(err.message);
      const size = m ? Number(m[1]) : maxBytes * 2;
      take = Math.max(1, Math.min(take - 1, Math.floor((take * maxBytes * 0.9) / size)));
    }
  }
}

/** How many samples to read for the next batch, learnt from the last one. */
export class BatchSizer {
  #estimate: number;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#estimate = Math.max(1, Math.floor(maxBytes / 24));
  }

  get next(): number {
    return this.#estimate;
  }

  learn(b: EncodedBatch): void {
    const perSample = b.bytes.length / b.samples;
    this.#estimate = Math.max(1, Math.min(100_000, Math.floor((this.#maxBytes * 0.9) / perSample)));
  }
}
