import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { agentConfigSchema } from './agent-schema.js';
import { aggregatorConfigSchema } from './aggregator-schema.js';
import { parseAgentConfig, parseAggregatorConfig } from './config-files.js';
import { SECRET_FIELDS, SECRET_PLACEHOLDER, redactSecrets } from './secrets.js';

/** Every field path a schema accepts: `a.b`, `list[].c`, `map.*`. */
function fieldPaths(schema: z.ZodType): string[] {
  const out = new Set<string>();
  // Config schemas are trees (no z.lazy), so no cycle check is needed.
  const walk = (s: unknown, path: string): void => {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    switch (def.type) {
      case 'object':
        for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) {
          const p = path ? `${path}.${k}` : k;
          out.add(p);
          walk(v, p);
        }
        break;
      case 'array':
        walk(def.element, `${path}[]`);
        break;
      case 'record':
        walk(def.valueType, `${path}.*`);
        break;
      case 'pipe':
        walk(def.in, path);
        walk(def.out, path);
        break;
      case 'union':
        for (const o of def.options as unknown[]) walk(o, path);
        break;
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        walk(def.innerType, path);
        break;
      default:
        break;
    }
  };
  walk(schema, '');
  return [...out].sort();
}

const SECRET_NAME = /password|credentials|secret|token/i;
/** Paths to files holding a secret: shown, as Prometheus shows them. */
const isFileField = (path: string) => /_file$/.test(path);
const lastName = (path: string) => path.split('.').pop()!.replace(/\[\]$/, '');

const secretPaths = (schema: z.ZodType) => fieldPaths(schema).filter((p) => SECRET_NAME.test(lastName(p)) && !isFileField(p));

/** A config setting every secret field the schemas know, each to a distinct marker. */
const AGGREGATOR_SECRETS: Record<string, string> = {
  'scrape_configs[].basic_auth.password': 'SECRET-scrape-basic',
  'scrape_configs[].authorization.credentials': 'SECRET-scrape-authz',
  'scrape_configs[].bearer_token': 'SECRET-scrape-bearer',
  'alerting.alertmanagers[].basic_auth.password': 'SECRET-am-basic',
  'alerting.alertmanagers[].authorization.credentials': 'SECRET-am-authz',
  'alerting.alertmanagers[].bearer_token': 'SECRET-am-bearer',
  'remote_write[].basic_auth.password': 'SECRET-rw-basic',
  'remote_write[].authorization.credentials': 'SECRET-rw-authz',
  'remote_write[].bearer_token': 'SECRET-rw-bearer',
  'mqtt.password': 'SECRET-mqtt',
  'mqtt.embedded.devices[].password': 'SECRET-device',
};
const AGGREGATOR_YAML = `
global:
  external_labels: {token: not-a-secret-label}
scrape_configs:
  - job_name: basic
    basic_auth: {username: u, password: SECRET-scrape-basic}
    proxy_url: http://proxy:SECRET-proxy-url@proxy.lan:3128
    static_configs: [{targets: ['a:1'], labels: {password: not-a-secret-label}}]
    params: {token: [not-a-secret-param]}
  - job_name: authz
    authorization: {credentials: SECRET-scrape-authz}
  - job_name: bearer
    bearer_token: SECRET-scrape-bearer
alerting:
  alertmanagers:
    - basic_auth: {username: u, password: SECRET-am-basic}
    - authorization: {credentials: SECRET-am-authz}
    - bearer_token: SECRET-am-bearer
remote_write:
  - url: https://user:SECRET-rw-url@vm.example/write
    basic_auth: {username: u, password: SECRET-rw-basic}
  - url: https://vm.example/write
    authorization: {credentials: SECRET-rw-authz}
  - url: https://vm.example/write
    bearer_token: SECRET-rw-bearer
mqtt:
  embedded:
    devices:
      - {username: pi, password: SECRET-device}
`;
/** The external-broker variant: mqtt.password cannot sit beside embedded devices. */
const AGGREGATOR_EXTERNAL_MQTT_YAML = 'mqtt:\n  url: mqtt://agg:SECRET-mqtt-url@broker.lan\n  username: agg\n  password: SECRET-mqtt\n';
const AGENT_SECRETS: Record<string, string> = { 'mqtt.password': 'SECRET-agent-mqtt' };
const AGENT_YAML = 'mqtt:\n  url: mqtt://pi:SECRET-agent-url@gateway.lan\n  password: SECRET-agent-mqtt\n';

