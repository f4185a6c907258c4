/**
 * Ingest self metrics and per-device state, as plain counters; `families()` names them for
 * the aggregator's /metrics (Ingest.collectMetrics), `samples()` lists them flat:
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
import type { MetricFamily } from '@edgeprom/shared';
import type { SampleErrorCode } from '../storage/errors.js';
import { CounterVec, counterFamily, gaugeFamily } from '../selfmetrics/metric-types.js';

/**
 * The `agent` label value that stands for every device beyond the per-device series limit.
 * `#` cannot appear in an agent id (it is an MQTT wildcard), so no device can take it.
 */
export const OVERFLOW_AGENT = '#overflow';

/** Devices with their own `agent` series in /metrics by default; the rest share OVERFLOW_AGENT. */
export const DEFAULT_MAX_DEVICE_SERIES = 1000;

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
  /**
   * edgeprom_ingest_batches_total. Per-device series are bounded: the first `maxDevices`
   * devices seen (in order of their first message, so a device never moves between series and
   * no counter goes backwards) get their own `agent` value; later ones are counted under
   * `agent="#overflow"`. `edgeprom_ingest_devices` says how many there are in all.
   */
  readonly #batches = new CounterVec(
    'edgeprom_ingest_batches_total',
    'Push batches received over MQTT, by device and result (ok, duplicate, malformed, too_large, version, agent_mismatch, overloaded, error).',
    ['agent', 'result'],
  );
  readonly #maxDevices: number;
  /** Devices with their own series. */
  readonly #ownSeries = new Set<string>();
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

  constructor(maxDevices = DEFAULT_MAX_DEVICE_SERIES) {
    this.#maxDevices = maxDevices;
  }

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
      if (this.#ownSeries.size < this.#maxDevices) this.#ownSeries.add(agent);
    }
    return d;
  }

  batch(agent: string, result: BatchResult): void {
    const d = this.device(agent);
    this.#batches.inc([this.#ownSeries.has(agent) ? agent : OVERFLOW_AGENT, result]);
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

  /** The families for /metrics; `pending`: batches waiting to be committed (the Ingest's queue). */
  families(pending = 0): MetricFamily[] {
    return [
      this.#batches.family(),
      counterFamily('edgeprom_ingest_samples_total', 'Pushed samples by result: appended, duplicate (of a batch already committed), or refused by the store.', ['result'], Object.entries(this.samplesTotal).map(([r, v]) => [[r], v] as const)),
      gaugeFamily('edgeprom_ingest_devices', 'Devices that have sent at least one push batch since the aggregator started.', [], [[[], this.devices.size]]),
      gaugeFamily('edgeprom_ingest_device_series_limit', 'Devices beyond this many share agent="#overflow" in edgeprom_ingest_batches_total.', [], [[[], this.#maxDevices]]),
      gaugeFamily('edgeprom_ingest_batches_pending', 'Push batches received and waiting to be committed.', [], [[[], pending]]),
    ];
  }

  /** Sum of edgeprom_ingest_batches_total for one agent and result (tests, fleet view). */
  batchCount(agent: string, result: BatchResult): number {
    return this.devices.get(agent)?.batches[result] ?? 0;
  }
}
