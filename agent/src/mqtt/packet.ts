/**
 * MQTT 3.1.1 packets, client side only: encoders for what a client sends (CONNECT, PUBLISH,
 * PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, PINGREQ, DISCONNECT) and an incremental decoder
 * for what a server sends (CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK,
 * PINGRESP).
 *
 * Why not mqtt-packet: its parser pulls in `bl` and readable-stream 4 (3.6 MB of private
 * memory in a bare node), its generator `debug` (1.3 MB); this file costs about 0.1 MB.
 * mqtt-packet is the oracle in packet.test.ts: every packet we encode is parsed by it, and
 * every packet it generates is decoded by us, with fast-check choosing the packets.
 *
 * The decoder is total: any byte sequence gives packets or a `MqttProtocolError` naming the
 * packet type, byte offset in the stream and the rule broken; it never throws anything else.
 * The caller then closes the connection (MQTT-4.8.0-1).
 */
import { EdgepromError } from '@edgeprom/shared';

export const PACKET_TYPES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'reserved'] as const;

/** The largest remaining length MQTT can express (4 length bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export class MqttProtocolError extends EdgepromError {
  constructor(message: string) {
    super('ERR_MQTT_PROTOCOL', message);
    this.name = 'MqttProtocolError';
  }
}

export type QoS = 0 | 1 | 2;

export interface ConnectPacket {
  clientId: string;
  clean: boolean;
  /** Seconds; 0 switches keepalive off. */
  keepalive: number;
  username?: string;
  password?: Uint8Array;
  will?: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean };
}

export interface PublishPacket {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present when qos > 0. */
  messageId?: number;
}

export type ServerPacket =
  | { cmd: 'connack'; sessionPresent: boolean; returnCode: number }
  | ({ cmd: 'publish' } & PublishPacket)
  | { cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; messageId: number }
  | { cmd: 'suback'; messageId: number; granted: number[] }
  | { cmd: 'pingresp' };

// ---- encoding ----

const enc = new TextEncoder();

function utf8(s: string, what: string): Uint8Array {
  const b = enc.encode(s);
  if (b.length > 0xffff) throw new MqttProtocolError(`${what} is ${b.length} bytes of UTF-8; MQTT strings are at most 65535`);
  if (s.includes('\u0000')) throw new MqttProtocolError(`${what} contains U+0000, which MQTT strings must not (MQTT-1.5.3-2)`);
  return b;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new MqttProtocolError(`packet identifier ${id} is not in 1..65535`);
}

function remainingLengthBytes(n: number): number[] {
  if (n > MAX_REMAINING_LENGTH) throw new MqttProtocolError(`packet of ${n} bytes is over MQTT's limit of ${MAX_REMAINING_LENGTH}`);
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return out;
}

