/**
 * Ingest self metrics and per-device state, as plain counters until the aggregator has a
 * metrics registry (like HeadMetrics). `samples()` renders them with their Prometheus names:
 *
 *   edgeprom_ingest_batches_total{agent, result}   result: ok | duplicate | malformed |
 *                                                  too_large | version | agent_mismatch |
 *                                                  overloaded | error
 *   edgeprom_ingest_samples_total{result}          result: appended | duplicate | lost |
 *                                                  out_of_order | too_old | duplicate_timestamp |
 *                                                  too_far_in_future | invalid
 *
 * DeviceState is what the fleet view (/api/v1/fleet) will read about pushes.
 */
import type { SampleErrorCode } from '../storage/errors.js';

export type BatchResult = 'ok' | 'duplicate' | 'malformed' | 'too_large' | 'version' | 'agent_mismatch' | 'overloaded' | 'error';
export type SampleResult =
  | 'appended'
  | 'duplicate'
  | 'lost'
  | 'out_of_order'
  | 'too_old'
  | 'duplicate_timestamp'
  | 'too_far_in_future'
  | 'invalid';

export const REFUSAL_RESULT: Record<SampleErrorCode, SampleResult> = {
  ERR_OUT_OF_ORDER_SAMPLE: 'out_of_order',
  ERR_TOO_OLD_SAMPLE: 'too_old',
  ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP: 'duplicate_timestamp',
  ERR_TOO_FAR_IN_FUTURE: 'too_far_in_future',
  ERR_INVALID_SAMPLE: 'invalid',
};

export interface DeviceState {
  agent: string;
  /** Boot id of the newest accepted batch. */
  boot: string | undefined;
  /** Watermark W of that boot: every seq <= lastSeq is committed. */
  lastSeq: number | undefined;
  /** Aggregator time (ms) of the last batch received from the device, accepted or not. */
  lastPushAt: number | undefined;
  /** Aggregator time (ms) of the last batch committed and acked. */
  lastAckAt: number | undefined;
  /** Newest sample timestamp (device clock, ms) of the last accepted batch. */
  lastSampleTime: number | undefined;
  /** The agent's own cumulative overflow count for that boot (batch field `dropped`). */
  droppedReported: number | undefined;
  /** Samples still buffered on the device, if its batches report it (wire v1 does not). */
  backlogReported: number | undefined;
  /** Result of the last batch, and the reason when it was refused. */
  lastResult: BatchResult | undefined;
  lastError: string | undefined;
  batches: Partial<Record<BatchResult, number>>;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class IngestMetrics {
  readonly devices = new Map<string, DeviceState>();
  readonly samplesTotal: Record<SampleResult, number> = {
    appended: 0,
    duplicate: 0,
    lost: 0,
    out_of_order: 0,
    too_old: 0,
    duplicate_timestamp: 0,
    too_far_in_future: 0,
    invalid: 0,
  };

  device(agent: string): DeviceState {
    let d = this.devices.get(agent);
    if (d === undefined) {
      d = {
        agent,
        boot: undefined,
        lastSeq: undefined,
        lastPushAt: undefined,
        lastAckAt: undefined,
        lastSampleTime: undefined,
        droppedReported: undefined,
        backlogReported: undefined,
        lastResult: undefined,
        lastError: undefined,
        batches: {},
      };
      this.devices.set(agent, d);
    }
    return d;
  }

  batch(agent: string, result: BatchResult): void {
    const d = this.device(agent);
    d.batches[result] = (d.batches[result] ?? 0) + 1;
    d.lastResult = result;
  }

  /** Every counter with its Prometheus name and labels. */
  samples(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const d of this.devices.values()) {
      for (const [result, value] of Object.entries(d.batches)) {
        out.push({ name: 'edgeprom_ingest_batches_total', labels: { agent: d.agent, result }, value: value ?? 0 });
      }
    }
    for (const [result, value] of Object.entries(this.samplesTotal)) {
      out.push({ name: 'edgeprom_ingest_samples_total', labels: { result }, value });
    }
    return out;
  }

  /** Sum of edgeprom_ingest_batches_total for one agent and result (tests, fleet view). */
  batchCount(agent: string, result: BatchResult): number {
    return this.devices.get(agent)?.batches[result] ?? 0;
  }
}
