/**
 * Field rules shared by the encoder (which refuses to produce what a receiver would reject)
 * and the decoder (which must reject anything, however mangled, with a typed error). Every
 * reader takes `unknown` and either returns a checked value or throws ERR_WIRE_MALFORMED
 * naming the field path.
 */
import { agentIdProblem } from './topics.js';
import { MAX_AGENT_ID_LENGTH, MAX_BOOT_ID_LENGTH } from './message.js';
import type { AckMessage, PresenceMessage } from './message.js';
import { malformed } from './wire-error.js';

export const MAX_VERSION_LENGTH = 128;
export const MAX_METRICS_PATH_LENGTH = 1024;
export const MAX_ADDRESSES = 16;
export const MAX_ADDRESS_LENGTH = 256;

/** Reads a field of a decoded CBOR map or of an input object. */
export type Getter = (key: string) => unknown;

/** A non-negative integer that a double holds exactly. CBOR uint64s beyond that are refused. */
export function readUint(x: unknown, path: string): number {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return x === 0 ? 0 : x;
  } else if (typeof x === 'bigint') {
    if (x >= 0n && x <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(x);
    return malformed(path, `integer ${x} out of range (0..2^53-1)`);
  }
  return malformed(path, `expected unsigned integer, got ${describeValue(x)}`);
}

/** An integer (possibly negative) that a double holds exactly. */
export function readInt(x: unknown, path: string): number {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x)) return x === 0 ? 0 : x;
  } else if (typeof x === 'bigint') {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    if (x >= -max && x <= max) return Number(x);
    return malformed(path, `integer ${x} out of range (±2^53-1)`);
  }
  return malformed(path, `expected integer, got ${describeValue(x)}`);
}

export function readString(x: unknown, path: string, max: number): string {
  if (typeof x !== 'string') return malformed(path, `expected text string, got ${describeValue(x)}`);
  if (x.length > max) return malformed(path, `longer than ${max} characters`);
  return x;
}

export function readId(x: unknown, path: string, max: number): string {
  const problem = agentIdProblem(x, max);
  if (problem !== undefined) return malformed(path, problem);
  return x as string;
}

export function required(get: Getter, key: string): unknown {
  const x = get(key);
  if (x === undefined) malformed(key, 'missing');
  return x;
}

/** The fields every message carries besides v and type. */
export function readAgentBoot(get: Getter): { agent: string; boot: string } {
  return {
    agent: readId(required(get, 'agent'), 'agent', MAX_AGENT_ID_LENGTH),
    boot: readId(required(get, 'boot'), 'boot', MAX_BOOT_ID_LENGTH),
  };
}

export function readPresence(get: Getter): PresenceMessage {
  const { agent, boot } = readAgentBoot(get);
  const bootSeq = readUint(required(get, 'bootSeq'), 'bootSeq');
  const state = required(get, 'state');
  if (state !== 'online' && state !== 'offline') malformed('state', 'expected "online" or "offline"');
  const version = readString(required(get, 'version'), 'version', MAX_VERSION_LENGTH);
  const ts = readInt(required(get, 'ts'), 'ts');
  const msg: PresenceMessage = { v: 1, type: 'presence', agent, boot, bootSeq, state, version, ts };
  const metricsPath = get('metricsPath');
  if (metricsPath !== undefined) {
    msg.metricsPath = readString(metricsPath, 'metricsPath', MAX_METRICS_PATH_LENGTH);
    if (!msg.metricsPath.startsWith('/')) malformed('metricsPath', 'must start with "/"');
  }
  const addresses = get('addresses');
  if (addresses !== undefined) {
    if (!Array.isArray(addresses)) malformed('addresses', `expected array of text strings, got ${describeValue(addresses)}`);
    if (addresses.length > MAX_ADDRESSES) malformed('addresses', `more than ${MAX_ADDRESSES} entries`);
    msg.addresses = addresses.map((a, i) => {
      const s = readString(a, `addresses[${i}]`, MAX_ADDRESS_LENGTH);
      if (s === '') malformed(`addresses[${i}]`, 'must not be empty');
      return s;
    });
  }
  const port = get('port');
  if (port !== undefined) {
    msg.port = readUint(port, 'port');
    if (msg.port < 1 || msg.port > 65535) malformed('port', `expected 1..65535, got ${msg.port}`);
  }
  return msg;
}

export function readAck(get: Getter): AckMessage {
  const { agent, boot } = readAgentBoot(get);
  return { v: 1, type: 'ack', agent, boot, seqTo: readUint(required(get, 'seqTo'), 'seqTo') };
}

/** A short description of a value for error messages (never its full content). */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `array(${x.length})`;
  if (x instanceof Map) return 'map';
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${x.byteLength} bytes)`;
  if (typeof x === 'string') return `text "${x.length > 20 ? `${x.slice(0, 20)}…` : x}"`;
  if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  if (typeof x === 'object') return x.constructor?.name ?? 'object';
  return typeof x;
}
