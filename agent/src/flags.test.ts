import { describe, expect, it } from 'vitest';
import { HELP, parseFlags } from './flags.js';

describe('parseFlags', () => {
  it('accepts every flag in both --name=value and --name value forms', () => {
    const f = parseFlags([
      '--config.file=agent.yml',
      '--web.listen-address', '127.0.0.1:0',
      '--storage.path=/var/lib/edgeprom',
      '--agent.id', 'pi-kitchen',
      '--mqtt.url=mqtt://gateway.local:1883',
      '--log.level=debug',
      '--collector.interval=30s',
      '--collector.textfile.directory=/var/lib/tf',
      '--path.procfs=/host/proc', '--path.sysfs=/host/sys', '--path.rootfs=/host',
      '--push.mode=push', '--push.after=2m',
      '--mdns.interface=192.168.1.5', '--mdns.interface', '10.0.0.2', '--no-mdns',
    ]);
    expect(f).toEqual({
      help: false,
      version: false,
      configFile: 'agent.yml',
      listenAddress: '127.0.0.1:0',
      storagePath: '/var/lib/edgeprom',
      agentId: 'pi-kitchen',
      mqttUrl: 'mqtt://gateway.local:1883',
      logLevel: 'debug',
      collectorIntervalMs: 30_000,
      textfileDirectory: '/var/lib/tf',
      procfs: '/host/proc',
      sysfs: '/host/sys',
      rootfs: '/host',
      pushMode: 'push',
      pushAfterMs: 120_000,
      mdnsInterfaces: ['192.168.1.5', '10.0.0.2'],
      noMdns: true,
    });
  });

  it('leaves unset what was not given, so the config file can fill it', () => {
    expect(parseFlags([])).toEqual({ help: false, version: false });
    expect(parseFlags(['-h']).help).toBe(true);
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['--web.listen-address=9100'], /--web.listen-address: .*a port is required/],
    [['--collector.interval=15x'], /--collector.interval: not a valid duration "15x": unknown unit "x"/],
    [['--collector.interval=0'], /greater than 0/],
    [['--log.level=verbose'], /--log.level: "verbose" is not one of debug, info, warn, error/],
    [['--agent.id=a/b'], /--agent.id: "a\/b" is not a valid agent id/],
    [['--mqtt.url=http://x'], /--mqtt.url: scheme "http" is not supported \(use mqtt:\/\/, mqtts:\/\/, tcp:\/\/, tls:\/\/ or ssl:\/\/\)/],
    [['--mqtt.url=ws://broker:9001'], /--mqtt.url: scheme "ws" is not supported: the agent has no MQTT-over-WebSocket transport/],
    [['--mqtt.url=wss://broker'], /--mqtt.url: scheme "wss" is not supported/],
    [['--storage.path='], /--storage.path must not be empty/],
    [['--config.file'], /flag --config.file needs a value/],
    [['serve'], /unexpected argument "serve"/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(message);
    try {
      parseFlags(argv);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ERR_USAGE');
    }
  });

  it('refuses bad push and mdns flag values', () => {
    expect(() => parseFlags(['--push.mode=sometimes'])).toThrow(/--push.mode: "sometimes" is not one of auto, pull, push/);
    expect(() => parseFlags(['--push.after=0s'])).toThrow(/--push.after: must be greater than 0/);
    expect(() => parseFlags(['--mdns.interface=eth0'])).toThrow(/--mdns.interface: "eth0" is not an IPv4 interface address/);
  });

  it('documents every flag', () => {
    for (const flag of ['--config.file', '--web.listen-address', '--storage.path', '--agent.id', '--mqtt.url', '--log.level', '--collector.interval', '--collector.textfile.directory', '--push.mode', '--push.after', '--mdns.interface', '--no-mdns']) {
      expect(HELP).toContain(flag);
    }
    expect(HELP).toContain('127.0.0.1, this machine only');
    expect(HELP).toContain('DIR/buffer');
  });
});