describe('secret fields', () => {
  it.each([
    ['aggregator', aggregatorConfigSchema as z.ZodType, AGGREGATOR_SECRETS],
    ['agent', agentConfigSchema as z.ZodType, AGENT_SECRETS],
  ])('every %s field that looks secret is marked secret and covered here', (_name, schema, fixture) => {
    const paths = secretPaths(schema);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      expect(SECRET_FIELDS.has(lastName(p)), `${p} is not in SECRET_FIELDS`).toBe(true);
    }
    expect(paths).toEqual(Object.keys(fixture).sort());
  });

  it('the schema walk sees nested fields (sanity check of the test itself)', () => {
    const paths = fieldPaths(aggregatorConfigSchema);
    expect(paths).toContain('scrape_configs[].relabel_configs[].target_label');
    expect(paths).toContain('mqtt.embedded.devices[].acl.publish');
    expect(paths).toContain('scrape_configs[].basic_auth.password_file');
  });
});

describe('redactSecrets', () => {
  it('replaces every aggregator secret, including URL passwords, and leaves the input alone', () => {
    const configs = [AGGREGATOR_YAML, AGGREGATOR_EXTERNAL_MQTT_YAML].map((y) => parseAggregatorConfig(y));
    const before = JSON.stringify(configs);
    const shown = JSON.stringify(configs.map((c) => redactSecrets(c)));
    expect(JSON.stringify(configs)).toBe(before);
    for (const marker of Object.values(AGGREGATOR_SECRETS)) {
      expect(before).toContain(marker);
      expect(shown).not.toContain(marker);
    }
    expect(shown).not.toContain('SECRET-');
    expect(shown.split(JSON.stringify(SECRET_PLACEHOLDER)).length - 1).toBe(Object.keys(AGGREGATOR_SECRETS).length);
    const r = redactSecrets(configs[0]);
    expect(r.scrape_configs[0].basic_auth).toEqual({ username: 'u', password: '<secret>' });
    expect(r.remote_write[0].url).toBe('https://user:xxxxx@vm.example/write');
    expect(r.scrape_configs[0].proxy_url).toBe('http://proxy:xxxxx@proxy.lan:3128/');
  });

  it('leaves label sets, params and file paths alone', () => {
    const r = redactSecrets(parseAggregatorConfig(AGGREGATOR_YAML));
    expect(r.global.external_labels).toEqual({ token: 'not-a-secret-label' });
    expect(r.scrape_configs[0].static_configs[0].labels).toEqual({ password: 'not-a-secret-label' });
    expect(r.scrape_configs[0].params).toEqual({ token: ['not-a-secret-param'] });
    const withFile = redactSecrets(parseAggregatorConfig('scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password_file: /etc/p}\n'));
    expect(withFile.scrape_configs[0].basic_auth).toEqual({ username: 'u', password_file: '/etc/p' });
  });

  it('replaces the agent secrets', () => {
    const r = redactSecrets(parseAgentConfig(AGENT_YAML));
    expect(r.mqtt).toEqual({ url: 'mqtt://pi:xxxxx@gateway.lan', password: '<secret>', topic_prefix: 'edgeprom/' });
  });

  it('keeps an empty secret empty, as Prometheus does', () => {
    expect(redactSecrets({ password: '', nested: [{ credentials: 'x' }] })).toEqual({ password: '', nested: [{ credentials: '<secret>' }] });
  });
});
