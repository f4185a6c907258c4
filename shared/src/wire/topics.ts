/**
 * MQTT topic names (prefix configurable, default `edgeprom/`):
 *   <prefix>presence/<agent>   retained presence; the agent's last will marks it offline
 *   <prefix>push/<agent>       batches (QoS 1)
 *   <prefix>ack/<agent>        acks from the aggregator (QoS 1)
 *   <prefix>alerts/<receiver>  alert notifications
 *
 * The agent id is exactly one topic level, so broker ACLs can grant a device its own
 * `<prefix>+/<agent>` topics and nothing else. That only holds if an id can never contain a
 * level separator or a wildcard, which is why ids are validated wherever they are used.
 */
import { MAX_AGENT_ID_LENGTH } from './message.js';
import { WIRE_ERROR_CODES, WireError } from './wire-error.js';

export type TopicKind = 'presence' | 'push' | 'ack' | 'alerts';

export interface Topics {
  readonly prefix: string;
  presence(agent: string): string;
  push(agent: string): string;
  ack(agent: string): string;
  alerts(receiver: string): string;
  /** Subscription filters for the aggregator. */
  readonly presenceFilter: string;
  readonly pushFilter: string;
  /** The kind and id of one of our topics, or undefined for any other topic. */
  parse(topic: string): { kind: TopicKind; id: string } | undefined;
}

// Wildcards and the level separator break ACLs; control characters (NUL is forbidden in MQTT
// strings) and lone surrogates (not encodable as UTF-8) break the topic itself.
const FORBIDDEN = /[+#/\u0000-\u001f\u007f]|\p{Cs}/u;

/** Why `id` cannot be an agent id or receiver name, or undefined if it can. */
export function agentIdProblem(id: unknown, max = MAX_AGENT_ID_LENGTH): string | undefined {
  if (typeof id !== 'string') return 'expected a string';
  if (id.length === 0) return 'must not be empty';
  if (id.length > max) return `longer than ${max} characters`;
  if (FORBIDDEN.test(id)) return 'must not contain +, #, /, control characters or lone surrogates';
  return undefined;
}

export function isValidAgentId(id: unknown): id is string {
  return agentIdProblem(id) === undefined;
}

/** Throws ERR_WIRE_AGENT_ID unless `id` is a valid agent id (or receiver name). */
export function assertAgentId(id: unknown, what = 'agent id'): asserts id is string {
  const problem = agentIdProblem(id);
  if (problem !== undefined) {
    throw new WireError(WIRE_ERROR_CODES.AGENT_ID, '', `invalid ${what} ${JSON.stringify(id)}: ${problem}`);
  }
}

const KINDS: readonly TopicKind[] = ['presence', 'push', 'ack', 'alerts'];

/** Topic names under `prefix`, which must be '' or end with `/` and hold no wildcard. */
export function topics(prefix = 'edgeprom/'): Topics {
  if (prefix !== '' && (!prefix.endsWith('/') || /[+#\u0000]/.test(prefix))) {
    throw new WireError(
      WIRE_ERROR_CODES.TOPIC_PREFIX,
      '',
      `invalid topic prefix ${JSON.stringify(prefix)}: must be empty or end with "/", without + # or NUL`,
    );
  }
  const make = (kind: TopicKind, what: string) => (id: string) => {
    assertAgentId(id, what);
    return `${prefix}${kind}/${id}`;
  };
  return Object.freeze({
    prefix,
    presence: make('presence', 'agent id'),
    push: make('push', 'agent id'),
    ack: make('ack', 'agent id'),
    alerts: make('alerts', 'receiver name'),
    presenceFilter: `${prefix}presence/+`,
    pushFilter: `${prefix}push/+`,
    parse(topic: string) {
      if (!topic.startsWith(prefix)) return undefined;
      const rest = topic.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) return undefined;
      const kind = rest.slice(0, slash) as TopicKind;
      const id = rest.slice(slash + 1);
      if (!KINDS.includes(kind) || !isValidAgentId(id)) return undefined;
      return { kind, id };
    },
  });
}
