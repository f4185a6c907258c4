/**
 * The aggregator's side of MQTT, from the `mqtt:` config: the embedded broker plus a
 * privileged client connected to it, or only a client of an external broker. Ingest (and
 * later discovery and the notifier) take the client; they never know which mode is in use.
 *
 *   const conn = createMqttConnection(config.mqtt, { storageDir, logger });
 *   await conn.start();  conn.client.subscribe(...);  await conn.stop();
 */
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { AggregatorMqttConfig, MqttDevice } from '@edgeprom/shared/config';
import { topics as makeTopics, type Topics } from '@edgeprom/shared/wire';
import type { AnonymousPolicy, DeviceCredential } from './access-policy.js';
import { EmbeddedBroker } from './broker.js';
import { MqttError } from './errors.js';
import { silentLogger, type MqttLogger } from './logger.js';

export interface MqttConnectionOptions {
  /** The aggregator's storage directory; the broker persists under `<storageDir>/mqtt` unless the config names a path. */
  storageDir?: string;
  logger?: MqttLogger;
  /** Overrides `embedded.allow_anonymous` (true → 'any', false → 'off', loopback → 'loopback'). */
  anonymous?: AnonymousPolicy;
  /** Overrides `embedded.listen` (tests: 127.0.0.1:0). */
  listen?: string;
}

export class MqttConnection {
  readonly topics: Topics;
  readonly broker: EmbeddedBroker | undefined;
  readonly #config: AggregatorMqttConfig;
  readonly #logger: MqttLogger;
  #client: MqttClient | undefined;

  constructor(config: AggregatorMqttConfig, opts: MqttConnectionOptions = {}) {
    this.#config = config;
    this.#logger = opts.logger ?? silentLogger;
    this.topics = makeTopics(config.topic_prefix);
    if (config.mode === 'embedded') {
      const e = config.embedded;
      const persistenceDir =
        e.persistence_path ?? (opts.storageDir !== undefined ? path.join(opts.storageDir, 'mqtt') : undefined);
      this.broker = new EmbeddedBroker({
        listen: opts.listen ?? e.listen,
        topicPrefix: config.topic_prefix,
        devices: e.devices.map(deviceCredential),
        anonymous: opts.anonymous ?? anonymousPolicy(e.allow_anonymous),
        persistenceDir,
        logger: this.#logger,
      });
    }
  }

  /**
   * Applies the devices and `allow_anonymous` of a reloaded config to the embedded broker
   * (nothing else of `mqtt:` changes without a restart). Reads password files first, so a
   * missing one throws and leaves the old rules in place. No-op with an external broker.
   */
  applyAccess(config: AggregatorMqttConfig): void {
    if (!this.broker || config.mode !== 'embedded') return;
    const devices = config.embedded.devices.map(deviceCredential);
    this.broker.setAccess(devices, anonymousPolicy(config.embedded.allow_anonymous));
  }

  /** The connected client; throws before start(). */
  get client(): MqttClient {
    if (!this.#client) throw new MqttError('ERR_MQTT_CONNECT', 'mqtt: not started');
    return this.#client;
  }

  async start(): Promise<void> {
    if (this.#client) return;
    let url: string;
    let auth: { username?: string; password?: string };
    if (this.broker) {
      await this.broker.start();
      url = this.broker.url;
      auth = this.broker.internalCredentials;
    } else {
      url = this.#config.url!;
      const password = this.#config.password_file ? readSecret(this.#config.password_file, 'mqtt.password_file') : this.#config.password;
      auth = { username: this.#config.username, password };
    }
    try {
      this.#client = await mqtt.connectAsync(url, {
        ...auth,
        clientId: this.#config.client_id ?? `edgeprom-aggregator-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        // Agents resend whatever is unacked when they reconnect, so a persistent session would
        // only replay batches the aggregator dedupes anyway.
        clean: true,
        reconnectPeriod: 1000,
        protocolVersion: 4,
      });
    } catch (e) {
      await this.broker?.stop();
      throw new MqttError('ERR_MQTT_CONNECT', `mqtt: cannot connect to ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
    }
    this.#client.on('error', (e) => this.#logger.warn({ err: e.message }, 'mqtt: client error'));
    this.#logger.info({ url: redactUrl(url), mode: this.#config.mode }, 'mqtt: connected');
  }

  async stop(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (c) await c.endAsync();
    await this.broker?.stop();
  }
}

export function createMqttConnection(config: AggregatorMqttConfig, opts: MqttConnectionOptions = {}): MqttConnection {
  return new MqttConnection(config, opts);
}

export function anonymousPolicy(allow: boolean | 'loopback'): AnonymousPolicy {
  return allow === 'loopback' ? 'loopback' : allow ? 'any' : 'off';
}

/** A configured device as the access policy wants it; reads password_file now. */
export function deviceCredential(d: MqttDevice): DeviceCredential {
  const password = d.password_file ? readSecret(d.password_file, `device ${d.username} password_file`) : (d.password ?? '');
  return {
    username: d.username,
    password: Buffer.from(password, 'utf8'),
    agentId: d.agent_id ?? d.username,
    publish: d.acl.publish,
    subscribe: d.acl.subscribe,
  };
}

function readSecret(file: string, what: string): string {
  let s: string;
  try {
    s = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new MqttError('ERR_MQTT_CREDENTIALS', `mqtt: cannot read ${what} ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  // Like Prometheus's *_file settings: surrounding whitespace (the editor's newline) is not part of it.
  s = s.trim();
  if (s === '') throw new MqttError('ERR_MQTT_CREDENTIALS', `mqtt: ${what} ${JSON.stringify(file)} is empty`);
  return s;
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = 'xxxxx';
    return url.toString();
  } catch {
    return u;
  }
}
