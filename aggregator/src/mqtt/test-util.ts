/** Helpers for tests that talk MQTT to a real broker on 127.0.0.1. Not used in production code. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000, ...opts });
}

/** Resolves with the reason the broker refused the connection (CONNACK code), or 'connected'. */
export async function tryConnect(url: string, opts: IClientOptions): Promise<string | number> {
  try {
    const c = await connect(url, opts);
    await c.endAsync();
    return 'connected';
  } catch (e) {
    return (e as { code?: number }).code ?? (e as Error).message;
  }
}

/** Collects messages of one client; `next(topic)` waits for the next one on that topic. */
export class Inbox {
  readonly #queue = new Map<string, Buffer[]>();
  readonly #waiters = new Map<string, ((b: Buffer) => void)[]>();
  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      const w = this.#waiters.get(topic)?.shift();
      if (w) w(payload);
      else this.#queue.set(topic, [...(this.#queue.get(topic) ?? []), payload]);
    });
  }
  next(topic: string): Promise<Buffer> {
    const q = this.#queue.get(topic);
    if (q && q.length > 0) return Promise.resolve(q.shift()!);
    return new Promise((resolve) => this.#waiters.set(topic, [...(this.#waiters.get(topic) ?? []), resolve]));
  }
  pending(topic: string): number {
    return this.#queue.get(topic)?.length ?? 0;
  }
}
