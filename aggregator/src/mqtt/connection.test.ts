import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttSchema } from '@edgeprom/shared/config';
import { EmbeddedBroker } from './broker.js';
import { createMqttConnection, deviceCredential } from './connection.js';
import { connect, Inbox, tryConnect } from './test-util.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeprom-mqtt-conn-'));
  cleanups.push(async () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};

describe('MqttConnection', () => {
  it('embedded: starts the broker from config, with devices from password_file, and a privileged client', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'pw'), 's3cret\n');
    const config = mqttSchema.parse({
      embedded: { listen: '127.0.0.1:0', devices: [{ username: 'pi-1', password_file: path.join(dir, 'pw') }] },
    });
    const conn = createMqttConnection(config, { storageDir: dir });
    await conn.start();
    cleanups.push(() => conn.stop());
    const url = conn.broker!.url;
    expect(await tryConnect(url, { username: 'pi-1', password: 's3cret', clientId: 'pi-1' })).toBe('connected');
    expect(await tryConnect(url, { username: 'pi-1', password: 's3cret\n' })).toBe(4);
    // The aggregator's client may read every push topic.
    await conn.client.subscribeAsync('edgeprom/push/+', { qos: 1 });
    const inbox = new Inbox(conn.client);
    const dev = await connect(url, { username: 'pi-1', password: 's3cret', clientId: 'pi-1' });
    cleanups.push(() => dev.endAsync(true));
    await dev.publishAsync('edgeprom/push/pi-1', Buffer.from('x'), { qos: 1 });
    expect((await inbox.next('edgeprom/push/pi-1')).toString()).toBe('x');
    expect(fs.existsSync(path.join(dir, 'mqtt'))).toBe(true); // persisted under the storage dir
  });

  it('external: connects to the configured url with its credentials, no embedded broker', async () => {
    const ext = new EmbeddedBroker({
      listen: '127.0.0.1:0',
      devices: [{ username: 'agg', password: Buffer.from('pw'), agentId: 'agg', publish: ['edgeprom/#'], subscribe: ['edgeprom/#'] }],
    });
    await ext.start();
    cleanups.push(() => ext.stop());
    const conn = createMqttConnection(mqttSchema.parse({ url: ext.url, username: 'agg', password: 'pw', client_id: 'agg' }));
    expect(conn.broker).toBeUndefined();
    await conn.start();
    cleanups.push(() => conn.stop());
    await conn.client.subscribeAsync('edgeprom/push/+', { qos: 1 });
    const bad = createMqttConnection(mqttSchema.parse({ url: ext.url, username: 'agg', password: 'nope' }));
    await expect(bad.start()).rejects.toMatchObject({ code: 'ERR_MQTT_CONNECT' });
  });

  it('reports an unreadable password_file with ERR_MQTT_CREDENTIALS, without its content', () => {
    const d = mqttSchema.parse({ embedded: { devices: [{ username: 'x', password_file: '/nonexistent/pw' }] } }).embedded!.devices[0];
    expect(() => deviceCredential(d)).toThrow(expect.objectContaining({ code: 'ERR_MQTT_CREDENTIALS' }));
  });
});
