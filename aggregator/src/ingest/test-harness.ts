/**
 * A real embedded broker on 127.0.0.1:0, a store, an Ingest on a privileged client, and
 * device clients that publish encoded batches and collect their acks. Tests only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { Labels, ManualClock } from '@edgeprom/shared';
import { decodeMessage, encodeBatch, type AckMessage, type BatchInput } from '@edgeprom/shared/wire';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { connect, Inbox } from '../mqtt/test-util.js';
import { Matcher } from '../storage/matcher.js';
import type { Appendable, Queryable } from '../storage/interface.js';
import { openTsdb, type Tsdb } from '../tsdb/tsdb.js';
import { Ingest, type IngestOptions } from './ingest.js';

export const T0 = Date.UTC(2026, 0, 1);

export class Harness {
  readonly clock = new ManualClock(T0);
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-ingest-'));
  broker!: EmbeddedBroker;
  internal!: MqttClient;
  db!: Tsdb;
  ingest!: Ingest;
  readonly #devices: MqttClient[] = [];

  async start(opts: Partial<IngestOptions> & { wrapStore?: (s: Tsdb) => Appendable & Queryable } = {}): Promise<this> {
    this.broker = new EmbeddedBroker({
      listen: '127.0.0.1:0',
      devices: ['a', 'b'].map((id) => ({ username: `dev-${id}`, password: Buffer.from(`pw-${id}`), agentId: id })),
    });
    await this.broker.start();
    await this.openIngest(opts);
    return this;
  }

  async openIngest(opts: Partial<IngestOptions> & { wrapStore?: (s: Tsdb) => Appendable & Queryable } = {}): Promise<void> {
    this.db = await openTsdb({ dir: path.join(this.dir, 'tsdb'), clock: this.clock });
    this.internal = await connect(this.broker.url, this.broker.internalCredentials);
    const store = opts.wrapStore ? opts.wrapStore(this.db) : this.db;
    this.ingest = new Ingest({ client: this.internal, store, topics: this.broker.topics, clock: this.clock, ...opts });
    await this.ingest.start();
  }

  /** Stops ingest, its client and the tsdb (the broker keeps running). */
  async closeIngest(): Promise<void> {
    await this.ingest.stop();
    await this.internal.endAsync();
    await this.db.close();
  }

  async device(id: 'a' | 'b'): Promise<Device> {
    const c = await connect(this.broker.url, { username: `dev-${id}`, password: `pw-${id}`, clientId: `agent-${id}` });
    this.#devices.push(c);
    const d = new Device(id, c);
    await c.subscribeAsync(`edgeprom/ack/${id}`, { qos: 1 });
    return d;
  }

  /** Samples of every series whose __name__ is `name`: labels string → [t, v][]. */
  samples(name: string): Map<string, [number, number][]> {
    const q = this.db.querier(-Infinity, Infinity);
    const out = new Map<string, [number, number][]>();
    for (const s of q.select([Matcher.create('=', '__name__', name)])) {
      const it = s.iterator();
      const rows: [number, number][] = [];
      while (it.next()) rows.push([it.atT(), it.atV()]);
      out.set(s.labels.toString(), rows);
    }
    q.close();
    return out;
  }

  async stop(): Promise<void> {
    for (const d of this.#devices) await d.endAsync(true);
    await this.ingest.stop();
    await this.internal.endAsync(true);
    await this.broker.stop();
    await this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Device {
  readonly inbox: Inbox;
  constructor(
    readonly id: string,
    readonly client: MqttClient,
  ) {
    this.inbox = new Inbox(client);
  }
  async push(bytes: Uint8Array, agent = this.id): Promise<void> {
    await this.client.publishAsync(`edgeprom/push/${agent}`, Buffer.from(bytes), { qos: 1 });
  }
  async nextAck(): Promise<AckMessage> {
    return decodeMessage(await this.inbox.next(`edgeprom/ack/${this.id}`)) as AckMessage;
  }
  pendingAcks(): number {
    return this.inbox.pending(`edgeprom/ack/${this.id}`);
  }
}

/**
 * A batch of `temp{sensor="s1"}` samples with seqs [from, to], one per seq, at T0 + seq*1000,
 * value = seq (so any resend has identical content, as a real agent's would).
 */
export function tempBatch(agent: string, boot: string, from: number, to: number, extra: Partial<BatchInput> = {}): Uint8Array {
  const seqs: number[] = [];
  for (let s = from; s <= to; s++) seqs.push(s);
  return encodeBatch({
    agent,
    boot,
    seqFrom: from,
    seqTo: to,
    series: [{ labels: Labels.from({ __name__: 'temp', sensor: 's1' }), timestamps: seqs.map((s) => T0 + s * 1000), values: seqs, seqs }],
    ...extra,
  });
}
