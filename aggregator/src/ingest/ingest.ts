/**
 * MQTT push ingest: subscribes to `<prefix>push/+`, and for each batch validates it, dedupes
 * by (agent, boot, seq) against the committed watermark, appends and commits through one
 * appender (applyBatch), and only then publishes the cumulative ack `{boot, seqTo: W}` on
 * `<prefix>ack/<agent>` (QoS 1), also when nothing was new (that repairs lost acks).
 *
 *   const ingest = createIngest({ client, store, topics });
 *   await ingest.start();   // loads watermarks from the store, subscribes
 *   await ingest.stop();    // unsubscribes, waits for batches in progress
 *
 * Batches of one agent are processed one after the other (a QoS 1 redelivery can overlap
 * the original); different agents run concurrently, so their commits share WAL syncs.
 * A bad batch is dropped, counted for its device, logged once per (device, reason) until
 * that device's next good batch, and never acked (the spec has no negative ack).
 */
import type { MqttClient } from 'mqtt';
import { RealClock, type Clock, type MetricFamily } from '@edgeprom/shared';
import { DEFAULT_MAX_WIRE_BYTES, decodeMessage, encodeAck, type BatchMessage, type Topics, type WireMetadataLimits } from '@edgeprom/shared/wire';
import { DeviceMetadata, type DeviceMetadataLimits } from './device-metadata.js';
import type { Appendable, Queryable } from '../storage/interface.js';
import { silentLogger, type MqttLogger } from '../mqtt/logger.js';
import { applyBatch } from './apply-batch.js';
import { IngestMetrics, type BatchResult, type DeviceState } from './ingest-metrics.js';
import { PushLabelCache, type TargetLabelsFn } from './push-labels.js';
import { Watermarks } from './watermarks.js';

export interface IngestOptions {
  /** A connected client allowed to subscribe to push/+ and publish ack/<agent>. */
  client: MqttClient;
  store: Appendable & Queryable;
  topics: Topics;
  /** Batches larger than this are refused before decoding. Default 256 KiB. */
  maxBatchBytes?: number;
  /**
   * Batches of one agent waiting to be processed before new ones are dropped (counted as
   * `overloaded`, not acked, so the agent resends). An agent keeps one batch in flight, so
   * only redeliveries or a misbehaving device get near it. Default 16.
   */
  maxPendingPerAgent?: number;
  /** Devices with their own `agent` series in /metrics (default 1000; see IngestMetrics.families). */
  maxDeviceSeries?: number;
  /** The target labels an agent's samples get (see push-labels.ts). */
  targetLabels?: TargetLabelsFn;
  /** Bounds on a batch's `meta` (wire-format §meta); a batch over them is refused as malformed. */
  wireMetadataLimits?: Partial<WireMetadataLimits>;
  /** Bounds on the family metadata kept per device (device-metadata.ts). */
  deviceMetadataLimits?: Partial<DeviceMetadataLimits>;
  clock?: Clock;
  logger?: MqttLogger;
}

const WIRE_RESULT: Record<string, BatchResult> = {
  ERR_WIRE_TOO_LARGE: 'too_large',
  ERR_WIRE_VERSION: 'version',
  ERR_WIRE_MALFORMED: 'malformed',
};

export class Ingest {
  readonly metrics: IngestMetrics;
  /** TYPE/HELP/UNIT the devices sent (batch `meta`), for /api/v1/metadata. */
  readonly metadata: DeviceMetadata;
  readonly #opts: IngestOptions;
  readonly #clock: Clock;
  readonly #logger: MqttLogger;
  readonly #watermarks: Watermarks;
  readonly #labels: PushLabelCache;
  readonly #maxBytes: number;
  /** Tail of each agent's processing chain. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #pending = new Map<string, number>();
  /** The reason last logged per agent, so a device repeating the same fault is logged once. */
  readonly #logged = new Map<string, string>();
  readonly #onMessage = (topic: string, payload: Buffer) => this.#receive(topic, payload);
  #started = false;

  constructor(opts: IngestOptions) {
    this.#opts = opts;
    this.metrics = new IngestMetrics(opts.maxDeviceSeries);
    this.metadata = new DeviceMetadata(opts.deviceMetadataLimits);
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger;
    this.#watermarks = new Watermarks(this.#clock);
    this.#labels = new PushLabelCache(opts.targetLabels);
    this.#maxBytes = opts.maxBatchBytes ?? DEFAULT_MAX_WIRE_BYTES;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const n = this.#watermarks.load(this.#opts.store);
    this.#logger.info({ watermarks: n }, 'ingest: watermarks loaded');
    this.#opts.client.on('message', this.#onMessage);
    await this.#opts.client.subscribeAsync(this.#opts.topics.pushFilter, { qos: 1 });
  }