/** Assembles header + parts (strings and binaries get a 2-byte length when `lp`). */
class Writer {
  readonly #parts: (Uint8Array | number[])[] = [];
  #len = 0;
  bytes(b: Uint8Array | number[]): this {
    this.#parts.push(b);
    this.#len += b.length;
    return this;
  }
  u16(n: number): this {
    return this.bytes([n >> 8, n & 0xff]);
  }
  lp(b: Uint8Array): this {
    if (b.length > 0xffff) throw new MqttProtocolError(`field of ${b.length} bytes is over MQTT's 65535`);
    return this.u16(b.length).bytes(b);
  }
  finish(first: number): Buffer {
    const rl = remainingLengthBytes(this.#len);
    const out = Buffer.allocUnsafe(1 + rl.length + this.#len);
    out[0] = first;
    out.set(rl, 1);
    let o = 1 + rl.length;
    for (const p of this.#parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export function encodeConnect(p: ConnectPacket): Buffer {
  if (!Number.isInteger(p.keepalive) || p.keepalive < 0 || p.keepalive > 0xffff) throw new MqttProtocolError(`keepalive ${p.keepalive} is not in 0..65535 seconds`);
  if (p.password !== undefined && p.username === undefined) throw new MqttProtocolError('a password needs a username in MQTT 3.1.1 (MQTT-3.1.2-22)');
  const will = p.will;
  let flags = p.clean ? 0x02 : 0;
  if (will) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.username !== undefined) flags |= 0x80;
  if (p.password !== undefined) flags |= 0x40;
  const w = new Writer().lp(enc.encode('MQTT')).bytes([4, flags]).u16(p.keepalive).lp(utf8(p.clientId, 'client id'));
  if (will) w.lp(utf8(will.topic, 'will topic')).lp(will.payload);
  if (p.username !== undefined) w.lp(utf8(p.username, 'username'));
  if (p.password !== undefined) w.lp(p.password);
  return w.finish(0x10);
}

/** Checks a topic name we publish to: non-empty, no wildcards. */
export function checkTopicName(topic: string): void {
  if (topic === '') throw new MqttProtocolError('topic name is empty (MQTT-4.7.3-1)');
  if (topic.includes('+') || topic.includes('#')) throw new MqttProtocolError(`topic name ${JSON.stringify(topic)} contains a wildcard, which publishes must not (MQTT-3.3.2-2)`);
}

export function encodePublish(p: PublishPacket): Buffer {
  if (p.qos !== 0 && p.qos !== 1 && p.qos !== 2) throw new MqttProtocolError(`QoS ${String(p.qos)} is not 0, 1 or 2`);
  checkTopicName(p.topic);
  const w = new Writer().lp(utf8(p.topic, 'topic name'));
  if (p.qos > 0) {
    if (p.messageId === undefined) throw new MqttProtocolError(`a QoS ${p.qos} publish needs a packet identifier`);
    checkId(p.messageId);
    w.u16(p.messageId);
  }
  w.bytes(p.payload);
  return w.finish(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
}

function ack(first: number, id: number): Buffer {
  checkId(id);
  return Buffer.from([first, 2, id >> 8, id & 0xff]);
}

export const encodePuback = (id: number): Buffer => ack(0x40, id);
export const encodePubrec = (id: number): Buffer => ack(0x50, id);
export const encodePubrel = (id: number): Buffer => ack(0x62, id);
export const encodePubcomp = (id: number): Buffer => ack(0x70, id);

export function encodeSubscribe(messageId: number, subs: readonly { topic: string; qos: QoS }[]): Buffer {
  checkId(messageId);
  if (subs.length === 0) throw new MqttProtocolError('a SUBSCRIBE needs at least one topic filter (MQTT-3.8.3-3)');
  const w = new Writer().u16(messageId);
  for (const s of subs) {
    if (s.topic === '') throw new MqttProtocolError('topic filter is empty (MQTT-4.7.3-1)');
    w.lp(utf8(s.topic, 'topic filter')).bytes([s.qos]);
  }
  return w.finish(0x82);
}

export const PINGREQ: Buffer = Buffer.from([0xc0, 0]);
export const DISCONNECT: Buffer = Buffer.from([0xe0, 0]);

// ---- decoding ----

const dec = new TextDecoder('utf-8', { fatal: true });

export interface PacketReaderOptions {
  /** Largest packet accepted (fixed header included). Default 1 MiB. */
  maxPacketBytes?: number;
}

export const DEFAULT_MAX_PACKET_BYTES = 1 << 20;

/**
 * Incremental decoder: `push(chunk)` returns the packets completed by that chunk. After an
 * error the stream is out of sync: the reader stays failed and the connection must close.
 */
export class PacketReader {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #have = 0;
  /** Bytes consumed so far (for error positions). */
  #offset = 0;
  #failed: MqttProtocolError | undefined;

  constructor(opts: PacketReaderOptions = {}) {
    this.#max = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  }

  push(chunk: Uint8Array): ServerPacket[] {
    if (this.#failed) throw this.#failed;
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#have += chunk.length;
    }
    const out: ServerPacket[] = [];
    try {
      for (;;) {
        const p = this.#next();
        if (!p) break;
        out.push(p);
      }
    } catch (err) {
      this.#failed = err instanceof MqttProtocolError ? err : new MqttProtocolError(`cannot decode: ${(err as Error).message}`);
      this.#chunks = [];
      throw this.#failed;
    }
    return out;
  }

  /** Bytes received that do not form a whole packet yet. */
  get pending(): number {
    return this.#have;
  }

  #peek(n: number): Buffer {
    if (this.#chunks.length > 1 && this.#chunks[0].length < n) {
      this.#chunks = [Buffer.concat(this.#chunks, this.#have)];
    }
    return this.#chunks[0];
  }

  #next(): ServerPacket | undefined {
    if (this.#have < 2) return undefined;
    const head = this.#peek(Math.min(this.#have, 5));
    let len = 0;
    let mul = 1;
    let i = 1;
    for (;;) {
      if (i >= head.length) return undefined;
      if (i > 4) throw this.#err(head[0], 'remaining length has more than 4 bytes');
      const d = head[i++];
      len += (d & 0x7f) * mul;
      if ((d & 0x80) === 0) break;
      mul *= 128;
    }
    const total = i + len;
    if (total > this.#max) throw this.#err(head[0], `packet of ${total} bytes is over the limit of ${this.#max} (maxPacketBytes)`);
    if (this.#have < total) return undefined;
    const buf = this.#peek(total);
    const body = buf.subarray(i, total);
    const first = buf[0];
    const at = this.#offset;
    // Consume before decoding: the body is a view, and the decode below only reads it.
    if (buf.length === total) this.#chunks.shift();
    else this.#chunks[0] = buf.subarray(total);
    this.#have -= total;
    this.#offset += total;
    return decodeBody(first, body, at);
  }

  #err(first: number, why: string): MqttProtocolError {
    return new MqttProtocolError(`${PACKET_TYPES[first >> 4]} at byte ${this.#offset} from the broker: ${why}`);
  }
}

function decodeBody(first: number, b: Buffer, at: number): ServerPacket {
  const type = first >> 4;
  const flags = first & 0x0f;
  const name = PACKET_TYPES[type];
  const fail = (why: string) => new MqttProtocolError(`${name} at byte ${at} from the broker: ${why}`);
  const fixedFlags = (want: number) => {
    if (flags !== want) throw fail(`header flags are 0x${flags.toString(16)}, must be 0x${want.toString(16)} (MQTT-2.2.2-2)`);
  };
  const exactly = (n: number) => {
    if (b.length !== n) throw fail(`remaining length is ${b.length}, must be ${n}`);
  };
  const id = (o: number) => {
    const v = b.readUInt16BE(o);
    if (v === 0) throw fail('packet identifier 0 (MQTT-2.3.1-1)');
    return v;
  };
  switch (type) {
    case 2: {
      fixedFlags(0);
      exactly(2);
      if (b[0] & 0xfe) throw fail(`acknowledge flags 0x${b[0].toString(16)} have reserved bits set (MQTT-3.2.2-1)`);
      return { cmd: 'connack', sessionPresent: (b[0] & 1) === 1, returnCode: b[1] };
    }
    case 3: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) throw fail('QoS 3 (MQTT-3.3.1-4)');
      const dup = (flags & 8) !== 0;
      if (qos === 0 && dup) throw fail('DUP set on a QoS 0 message (MQTT-3.3.1-2)');
      if (b.length < 2) throw fail('too short for a topic name');
      const tl = b.readUInt16BE(0);
      if (2 + tl + (qos > 0 ? 2 : 0) > b.length) throw fail(`topic name of ${tl} bytes and packet identifier do not fit in ${b.length} bytes`);
      let topic: string;
      try {
        topic = dec.decode(b.subarray(2, 2 + tl));
      } catch {
        throw fail('topic name is not valid UTF-8 (MQTT-1.5.3-1)');
      }
      if (topic === '') throw fail('empty topic name (MQTT-4.7.3-1)');
      if (topic.includes('\u0000')) throw fail('topic name contains U+0000 (MQTT-1.5.3-2)');
      if (topic.includes('+') || topic.includes('#')) throw fail(`topic name ${JSON.stringify(topic)} contains a wildcard (MQTT-3.3.2-2)`);
      let o = 2 + tl;
      const p: ServerPacket = { cmd: 'publish', topic, payload: b, qos: qos as QoS, retain: (flags & 1) === 1, dup };
      if (qos > 0) {
        p.messageId = id(o);
        o += 2;
      }
      // A copy: the receive buffer is reused by the socket's next chunks.
      p.payload = Uint8Array.prototype.slice.call(b, o) as Uint8Array;
      return p;
    }
    case 4:
    case 5:
    case 7:
    case 11: {
      fixedFlags(0);
      exactly(2);
      const cmd = type === 4 ? 'puback' : type === 5 ? 'pubrec' : type === 7 ? 'pubcomp' : 'unsuback';
      return { cmd, messageId: id(0) };
    }
    case 6: {
      fixedFlags(2);
      exactly(2);
      return { cmd: 'pubrel', messageId: id(0) };
    }
    case 9: {
      fixedFlags(0);
      if (b.length < 3) throw fail(`remaining length ${b.length} is too short (an identifier and at least one return code)`);
      const granted: number[] = [];
      for (let o = 2; o < b.length; o++) {
        const rc = b[o];
        if (rc !== 0 && rc !== 1 && rc !== 2 && rc !== 0x80) throw fail(`return code 0x${rc.toString(16)} is not 0, 1, 2 or 0x80 (MQTT-3.9.3-2)`);
        granted.push(rc);
      }
      return { cmd: 'suback', messageId: id(0), granted };
    }
    case 13: {
      fixedFlags(0);
      exactly(0);
      return { cmd: 'pingresp' };
    }
    default:
      throw fail('a server never sends this packet type to a client');
  }
}

const REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'identifier rejected (the broker refuses this client id)',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** "bad user name or password" for CONNACK code 4, and so on. */
export function connackReason(code: number): string {
  return REFUSALS[code] ?? `unknown return code ${code}`;
}
