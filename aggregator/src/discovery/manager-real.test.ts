/** The manager with the real discoverers it builds itself: files, MQTT presence, static. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { RealClock } from '@edgeprom/shared';
import { encodePresence } from '@edgeprom/shared/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryManager, type TargetSets } from './manager.js';
import { startTestBroker, waitFor } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const addrs = (sets: TargetSets | undefined, job: string) =>
  (sets?.get(job) ?? []).flatMap((g) => g.targets.map((t) => t.__address__)).sort();

describe('DiscoveryManager with real discoverers', () => {
  it('merges file, static and MQTT presence targets per job and follows a reload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeprom-dm-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'nodes.json'), JSON.stringify([{ targets: ['f:9100'] }]));
    const broker = await startTestBroker();
    cleanups.push(broker.close);
    const mqttClient = await connectAsync(broker.url, { clientId: 'aggregator', reconnectPeriod: 0 });
    cleanups.push(() => mqttClient.endAsync(true));
    const agent = await connectAsync(broker.url, { clientId: 'pi', reconnectPeriod: 0 });
    cleanups.push(() => agent.endAsync(true));
    const presence = encodePresence({ agent: 'pi', boot: 'b1', bootSeq: 1, state: 'online', version: '0.1.0', addresses: ['127.0.0.1'], port: 9101, ts: 0 });
    await agent.publishAsync('edgeprom/presence/pi', Buffer.from(presence), { qos: 1, retain: true });

    const dm = new DiscoveryManager({ clock: new RealClock(), updateInterval: 20, mqttClient, baseDir: dir });
    cleanups.push(() => dm.stop());
    let last: TargetSets | undefined;
    dm.subscribe((s) => (last = s));
    const base = { static_configs: [], file_sd_configs: [], mdns_sd_configs: [], mqtt_sd_configs: [] };
    dm.applyConfig([
      { ...base, job_name: 'files', file_sd_configs: [{ files: ['*.json'], refresh_interval: 300_000 }], static_configs: [{ targets: ['s:1'], labels: {} }] },
      { ...base, job_name: 'fleet', mqtt_sd_configs: [{ topic_prefix: 'edgeprom/', include_offline: false }] },
    ]);
    dm.start();
    await waitFor(() => addrs(last, 'files').length === 2 && addrs(last, 'fleet').length === 1, 'targets of both jobs');
    expect(addrs(last, 'files')).toEqual(['f:9100', 's:1']);
    expect(addrs(last, 'fleet')).toEqual(['127.0.0.1:9101']);

    await writeFile(join(dir, 'nodes.json'), JSON.stringify([{ targets: ['f:9100', 'g:9100'] }]));
    await waitFor(() => addrs(last, 'files').length === 3, 'the file change (fs.watch)');

    // Reload: the fleet job goes, its presence subscription with it.
    dm.applyConfig([{ ...base, job_name: 'files', static_configs: [{ targets: ['s:1'], labels: {} }] }]);
    await waitFor(() => !last?.has('fleet') && addrs(last, 'files').join() === 's:1', 'the reloaded config');
  });
});
