import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricFamily } from '@edgeprom/shared';
import { EmbeddedBroker } from './broker.js';
import { connect, Inbox, tryConnect } from './test-util.js';

const devices = [{ username: 'dev-a', password: Buffer.from('secret-a'), agentId: 'a' }];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function startBroker(persistenceDir?: string): Promise<EmbeddedBroker> {
  const b = new EmbeddedBroker({ listen: '127.0.0.1:0', devices, ...(persistenceDir ? { persistenceDir } : {}) });
  await b.start();
  cleanups.push(() => b.stop());
  return b;
}

function value(fams: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.labels.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) return s.value;
    }
  }
  return undefined;
}

describe('embedded broker metrics', () => {
  it('counts logins refused, ACL denials, messages in and out, and retained messages', async () => {
    const b = await startBroker();
    expect(await tryConnect(b.url, { username: 'dev-a', password: 'wrong' })).toBe(4);
    expect(await tryConnect(b.url, { clientId: 'anon' })).toBe(5);
    const sub = await connect(b.url, b.internalCredentials);
    cleanups.push(() => sub.endAsync());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('edgeprom/push/+', { qos: 1 });
    const dev = await connect(b.url, { username: 'dev-a', password: 'secret-a', clientId: 'agent-a' });
    cleanups.push(() => dev.endAsync(true));
    await dev.publishAsync('edgeprom/push/a', Buffer.from('12345'), { qos: 1 });
    await inbox.next('edgeprom/push/a');
    await dev.publishAsync('edgeprom/presence/a', Buffer.from('here'), { qos: 1, retain: true });
    // Another agent's topics: the subscription is refused (SUBACK 0x80), the publish closes the connection.
    await expect(dev.subscribeAsync('edgeprom/ack/b', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    dev.publish('edgeprom/push/b', Buffer.from('x'), { qos: 0 });
    await closed;

    const m = b.collectMetrics();
    expect(value(m, 'edgeprom_mqtt_auth_failures_total', { reason: 'bad-credentials' })).toBe(1);
    expect(value(m, 'edgeprom_mqtt_auth_failures_total', { reason: 'anonymous-refused' })).toBe(1);
    expect(value(m, 'edgeprom_mqtt_connections_total')).toBe(2);
    expect(value(m, 'edgeprom_mqtt_clients_connected')).toBeGreaterThanOrEqual(1);
    expect(value(m, 'edgeprom_mqtt_acl_denied_total', { action: 'publish' })).toBe(1);
    expect(value(m, 'edgeprom_mqtt_acl_denied_total', { action: 'subscribe' })).toBe(1);
    expect(value(m, 'edgeprom_mqtt_messages_received_total')).toBeGreaterThanOrEqual(2);
    expect(value(m, 'edgeprom_mqtt_received_payload_bytes_total')).toBeGreaterThanOrEqual(9);
    expect(value(m, 'edgeprom_mqtt_messages_sent_total')).toBe(1);
    expect(value(m, 'edgeprom_mqtt_sent_payload_bytes_total')).toBe(5);
    expect(value(m, 'edgeprom_mqtt_retained_messages')).toBe(1);
  });

  it('counts the retained messages a restarted broker finds in its persistence, and their removal', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-broker-metrics-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await startBroker(dir);
    const dev = await connect(first.url, { username: 'dev-a', password: 'secret-a', clientId: 'agent-a' });
    await dev.publishAsync('edgeprom/presence/a', Buffer.from('here'), { qos: 1, retain: true });
    await dev.endAsync();
    expect(value(first.collectMetrics(), 'edgeprom_mqtt_retained_messages')).toBe(1);
    await first.stop();

    const second = await startBroker(dir);
    expect(value(second.collectMetrics(), 'edgeprom_mqtt_retained_messages')).toBe(1);
    const again = await connect(second.url, { username: 'dev-a', password: 'secret-a', clientId: 'agent-a' });
    await again.publishAsync('edgeprom/presence/a', Buffer.alloc(0), { qos: 1, retain: true });
    await again.endAsync();
    expect(value(second.collectMetrics(), 'edgeprom_mqtt_retained_messages')).toBe(0);
  });
});
