/**
 * The broker URLs the agent's own MQTT client (agent/src/mqtt/connection.ts) can use: plain
 * TCP (`mqtt://`, `tcp://`, port 1883) and TLS (`mqtts://`, `tls://`, `ssl://`, port 8883).
 * Not `ws://`/`wss://`: the agent has no MQTT-over-WebSocket transport, so the config file
 * (agent-schema.ts) and `--mqtt.url` refuse them instead of the agent running pull-only.
 * No imports: the agent's flag parsing loads this without the config schemas (zod).
 */
export const AGENT_MQTT_URL_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'tls', 'ssl'] as const;
export const AGENT_MQTT_TLS_SCHEMES: readonly string[] = ['mqtts', 'tls', 'ssl'];

const SUPPORTED = 'use mqtt://, mqtts://, tcp://, tls:// or ssl://';

/** Why `url` is not a broker URL the agent can use, or undefined. Secrets in the URL are not repeated. */
export function agentMqttUrlError(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url.replace(/\/\/[^/@]*@/, '//***@'))} is not a URL (${SUPPORTED})`;
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme === 'ws' || scheme === 'wss') return `scheme "${scheme}" is not supported: the agent has no MQTT-over-WebSocket transport (${SUPPORTED})`;
  if (!(AGENT_MQTT_URL_SCHEMES as readonly string[]).includes(scheme)) return `scheme "${scheme}" is not supported (${SUPPORTED})`;
  if (u.hostname === '') return `${JSON.stringify(`${scheme}://`)} URL has no host`;
  return undefined;
}
