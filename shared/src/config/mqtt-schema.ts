/**
 * The aggregator's `mqtt:` section: an embedded broker (the default) or an external one, the
 * topic prefix, and the credentials and topic ACL of each device on the embedded broker.
 */
import { z } from 'zod';
import { DEFAULT_MAX_WIRE_BYTES } from '../wire/message.js';
import { agentIdProblem } from '../wire/topics.js';
import { describeValue, listenAddress, nonEmptyStr, obj, quote, size, str, topicPrefix, url, wireAgentId } from './fields.js';
import { YamlScalar } from './yaml-tree.js';

export const MQTT_URL_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'tls', 'ws', 'wss'] as const;

/** A topic filter: `+` and `#` only as whole levels, `#` only last. */
export function topicFilterError(f: string): string | undefined {
  if (f === '') return 'a topic filter must not be empty';
  if (f.includes('\u0000')) return 'a topic filter must not contain NUL';
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return `${quote(f)}: "#" must be a whole level at the end`;
    if (l.includes('+') && l !== '+') return `${quote(f)}: "+" must be a whole level`;
  }
  return undefined;
}

const topicFilter = () =>
  str().superRefine((s, ctx) => {
    const err = topicFilterError(s);
    if (err) ctx.addIssue({ code: 'custom', message: err });
  });

/** `true`, `false` or `loopback`. */
const anonymousPolicy = () =>
  z.unknown().transform((v, ctx): boolean | 'loopback' => {
    const x = v instanceof YamlScalar ? v.value : v;
    if (typeof x === 'boolean' || x === 'loopback') return x;
    ctx.addIssue({ code: 'custom', message: `expected true, false or loopback, got ${describeValue(v)}` });
    return z.NEVER;
  });

export const mqttDeviceSchema = obj({
  username: nonEmptyStr(),
  password: str().optional(),
  password_file: str().optional(),
  /**
   * The agent id this device speaks for; defaults to the username. The device may publish
   * only `<prefix>presence/<agent_id>` and `<prefix>push/<agent_id>`, and subscribe only to
   * `<prefix>ack/<agent_id>`, plus the extra filters below.
   */
  agent_id: wireAgentId().optional(),
  acl: obj({
    publish: z.array(topicFilter()).default(() => []),
    subscribe: z.array(topicFilter()).default(() => []),
  }).prefault({}),
}).superRefine((d, ctx) => {
  const has = (s: string | undefined) => (s ?? '') !== '';
  if (has(d.password) === has(d.password_file)) {
    ctx.addIssue({ code: 'custom', message: 'exactly one of password and password_file must be configured' });
  }
  if (d.agent_id === undefined && agentIdProblem(d.username) !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['username'], message: `${quote(d.username)} cannot serve as an agent id; set agent_id` });
  }
});

export const embeddedBrokerSchema = obj({
  listen: listenAddress().default(':1883'),
  /** Directory for retained messages and sessions; unset keeps them in memory. */
  persistence_path: nonEmptyStr().optional(),
  /**
   * Clients without credentials: `false` (refused; the default), `loopback` (accepted from
   * 127.0.0.0/8 and ::1 only; what the built-in no-config defaults use) or `true` (anyone).
   * An accepted anonymous client acts as the agent named by its client id (docs/mqtt.md).
   */
  allow_anonymous: anonymousPolicy().default(false),
  devices: z.array(mqttDeviceSchema).default(() => []),
}).superRefine((b, ctx) => {
  const users = new Map<string, number>();
  const agents = new Map<string, number>();
  b.devices.forEach((d, i) => {
    if (users.has(d.username)) {
      ctx.addIssue({ code: 'custom', path: ['devices', i, 'username'], message: `username ${quote(d.username)} is already used by devices[${users.get(d.username)}]` });
    } else users.set(d.username, i);
    const agent = d.agent_id ?? d.username;
    if (agents.has(agent)) {
      ctx.addIssue({ code: 'custom', path: ['devices', i], message: `agent id ${quote(agent)} is already used by devices[${agents.get(agent)}]` });
    } else agents.set(agent, i);
  });
});

export const mqttSchema = obj({
  /** The embedded broker; used when `url` is not set. */
  embedded: embeddedBrokerSchema.optional(),
  /** An external broker instead of the embedded one, e.g. mqtt://broker.lan:1883. */
  url: url(MQTT_URL_SCHEMES).optional(),
  username: str().optional(),
  password: str().optional(),
  password_file: str().optional(),
  client_id: nonEmptyStr().optional(),
  topic_prefix: topicPrefix().default('edgeprom/'),
  /** Largest push batch accepted from a device; the wire format's default bound. */
  max_batch_bytes: size().prefault(DEFAULT_MAX_WIRE_BYTES),
})
  .superRefine((m, ctx) => {
    if (m.url !== undefined && m.embedded !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'at most one of url (external broker) and embedded must be configured' });
    }
    if (m.url === undefined) {
      for (const f of ['username', 'password', 'password_file', 'client_id'] as const) {
        if (m[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `${f} is for an external broker; set url, or configure devices under embedded` });
      }
    }
    if ((m.password ?? '') !== '' && (m.password_file ?? '') !== '') {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'at most one of password & password_file must be configured' });
    }
    if (m.max_batch_bytes === 0) ctx.addIssue({ code: 'custom', path: ['max_batch_bytes'], message: 'must be greater than 0' });
  })
  .transform((m) => {
    const { embedded, url: brokerUrl, ...rest } = m;
    if (brokerUrl !== undefined) return { ...rest, mode: 'external' as const, url: brokerUrl, embedded: undefined };
    return { ...rest, mode: 'embedded' as const, url: undefined, embedded: embedded ?? embeddedBrokerSchema.parse({}) };
  });

export type MqttDevice = z.output<typeof mqttDeviceSchema>;
export type EmbeddedBrokerConfig = z.output<typeof embeddedBrokerSchema>;
export type AggregatorMqttConfig = z.output<typeof mqttSchema>;
