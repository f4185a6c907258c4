import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MQTT_ERROR_CODES, parseListenAddress } from './errors.js';

describe('mqtt errors', () => {
  it('every code is documented in docs/mqtt.md', () => {
    const doc = fs.readFileSync(new URL('../../../docs/mqtt.md', import.meta.url), 'utf8');
    for (const code of MQTT_ERROR_CODES) expect(doc, code).toContain(`\`${code}\``);
  });

  it('parses listen addresses like the web listen flag', () => {
    expect(parseListenAddress(':1883')).toEqual({ host: undefined, port: 1883 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:1883')).toEqual({ host: '::1', port: 1883 });
    expect(() => parseListenAddress('1883')).toThrow(expect.objectContaining({ code: 'ERR_MQTT_LISTEN_ADDRESS' }));
    expect(() => parseListenAddress(':70000')).toThrow(expect.objectContaining({ code: 'ERR_MQTT_LISTEN_ADDRESS' }));
  });
});
