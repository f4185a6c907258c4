/**
 * The embedded broker's self metrics: plain counters the broker's hooks bump, named when
 * /metrics is scraped. Messages are counted where aedes hands them over: `publish` events
 * from clients (in) and `authorizeForward`, which aedes calls once per delivery to a
 * subscriber (out). The retained count is kept as a set of topics, seeded once from the
 * persistence at start and updated on every retained publish, so /metrics never walks the
 * store.
 */
import type { MetricFamily } from '@edgeprom/shared';
import { CounterVec, counterFamily, gaugeFamily } from '../selfmetrics/metric-types.js';

interface PublishLike {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

const byteLength = (p: Buffer | string): number => (typeof p === 'string' ? Buffer.byteLength(p) : p.length);

export class BrokerMetrics {
  received = 0;
  receivedBytes = 0;
  sent = 0;
  sentBytes = 0;
  connections = 0;
  readonly authFailures = new CounterVec(
    'edgeprom_mqtt_auth_failures_total',
    'Connections the embedded broker refused, by reason (bad-credentials, anonymous-refused, bad-client-id).',
    ['reason'],
  );
  readonly aclDenied = new CounterVec(
    'edgeprom_mqtt_acl_denied_total',
    'Publishes and subscriptions the embedded broker refused by its access rules.',
    ['action'],
  );
  readonly #retained = new Set<string>();

  constructor() {
    for (const r of ['bad-credentials', 'anonymous-refused', 'bad-client-id']) this.authFailures.init([r]);
    for (const a of ['publish', 'subscribe']) this.aclDenied.init([a]);
  }

  /** A client's publish reached the broker (not the broker's own $SYS messages). */
  published(p: PublishLike): void {
    this.received++;
    this.receivedBytes += byteLength(p.payload);
    if (p.retain === true) this.retainedChanged(p);
  }

  /** One delivery to one subscriber. */
  forwarded(p: PublishLike): void {
    this.sent++;
    this.sentBytes += byteLength(p.payload);
  }

  /** A retained publish: an empty payload clears the topic's retained message. */
  retainedChanged(p: PublishLike): void {
    if (p.topic.startsWith('$')) return;
    if (byteLength(p.payload) === 0) this.#retained.delete(p.topic);
    else this.#retained.add(p.topic);
  }

  /** Seeds the retained topics from the persistence's stream of retained packets. */
  async seedRetained(stream: AsyncIterable<PublishLike>): Promise<void> {
    for await (const p of stream) this.retainedChanged(p);
  }

  families(clientsConnected: number): MetricFamily[] {
    const one = (name: string, help: string, v: number) => counterFamily(name, help, [], [[[], v]]);
    return [
      gaugeFamily('edgeprom_mqtt_clients_connected', 'Clients connected to the embedded MQTT broker.', [], [[[], clientsConnected]]),
      one('edgeprom_mqtt_connections_total', 'Connections the embedded broker accepted (authenticated).', this.connections),
      this.authFailures.family(),
      this.aclDenied.family(),
      one('edgeprom_mqtt_messages_received_total', 'PUBLISH packets the embedded broker received from clients.', this.received),
      one('edgeprom_mqtt_received_payload_bytes_total', 'Payload bytes of the PUBLISH packets received from clients.', this.receivedBytes),
      one('edgeprom_mqtt_messages_sent_total', 'Messages the embedded broker delivered to subscribers (one per subscriber).', this.sent),
      one('edgeprom_mqtt_sent_payload_bytes_total', 'Payload bytes of the messages delivered to subscribers.', this.sentBytes),
      gaugeFamily('edgeprom_mqtt_retained_messages', 'Retained messages the embedded broker holds (presence of every agent that announced itself).', [], [[[], this.#retained.size]]),
    ];
  }
}
