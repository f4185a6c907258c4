import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { parseAgentConfig } from './config-files.js';

function errors(yaml: string): string[] {
  try {
    parseAgentConfig(yaml, 'agent.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const S = 1000;
const DAY = 24 * 3600 * S;

describe('agent config', () => {
  it('has explicit defaults for an empty file', () => {
    expect(parseAgentConfig('')).toEqual({
      listen: ':9100',
      storage_path: 'data/agent',
      collect_interval: 15 * S,
      exporters: {},
      buffer: { max_bytes: 64 * 1024 * 1024, max_age: 7 * DAY, flush_interval: 5 * S },
      push: { mode: 'auto', push_after: 45 * S, max_batch_bytes: 256 * 1024, rate_limit: 0 },
      mdns: { enabled: true, advertise_interfaces: ['127.0.0.1'] },
      clock: { jump_tolerance: 1 * S, stable_for: 30 * S, os_sync_file: '/run/systemd/timesync/synchronized' },
      log_level: 'info',
    });
  });

  it('reads the clock section and names bad values', () => {
    expect(parseAgentConfig('clock: {jump_tolerance: 250ms, stable_for: 0, not_before: 2025-06-01, os_sync_file: ""}\n').clock).toEqual({
      jump_tolerance: 250,
      stable_for: 0,
      not_before: Date.UTC(2025, 5, 1),
      os_sync_file: '',
    });
    expect(parseAgentConfig('clock: {not_before: "2025-06-01T12:00:00+02:00"}\n').clock.not_before).toBe(Date.UTC(2025, 5, 1, 10));
    expect(errors('clock: {jump_tolerance: 0}\n')).toEqual(['agent.yml:1:25: clock.jump_tolerance: must be greater than 0']);
    const errs = errors('clock:\n  stable_for: soon\n  not_before: yesterday\n  slew: true\n');
    expect(errs.some((e) => e.includes('clock.stable_for') && e.includes('soon'))).toBe(true);
    expect(errs.some((e) => e.includes('clock.not_before') && e.includes('expected a date such as 2026-01-01'))).toBe(true);
    expect(errs.some((e) => e.includes('slew'))).toBe(true);
    expect(errors('clock: {not_before: 2025-13-45}\n').some((e) => e.includes('clock.not_before'))).toBe(true);
  });

  it('derives push_after from collect_interval unless set', () => {
    expect(parseAgentConfig('collect_interval: 1m\n').push.push_after).toBe(180 * S);
    expect(parseAgentConfig('collect_interval: 1m\npush: {push_after: 10m}\n').push.push_after).toBe(600 * S);
  });

  it('reads a full config', () => {
    const c = parseAgentConfig(`
listen: 0.0.0.0:9100
storage_path: /var/lib/edgeprom
agent_id: pi-kitchen
collect_interval: 30s
exporters: {system: true, gpio: false, one_wire: true}
textfile_directory: /var/lib/edgeprom/textfile
buffer: {max_bytes: 128MiB, max_age: 14d, flush_interval: 10s}
mqtt:
  url: mqtts://gateway.lan:8883
  username: pi-kitchen
  password_file: /etc/edgeprom/mqtt.pass
push: {mode: push, max_batch_bytes: 64KiB, rate_limit: 32KiB}
mdns: {advertise_interfaces: [192.168.1.20], instance_name: kitchen}
log_level: debug
`);
    expect(c.agent_id).toBe('pi-kitchen');
    expect(c.exporters).toEqual({ system: true, gpio: false, one_wire: true });
    expect(c.buffer).toEqual({ max_bytes: 128 * 1024 * 1024, max_age: 14 * DAY, flush_interval: 10 * S });
    expect(c.mqtt).toEqual({ url: 'mqtts://gateway.lan:8883', username: 'pi-kitchen', password_file: '/etc/edgeprom/mqtt.pass', topic_prefix: 'edgeprom/' });
    expect(c.push).toEqual({ mode: 'push', push_after: 90 * S, max_batch_bytes: 64 * 1024, rate_limit: 32 * 1024 });
    expect(c.mdns).toEqual({ enabled: true, advertise_interfaces: ['192.168.1.20'], instance_name: 'kitchen' });
  });

  it('checks values', () => {
    expect(
      errors(`listen: 9100
agent_id: "pi/kitchen"
collect_interval: 0
exporters: {gpio: maybe}
buffer: {max_bytes: 0}
push: {mode: sometimes}
mdns: {advertise_interfaces: [eth0]}
log_level: verbose
`),
    ).toEqual([
      'agent.yml:1:9: listen: "9100" is not a valid listen address: a port is required, e.g. :9100',
      'agent.yml:2:11: agent_id: "pi/kitchen" is not a valid agent id (letters, digits, and _ . : -, starting with a letter or digit)',
      'agent.yml:4:19: exporters.gpio: expected true or false, got the string "maybe"',
      'agent.yml:5:21: buffer.max_bytes: must be greater than 0',
      'agent.yml:6:14: push.mode: must be one of "auto", "pull", "push"; got the string "sometimes"',
      'agent.yml:7:31: mdns.advertise_interfaces[0]: "eth0" is not an IPv4 interface address',
      'agent.yml:8:12: log_level: must be one of "debug", "info", "warn", "error"; got the string "verbose"',
    ]);
  });

  it('checks exporter names and a zero collect interval', () => {
    expect(errors('collect_interval: 0\nexporters: {System: true}\n')).toEqual([
      'agent.yml:1:19: collect_interval: must be greater than 0',
      'agent.yml:2:13: exporters.System: "System" is not an exporter name',
    ]);
  });

  it('needs an mqtt section to push, and a broker url in it', () => {
    expect(errors('push: {mode: push}\n')).toEqual(['agent.yml:1:14: push.mode: push mode needs an mqtt section with the broker url']);
    expect(errors('mqtt: {username: x}\n')).toEqual(['agent.yml:1:7: mqtt.url: missing required field']);
    expect(errors('mqtt: {url: "mqtt://x", password: a, password_file: b}\n')).toEqual([
      'agent.yml:1:35: mqtt.password: at most one of password & password_file must be configured',
    ]);
  });

  it('accepts only the broker URL schemes the agent client speaks (no WebSocket)', () => {
    for (const url of ['mqtt://b', 'tcp://b:1884', 'mqtts://b', 'tls://b', 'ssl://b:8884']) expect(parseAgentConfig(`mqtt: {url: "${url}"}\n`, 'agent.yml').mqtt?.url).toBe(url);
    expect(errors('mqtt:\n  url: ws://gateway.lan:9001\n')).toEqual([
      'agent.yml:2:8: mqtt.url: scheme "ws" is not supported: the agent has no MQTT-over-WebSocket transport (use mqtt://, mqtts://, tcp://, tls:// or ssl://)',
    ]);
    expect(errors('mqtt: {url: "wss://gateway.lan"}\n')).toEqual([
      'agent.yml:1:13: mqtt.url: scheme "wss" is not supported: the agent has no MQTT-over-WebSocket transport (use mqtt://, mqtts://, tcp://, tls:// or ssl://)',
    ]);
    expect(errors('mqtt: {url: "http://x"}\n')).toEqual(['agent.yml:1:13: mqtt.url: scheme "http" is not supported (use mqtt://, mqtts://, tcp://, tls:// or ssl://)']);
    expect(errors('mqtt: {url: "gateway"}\n')).toEqual(['agent.yml:1:13: mqtt.url: "gateway" is not a URL (use mqtt://, mqtts://, tcp://, tls:// or ssl://)']);
  });

  it('refuses unknown fields and an empty advertise list', () => {
    expect(errors('scrape_interval: 15s\nmdns: {advertise_interfaces: []}\n')).toEqual([
      'agent.yml:1:1: unknown field "scrape_interval"',
      'agent.yml:2:30: mdns.advertise_interfaces: at least one interface is required (set enabled: false to not announce)',
    ]);
  });
});