  /** Stops taking batches and waits until those in progress are committed and acked. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#opts.client.off('message', this.#onMessage);
    if (this.#opts.client.connected) {
      await this.#opts.client.unsubscribeAsync(this.#opts.topics.pushFilter).catch(() => undefined);
    }
    await this.idle();
  }

  /** Resolves when every batch received so far has been handled. */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  /** edgeprom_ingest_* for /metrics. */
  collectMetrics(): MetricFamily[] {
    let pending = 0;
    for (const n of this.#pending.values()) pending += n;
    return this.metrics.families(pending);
  }

  /** Push state of one device, for the fleet view. */
  device(agent: string): DeviceState | undefined {
    return this.metrics.devices.get(agent);
  }

  #receive(topic: string, payload: Buffer): void {
    const parsed = this.#opts.topics.parse(topic);
    if (parsed === undefined || parsed.kind !== 'push') return; // another subscriber's topic
    const agent = parsed.id;
    const pending = this.#pending.get(agent) ?? 0;
    if (pending >= (this.#opts.maxPendingPerAgent ?? 16)) {
      this.metrics.device(agent).lastPushAt = this.#clock.now();
      return this.#refuse(agent, 'overloaded', `more than ${pending} batches waiting`);
    }
    this.#pending.set(agent, pending + 1);
    this.#enqueue(agent, () => this.#handle(agent, payload), () => {
      const left = (this.#pending.get(agent) ?? 1) - 1;
      if (left === 0) this.#pending.delete(agent);
      else this.#pending.set(agent, left);
    });
  }

  /**
   * The device left: its presence went offline (a goodbye or its last will, not a stale will
   * of an earlier boot: PresenceTracker in main/fleet.ts) or was cleared. Its family metadata
   * is forgotten once the batches it sent before are handled (a goodbye follows the last
   * batch, whose `meta` must not outlive it), so /api/v1/metadata stops listing families only
   * that device had, as Prometheus drops a target's metadata with the target. The agent sends
   * its metadata again on its next connection (wire-format §5.1). Its push state (fleet view,
   * watermarks) is kept.
   */
  deviceLeft(agent: string): void {
    if (!this.#queues.has(agent)) this.metadata.forget(agent);
    else this.#enqueue(agent, () => this.metadata.forget(agent));
  }

  /** Runs `job` after the agent's earlier jobs; `done` after it, whatever its outcome. */
  #enqueue(agent: string, job: () => Promise<void> | void, done?: () => void): void {
    const tail = this.#queues.get(agent) ?? Promise.resolve();
    const next = tail
      .then(job)
      .catch((e) => this.#logger.error({ agent, err: (e as Error).message }, 'ingest: unexpected failure'))
      .finally(() => {
        done?.();
        if (this.#queues.get(agent) === next) this.#queues.delete(agent);
      });
    this.#queues.set(agent, next);
  }

  async #handle(agent: string, payload: Buffer): Promise<void> {
    const dev = this.metrics.device(agent);
    dev.lastPushAt = this.#clock.now();
    let batch: BatchMessage;
    try {
      const msg = decodeMessage(payload, { maxBytes: this.#maxBytes, meta: this.#opts.wireMetadataLimits });
      if (msg.type !== 'batch') return this.#refuse(agent, 'malformed', `a ${msg.type} message on a push topic`);
      if (msg.agent !== agent) {
        return this.#refuse(agent, 'agent_mismatch', `batch names agent ${JSON.stringify(msg.agent)}, topic names ${JSON.stringify(agent)}`);
      }
      batch = msg;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      return this.#refuse(agent, WIRE_RESULT[code] ?? 'malformed', `${code}: ${(e as Error).message}`);
    }

    let result;
    try {
      result = await applyBatch(this.#opts.store, this.#watermarks, this.#labels, batch);
    } catch (e) {
      // The store failed (WAL write error, closed): no ack, the agent resends later.
      this.metrics.batch(agent, 'error');
      dev.lastError = (e as Error).message;
      this.#logger.error({ agent, boot: batch.boot, err: dev.lastError }, 'ingest: commit failed; batch not acked');
      return;
    }
    for (const [r, n] of Object.entries(result.counts)) this.metrics.samplesTotal[r as keyof typeof this.metrics.samplesTotal] += n ?? 0;
    if (result.watermarkRefused !== undefined) {
      this.#logger.error({ agent, boot: batch.boot, err: result.watermarkRefused }, 'ingest: watermark not stored; dedupe for this boot will not survive a restart');
    }
    this.metrics.batch(agent, result.committed ? 'ok' : 'duplicate');
    dev.boot = batch.boot;
    dev.lastSeq = result.watermark;
    dev.lastError = undefined;
    dev.droppedReported = batch.dropped ?? dev.droppedReported;
    if (result.newestT !== undefined) dev.lastSampleTime = result.newestT;
    if (batch.meta !== undefined) {
      const ignored = this.metadata.record(agent, batch.meta);
      if (ignored > 0) this.#logger.warn({ agent, ignored }, 'ingest: family metadata over the per-device limits ignored');
    }
    this.#logged.delete(agent);

    const ack = encodeAck({ agent, boot: batch.boot, seqTo: result.watermark });
    try {
      await this.#opts.client.publishAsync(this.#opts.topics.ack(agent), Buffer.from(ack), { qos: 1 });
      dev.lastAckAt = this.#clock.now();
    } catch (e) {
      // The samples are committed; the agent will time out, resend, and get this ack again.
      this.#logger.warn({ agent, err: (e as Error).message }, 'ingest: ack not published');
    }
  }

  #refuse(agent: string, result: BatchResult, reason: string): void {
    this.metrics.batch(agent, result);
    const dev = this.metrics.device(agent);
    dev.lastError = reason;
    if (this.#logged.get(agent) !== result) {
      this.#logged.set(agent, result);
      this.#logger.warn({ agent, result, reason }, 'ingest: batch refused (repeats are not logged until the device sends a good batch)');
    }
  }
}

export function createIngest(opts: IngestOptions): Ingest {
  return new Ingest(opts);
}
