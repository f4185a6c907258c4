import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agentConfigSchema, parseConfig } from '@edgeprom/shared/config';
import { parseFlags } from './flags.js';
import { FILE_DEFAULTS, defaultAgentId, loadAgentConfig, resolveSettings } from './settings.js';
import { fakeTree, type FakeTree } from './testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('settings', () => {
  it('built-in defaults equal the config schema defaults', () => {
    const schema = parseConfig('', agentConfigSchema, '<test>');
    for (const key of Object.keys(FILE_DEFAULTS) as (keyof typeof FILE_DEFAULTS)[]) {
      expect([key, schema[key]]).toEqual([key, FILE_DEFAULTS[key]]);
    }
  });

  it('flags override the config file, which overrides the defaults', async () => {
    tree = await fakeTree({
      'agent.yml': 'listen: 127.0.0.1:9200\ncollect_interval: 1m\nagent_id: from-file\ntextfile_directory: /srv/tf\nexporters:\n  hwmon: false\nmqtt:\n  url: mqtt://broker:1883\n',
    });
    const config = await loadAgentConfig(tree.path('agent.yml'));
    const fromFile = await resolveSettings(parseFlags([]), config);
    expect(fromFile).toMatchObject({
      listenAddress: '127.0.0.1:9200',
      collectorIntervalMs: 60_000,
      agentId: 'from-file',
      textfileDirectory: '/srv/tf',
      exporters: { hwmon: false },
      mqttUrl: 'mqtt://broker:1883',
      storagePath: 'data/agent',
      logLevel: 'info',
    });
    const overridden = await resolveSettings(parseFlags(['--web.listen-address=:9300', '--collector.interval=5s', '--agent.id=from-flag']), config);
    expect(overridden).toMatchObject({ listenAddress: ':9300', collectorIntervalMs: 5000, agentId: 'from-flag', textfileDirectory: '/srv/tf' });
  });

  it('refuses a garbage config with file, line and reason', async () => {
    tree = await fakeTree({ 'agent.yml': 'listen: [unclosed\ncollect_interval: 15x\n' });
    await expect(loadAgentConfig(tree.path('agent.yml'))).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining('agent.yml:') });
    await writeFile(tree.path('agent.yml'), 'collect_interval: 15x\nno_such_field: 1\n');
    const err = (await loadAgentConfig(tree.path('agent.yml')).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/agent\.yml:1:\d+: collect_interval: not a valid duration "15x"/);
    expect(err.message).toMatch(/unknown field "no_such_field"/);
  });

  it('takes the agent id from /etc/machine-id, else the host name', async () => {
    tree = await fakeTree({ 'root/etc/machine-id': '3d1219c7c4c5404aaa1f6d2a48adfda4\n', 'empty/etc/.keep': '' });
    expect(await defaultAgentId(tree.path('root'), () => 'host')).toBe('3d1219c7c4c5404aaa1f6d2a48adfda4');
    expect(await defaultAgentId(tree.path('empty'), () => 'raspberrypi')).toBe('raspberrypi');
    await expect(resolveSettings(parseFlags(['--path.rootfs', tree.path('empty')]), { ...FILE_DEFAULTS })).resolves.toMatchObject({
      roots: { rootfs: tree.path('empty'), procfs: '/proc', sysfs: '/sys' },
    });
  });

  it('resolves the mqtt, push and mdns sections; flags override them', async () => {
    tree = await fakeTree({
      'agent.yml': 'agent_id: pi-1\ncollect_interval: 10s\nmqtt:\n  url: mqtt://gw:1883\n  username: pi-1\n  password_file: /etc/pass\n  topic_prefix: site/\npush:\n  rate_limit: 10KiB\nmdns:\n  advertise_interfaces: [192.168.1.5]\n',
    });
    const config = await loadAgentConfig(tree.path('agent.yml'));
    const s = await resolveSettings(parseFlags([]), config);
    expect(s.mqtt).toEqual({ username: 'pi-1', password: undefined, passwordFile: '/etc/pass', clientId: undefined, topicPrefix: 'site/' });
    expect(s.push).toEqual({ mode: 'auto', pushAfterMs: 30_000, maxBatchBytes: 256 * 1024, rateLimitBytesPerSec: 10 * 1024 });
    expect(s.mdns).toEqual({ enabled: true, interfaces: ['192.168.1.5'], instanceName: undefined });
    const f = await resolveSettings(parseFlags(['--push.mode=push', '--collector.interval=1m', '--mdns.interface=127.0.0.1', '--no-mdns']), config);
    expect(f.push).toMatchObject({ mode: 'push', pushAfterMs: 180_000 });
    expect(f.mdns).toMatchObject({ enabled: false, interfaces: ['127.0.0.1'] });
    // Without a config file: loopback-only mDNS, auto push after 3 intervals.
    const d = await resolveSettings(parseFlags(['--collector.interval=5s']), FILE_DEFAULTS);
    expect(d.push).toMatchObject({ mode: 'auto', pushAfterMs: 15_000 });
    expect(d.mdns).toEqual({ enabled: true, interfaces: ['127.0.0.1'], instanceName: undefined });
    await expect(resolveSettings(parseFlags(['--push.mode=push']), FILE_DEFAULTS)).rejects.toThrow(/needs an MQTT broker/);
  });
});
