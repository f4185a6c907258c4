/**
 * One batch into the store: drop what the watermark covers, append the rest and the new
 * watermark through one appender, commit. No MQTT here (ingest.ts does the transport), so
 * the dedupe rules are testable against any Appendable.
 *
 * Refused samples (out of order until the out-of-order window exists, too old, a different
 * value for a stored timestamp, ...) are counted per reason and do not fail the batch: the
 * watermark still moves past them and the ack covers them, because resending cannot make the
 * store accept them and an unacked batch would block the device's buffer forever.
 */
import type { BatchMessage } from '@edgeprom/shared/wire';
import { isSampleError } from '../storage/errors.js';
import type { Appendable } from '../storage/interface.js';
import { REFUSAL_RESULT, type SampleResult } from './ingest-metrics.js';
import type { PushLabelCache } from './push-labels.js';
import type { Watermark, Watermarks } from './watermarks.js';

export interface ApplyResult {
  /** W after the batch (what the ack carries); undefined only if nothing was ever committed. */
  watermark: number;
  /** Whether a commit happened (false when the batch held nothing new). */
  committed: boolean;
  counts: Partial<Record<SampleResult, number>>;
  /** Newest sample timestamp among the appended samples. */
  newestT: number | undefined;
  /** Set when the watermark sample itself was refused (it then lives in memory only). */
  watermarkRefused?: string;
}

export async function applyBatch(
  store: Appendable,
  watermarks: Watermarks,
  labels: PushLabelCache,
  batch: BatchMessage,
): Promise<ApplyResult> {
  const { agent, boot } = batch;
  const prev = watermarks.get(agent, boot);
  const w = prev?.seq ?? -1;
  const counts: Partial<Record<SampleResult, number>> = {};
  const bump = (r: SampleResult, n = 1) => void (counts[r] = (counts[r] ?? 0) + n);
  if (batch.seqTo <= w) {
    let n = 0;
    for (const s of batch.series) n += s.seqs.length;
    bump('duplicate', n);
    return { watermark: w, committed: false, counts, newestT: undefined };
  }
  if (prev !== undefined && batch.seqFrom > w + 1) bump('lost', batch.seqFrom - w - 1);

  const app = store.appender();
  const series = labels.forAgent(agent);
  let appended = 0;
  let duplicate = 0;
  let newest = -Infinity;
  let staged: Watermark | undefined;
  let watermarkRefused: string | undefined;
  try {
    for (const s of batch.series) {
      const { seqs, timestamps, values } = s;
      const n = seqs.length;
      let i = 0;
      while (i < n && seqs[i] <= w) i++; // seqs increase within a series
      duplicate += i;
      if (i === n) continue;
      const entry = series.get(s.labels);
      const l = entry.labels;
      // The series' ref from the last batch (or 0): the store then skips its lookup by labels.
      let ref = entry.ref;
      for (; i < n; i++) {
        const t = timestamps[i];
        try {
          ref = app.append(l, t, values[i], ref);
        } catch (e) {
          if (!isSampleError(e)) throw e;
          bump(REFUSAL_RESULT[e.code]);
          continue;
        }
        appended++;
        if (t > newest) newest = t;
      }
      if (ref !== 0) entry.ref = ref;
    }
    try {
      staged = watermarks.stage(app, agent, boot, batch.seqTo);
    } catch (e) {
      if (!isSampleError(e)) throw e;
      // The samples are still worth committing; dedupe then holds until a restart, and a
      // replay after one only re-appends identical samples (idempotent) or refused old ones.
      watermarkRefused = e.message;
      staged = { seq: batch.seqTo, t: prev?.t ?? -Infinity, labels: prev?.labels ?? e.labels };
    }
    await app.commit();
  } catch (e) {
    app.rollback();
    throw e;
  }
  watermarks.set(agent, boot, staged);
  if (duplicate > 0) bump('duplicate', duplicate);
  if (appended > 0) bump('appended', appended);
  const newestT = appended > 0 ? newest : undefined;
  return { watermark: batch.seqTo, committed: true, counts, newestT, watermarkRefused };
}
