/**
 * mqtt_sd_configs: targets from agents' retained presence messages (docs/wire-format.md §6).
 * Subscribes to `<prefix>presence/+` on an MQTT client it is given (the aggregator's own
 * connection to the embedded or external broker), so it opens no connection of its own.
 *
 * One group per agent, source = the presence topic. An agent is a target while its latest
 * presence says online; an offline presence (a graceful goodbye or the last will the broker
 * publishes) removes it, unless include_offline keeps it with `__meta_mqtt_state="offline"`.
 *
 * A stale last will: when an agent reboots faster than the broker notices the old connection
 * is gone, the broker publishes the old connection's will (offline, older bootSeq) after the
 * new boot's online. Such an offline, with a bootSeq below the online we hold, is ignored.
 * An online is always taken: a device whose boot counter was reset must not be locked out.
 */
import type { MqttClient } from 'mqtt';
import type { MqttSdConfig } from '@edgeprom/shared/config';
import { decodeMessage, topics, type PresenceMessage, type Topics } from '@edgeprom/shared/wire';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from './discovery-error.js';
import { aborted, errorMessage, joinHostPort, sameGroup } from './groups.js';
import { ADDRESS_LABEL, silentLogger, type Discoverer, type DiscoveryLogger, type TargetGroup } from './interface.js';

export const MQTT_META = {
  agentId: '__meta_mqtt_agent_id',
  boot: '__meta_mqtt_boot',
  bootSeq: '__meta_mqtt_boot_seq',
  version: '__meta_mqtt_version',
  metricsPath: '__meta_mqtt_metrics_path',
  state: '__meta_mqtt_state',
  addresses: '__meta_mqtt_addresses',
  port: '__meta_mqtt_port',
  topic: '__meta_mqtt_topic',
} as const;

/** The part of an mqtt.js client the discoverer uses. */
export type PresenceClient = Pick<MqttClient, 'on' | 'removeListener' | 'subscribeAsync' | 'unsubscribeAsync'>;

export interface MqttSdOptions {
  logger?: DiscoveryLogger;
  /** Largest presence message accepted, bytes (the wire default otherwise). */
  maxBytes?: number;
}

interface AgentState {
  /** The latest presence taken. */
  last: PresenceMessage;
  /** The latest online presence taken (for the address of an offline agent, and stale wills). */
  online?: PresenceMessage;
}

// Several discoverers (jobs) may share one client and one filter: unsubscribe only when the
// last of them stops, or the others would go deaf.
const subscriptions = new WeakMap<object, Map<string, number>>();

export class MqttPresenceDiscoverer implements Discoverer {
  readonly #client: PresenceClient;
  readonly #topics: Topics;
  readonly #includeOffline: boolean;
  readonly #logger: DiscoveryLogger;
  readonly #maxBytes: number | undefined;
  readonly #agents = new Map<string, AgentState>();
  readonly #emitted = new Map<string, TargetGroup>();

  constructor(config: MqttSdConfig, client: PresenceClient, opts: MqttSdOptions = {}) {
    this.#client = client;
    this.#topics = topics(config.topic_prefix);
    this.#includeOffline = config.include_offline;
    this.#logger = opts.logger ?? silentLogger;
    this.#maxBytes = opts.maxBytes;
  }

