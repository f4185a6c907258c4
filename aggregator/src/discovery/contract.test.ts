import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BonjourService from 'bonjour-service';
import { connectAsync } from 'mqtt';
import { ManualClock } from '@edgeprom/shared';
import { encodePresence } from '@edgeprom/shared/wire';
import { describe } from 'vitest';
import { runDiscovererContract } from './contract.js';
import { FileDiscoverer } from './file-sd.js';
import { MdnsDiscoverer } from './mdns-sd.js';
import { MqttPresenceDiscoverer } from './mqtt-sd.js';
import { StaticDiscoverer } from './static-sd.js';
import { startTestBroker } from './testing.js';

describe('Discoverer contract: static', () => {
  runDiscovererContract(async () => ({
    discoverer: new StaticDiscoverer([{ targets: ['a:9100'], labels: { env: 'lab' } }]),
    close: async () => {},
  }));
});

describe('Discoverer contract: file', () => {
  runDiscovererContract(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeprom-contract-'));
    const clock = new ManualClock();
    const file = join(dir, 'a.yml');
    return {
      discoverer: new FileDiscoverer({ files: ['*.yml'], refresh_interval: 1_000 }, { clock, baseDir: dir, watch: false }),
      add: async () => {
        await writeFile(file, '- targets: [a:9100]\n  labels: {site: x}\n');
        await clock.advance(1_000);
      },
      remove: async () => {
        await unlink(file);
        await clock.advance(1_000);
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  });
});

describe('Discoverer contract: MQTT presence', () => {
  runDiscovererContract(async () => {
    const broker = await startTestBroker();
    const client = await connectAsync(broker.url, { reconnectPeriod: 0 });
    const dev = await connectAsync(broker.url, { reconnectPeriod: 0 });
    const p = (state: 'online' | 'offline') =>
      Buffer.from(encodePresence({ agent: 'pi', boot: 'b', bootSeq: 1, state, version: '1', addresses: ['127.0.0.1'], port: 9100, ts: 0 }));
    return {
      discoverer: new MqttPresenceDiscoverer({ topic_prefix: 'edgeprom/', include_offline: false }, client),
      add: async () => void (await dev.publishAsync('edgeprom/presence/pi', p('online'), { qos: 1, retain: true })),
      remove: async () => void (await dev.publishAsync('edgeprom/presence/pi', p('offline'), { qos: 1, retain: true })),
      close: async () => {
        await dev.endAsync(true);
        await client.endAsync(true);
        await broker.close();
      },
    };
  });
});

describe('Discoverer contract: mDNS on loopback', () => {
  runDiscovererContract(async () => {
    const id = randomUUID().slice(0, 8);
    const pub = new BonjourService({ interface: '127.0.0.1', bind: '0.0.0.0' } as object, () => {});
    let svc: BonjourService.Service | undefined;
    return {
      discoverer: new MdnsDiscoverer({ service_types: ['_edgeprom._tcp'], refresh_interval: 60_000 }),
      add: async () => {
        svc = pub.publish({ name: `contract-${id}`, type: 'edgeprom', port: 9100, txt: { agent: id }, probe: false });
      },
      remove: () => new Promise<void>((resolve) => svc!.stop!(() => resolve())),
      mine: (g) => g.source.includes(id),
      close: () => new Promise<void>((resolve) => pub.destroy(() => resolve())),
    };
  });
});
