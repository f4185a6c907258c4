import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exactDedupe } from './aedes-dedupe.js';
import { EmbeddedBroker } from './broker.js';
import { connect } from './test-util.js';

describe('exactDedupe: aedes delivers what a later publish overtook, and overlapping subscriptions once', () => {
  let dir: string;
  let broker: EmbeddedBroker;
  let client: MqttClient;
  /** Topic → payloads received, in order. */
  let got: Map<string, string[]>;
  let onSentinel: (() => void) | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-dedupe-'));
    // LevelDB persistence, as the aggregator runs it: a retained publish waits for its write.
    broker = new EmbeddedBroker({ listen: '127.0.0.1:0', persistenceDir: path.join(dir, 'mqtt') });
    await broker.start();
    client = await connect(broker.url, { ...broker.internalCredentials, clean: true });
    got = new Map();
    client.on('message', (topic, payload) => {
      got.set(topic, [...(got.get(topic) ?? []), payload.toString()]);
      if (topic === 'edgeprom/push/sentinel') onSentinel?.();
    });
  });

  afterEach(async () => {
    await client.endAsync();
    await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes through the broker itself; resolves once aedes handed it to every subscriber. */
  const publish = (topic: string, payload: string, retain: boolean): Promise<void> =>
    new Promise((resolve, reject) =>
      broker.aedes!.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err?: Error) => (err ? reject(err) : resolve())),
    );

  /** A last message after everything published so far: once it arrived, so had the others. */
  const sentinel = async (): Promise<void> => {
    const arrived = new Promise<void>((resolve) => (onSentinel = resolve));
    await publish('edgeprom/push/sentinel', 'end', false);
    await arrived;
  };

  it('a retained presence published just before a push batch reaches the subscriber of both', async () => {
    await client.subscribeAsync('edgeprom/presence/+', { qos: 1 });
    await client.subscribeAsync('edgeprom/push/+', { qos: 1 });
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      // The batch starts after the presence but skips the LevelDB write: it is delivered first.
      await Promise.all([publish(`edgeprom/presence/agent-${i}`, `online ${i}`, true), publish('edgeprom/push/other', `batch ${i}`, false)]);
    }
    await sentinel();
    const presences = [...got].filter(([t]) => t.startsWith('edgeprom/presence/')).map(([t, p]) => `${t} ${p.join(',')}`).sort();
    expect(presences).toEqual(Array.from({ length: rounds }, (_, i) => `edgeprom/presence/agent-${i} online ${i}`).sort());
    expect(got.get('edgeprom/push/other')).toHaveLength(rounds);
  });

  it('a message matching two subscriptions of one client is delivered once', async () => {
    await client.subscribeAsync('edgeprom/presence/+', { qos: 1 });
    await client.subscribeAsync('edgeprom/presence/#', { qos: 1 });
    await client.subscribeAsync('edgeprom/push/+', { qos: 1 });
    await publish('edgeprom/presence/agent-x', 'online', true);
    await publish('edgeprom/presence/agent-y', 'online', false);
    await sentinel();
    expect(got.get('edgeprom/presence/agent-x')).toEqual(['online']);
    expect(got.get('edgeprom/presence/agent-y')).toEqual(['online']);
  });

  it('refuses, naming itself, a client that is not an aedes 1.x client', () => {
    expect(() => exactDedupe({})).toThrow(/exactDedupe \(aedes-dedupe\.ts\) does not fit this aedes version/);
  });
});