  async run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void> {
    if (signal.aborted) return;
    const filter = this.#topics.presenceFilter;
    const onMessage = (topic: string, payload: Buffer) => {
      const parsed = this.#topics.parse(topic);
      if (parsed?.kind !== 'presence' || signal.aborted) return;
      if (!this.#apply(parsed.id, topic, payload)) return;
      const g = this.#group(parsed.id, topic);
      const prev = this.#emitted.get(topic);
      const same = prev ? sameGroup(prev, g) : g.targets.length === 0;
      this.#logger.debug(
        { topic, state: this.#agents.get(parsed.id)?.last.state ?? 'cleared', targets: g.targets.length, changed: !same },
        'mqtt_sd: presence taken',
      );
      if (same) return;
      if (g.targets.length === 0) this.#emitted.delete(topic);
      else this.#emitted.set(topic, g);
      emit([g]);
    };
    this.#client.on('message', onMessage);
    const counts = subscriptions.get(this.#client) ?? new Map<string, number>();
    subscriptions.set(this.#client, counts);
    counts.set(filter, (counts.get(filter) ?? 0) + 1);
    // The full set first: nothing known yet (retained messages arrive after the subscription).
    emit([...this.#emitted.values()]);
    // Not awaited: with the connection down, mqtt.js holds the request until it is back.
    // Subscribing again on every connect costs little and makes the broker resend the
    // retained presences, which repairs whatever changed while we were away.
    const subscribe = () => {
      if (signal.aborted) return;
      this.#client.subscribeAsync(filter, { qos: 1 }).then(
        (granted) => {
          for (const g of granted) {
            if (g.qos === 128) this.#logger.error({ filter }, `mqtt_sd: the broker refused the subscription to ${filter}`);
          }
        },
        (e: unknown) => this.#logger.error({ err: e, filter }, `mqtt_sd: subscribing to ${filter} failed: ${errorMessage(e)}`),
      );
    };
    this.#client.on('connect', subscribe);
    subscribe();
    await aborted(signal);
    this.#client.removeListener('connect', subscribe);
    this.#client.removeListener('message', onMessage);
    const left = (counts.get(filter) ?? 1) - 1;
    if (left > 0) counts.set(filter, left);
    else {
      counts.delete(filter);
      try {
        await this.#client.unsubscribeAsync(filter);
      } catch (e) {
        this.#logger.debug({ err: e, filter }, `mqtt_sd: unsubscribing from ${filter} failed: ${errorMessage(e)}`);
      }
    }
  }

  /** Takes one presence message into the state; false when it changes nothing. */
  #apply(agent: string, topic: string, payload: Buffer): boolean {
    if (payload.length === 0) {
      // A cleared retained message: the agent is gone for good.
      return this.#agents.delete(agent);
    }
    let msg: PresenceMessage;
    try {
      const m = decodeMessage(payload, this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes });
      if (m.type !== 'presence') throw new DiscoveryError(DISCOVERY_ERROR_CODES.PRESENCE, `expected a presence message, got ${m.type}`);
      if (m.agent !== agent) {
        throw new DiscoveryError(DISCOVERY_ERROR_CODES.PRESENCE, `agent ${JSON.stringify(m.agent)} differs from the topic's ${JSON.stringify(agent)}`);
      }
      msg = m;
    } catch (e) {
      this.#logger.warn({ err: e, topic }, `mqtt_sd: ignoring presence on ${topic}: ${errorMessage(e)}`);
      return false;
    }
    const held = this.#agents.get(agent);
    if (msg.state === 'offline') {
      if (held?.online && msg.bootSeq < held.online.bootSeq) {
        this.#logger.debug(
          { topic, bootSeq: msg.bootSeq, onlineBootSeq: held.online.bootSeq },
          'mqtt_sd: ignoring a stale offline presence from an earlier boot',
        );
        return false;
      }
      this.#agents.set(agent, { last: msg, online: held?.online });
    } else {
      this.#agents.set(agent, { last: msg, online: msg });
    }
    return true;
  }

  #group(agent: string, topic: string): TargetGroup {
    const group: TargetGroup = { source: topic, targets: [], labels: {} };
    const st = this.#agents.get(agent);
    if (!st) return group;
    const { last } = st;
    if (last.state === 'offline' && !this.#includeOffline) return group;
    const addresses = last.addresses ?? st.online?.addresses;
    const port = last.port ?? st.online?.port;
    if (!addresses?.length || port === undefined) {
      this.#logger.debug({ topic }, 'mqtt_sd: presence without addresses or port; not a target');
      return group;
    }
    const metricsPath = last.metricsPath ?? st.online?.metricsPath;
    const t: Record<string, string> = {
      [ADDRESS_LABEL]: joinHostPort(addresses[0], port),
      [MQTT_META.agentId]: agent,
      [MQTT_META.boot]: last.boot,
      [MQTT_META.bootSeq]: String(last.bootSeq),
      [MQTT_META.version]: last.version,
      [MQTT_META.state]: last.state,
      [MQTT_META.addresses]: addresses.join(','),
      [MQTT_META.port]: String(port),
      [MQTT_META.topic]: topic,
    };
    if (metricsPath !== undefined) t[MQTT_META.metricsPath] = metricsPath;
    group.targets.push(t);
    return group;
  }
}
