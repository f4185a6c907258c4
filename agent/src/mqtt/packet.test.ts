/**
 * Our MQTT 3.1.1 codec against mqtt-packet (the codec mqtt.js and aedes use) as the oracle:
 * what we encode, mqtt-packet parses to the same packet; what mqtt-packet generates for a
 * server, we decode to the same packet, however the bytes are split. And any bytes at all
 * give packets or an MqttProtocolError, nothing else.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import {
  DISCONNECT,
  MqttProtocolError,
  PINGREQ,
  PacketReader,
  connackReason,
  encodeConnect,
  encodePuback,
  encodePubcomp,
  encodePublish,
  encodePubrec,
  encodePubrel,
  encodeSubscribe,
  type ServerPacket,
} from './packet.js';

/** Parses client packets with mqtt-packet. */
function oracleParse(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on('packet', (p: mqttPacket.Packet) => out.push(p));
  parser.on('error', (e: Error) => errors.push(e));
  parser.parse(bytes);
  if (errors.length) throw errors[0];
  return out;
}

/** mqtt-packet wants Buffer payloads. */
const gen = (p: { cmd: string; payload?: Uint8Array; [k: string]: unknown }) => mqttPacket.generate((p.payload ? { ...p, payload: Buffer.from(p.payload) } : p) as mqttPacket.Packet, { protocolVersion: 4 });

/** Splits bytes at the given cut points. */
function split(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    parts.push(b.subarray(prev, c));
    prev = c;
  }
  parts.push(b.subarray(prev));
  return parts;
}

function readAll(parts: Buffer[], max?: number): ServerPacket[] {
  const r = new PacketReader({ maxPacketBytes: max });
  const out: ServerPacket[] = [];
  for (const p of parts) out.push(...r.push(p));
  expect(r.pending).toBe(0);
  return out;
}

// Topic names: non-empty, no wildcards, no U+0000 (which a server must not send either).
const topicName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/[+#\u0000]/.test(s));
const bytes = fc.uint8Array({ maxLength: 300 });
const id = fc.integer({ min: 1, max: 0xffff });

describe('MQTT packet encoding (parsed back by mqtt-packet)', () => {
  it('CONNECT with every combination of clean session, credentials, will and keepalive', () => {
    fc.assert(
      fc.property(
        fc.record({
          clientId: fc.string({ maxLength: 30 }).filter((s) => !s.includes('\u0000')),
          clean: fc.boolean(),
          keepalive: fc.integer({ min: 0, max: 0xffff }),
          username: fc.option(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\u0000')), { nil: undefined }),
          password: fc.option(bytes, { nil: undefined }),
          will: fc.option(fc.record({ topic: topicName, payload: bytes, qos: fc.constantFrom(0 as const, 1 as const, 2 as const), retain: fc.boolean() }), { nil: undefined }),
        }),
        (c) => {
          if (c.password !== undefined && c.username === undefined) c.username = 'u';
          const [p] = oracleParse(encodeConnect(c)) as mqttPacket.IConnectPacket[];
          expect(p.cmd).toBe('connect');
          expect(p.protocolId).toBe('MQTT');
          expect(p.protocolVersion).toBe(4);
          expect(p.clientId).toBe(c.clientId);
          expect(p.clean).toBe(c.clean);
          expect(p.keepalive).toBe(c.keepalive);
          expect(p.username).toBe(c.username);
          if (c.password === undefined) expect(p.password).toBeUndefined();
          else expect(Buffer.from(p.password!).equals(Buffer.from(c.password))).toBe(true);
          if (!c.will) expect(p.will ?? undefined).toBeUndefined();
          else {
            expect(p.will).toMatchObject({ topic: c.will.topic, qos: c.will.qos, retain: c.will.retain });
            expect(Buffer.from(p.will!.payload as Buffer).equals(Buffer.from(c.will.payload))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('PUBLISH, SUBSCRIBE, acknowledgements, PINGREQ and DISCONNECT', () => {
    fc.assert(
      fc.property(topicName, bytes, fc.constantFrom(0 as const, 1 as const, 2 as const), fc.boolean(), fc.boolean(), id, (topic, payload, qos, retain, dup, messageId) => {
        const b = encodePublish({ topic, payload, qos, retain, dup: qos > 0 && dup, ...(qos > 0 ? { messageId } : {}) });
        const [p] = oracleParse(b) as mqttPacket.IPublishPacket[];
        expect(p).toMatchObject({ cmd: 'publish', topic, qos, retain, dup: qos > 0 && dup });
        if (qos > 0) expect(p.messageId).toBe(messageId);
        expect(Buffer.from(p.payload as Buffer).equals(Buffer.from(payload))).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(id, fc.array(fc.record({ topic: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\u0000')), qos: fc.constantFrom(0 as const, 1 as const, 2 as const) }), { minLength: 1, maxLength: 5 }), (messageId, subs) => {
        const [p] = oracleParse(encodeSubscribe(messageId, subs)) as mqttPacket.ISubscribePacket[];
        expect(p.cmd).toBe('subscribe');
        expect(p.messageId).toBe(messageId);
        expect(p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos }))).toEqual(subs);
      }),
    );
    const acks = oracleParse(Buffer.concat([encodePuback(1), encodePubrec(2), encodePubrel(3), encodePubcomp(0xffff), PINGREQ, DISCONNECT]));
    expect(acks.map((p) => [p.cmd, (p as { messageId?: number }).messageId])).toEqual([
      ['puback', 1],
      ['pubrec', 2],
      ['pubrel', 3],
      ['pubcomp', 0xffff],
      ['pingreq', undefined],
      ['disconnect', undefined],
    ]);
  });

  it('refuses what MQTT cannot carry, saying why', () => {
    expect(() => encodePublish({ topic: 'a/+', payload: new Uint8Array(), qos: 0, retain: false, dup: false })).toThrow(/wildcard.*MQTT-3\.3\.2-2/);
    expect(() => encodePublish({ topic: '', payload: new Uint8Array(), qos: 0, retain: false, dup: false })).toThrow(/topic name is empty/);
    expect(() => encodePublish({ topic: 'a', payload: new Uint8Array(), qos: 1, retain: false, dup: false })).toThrow(/needs a packet identifier/);
    expect(() => encodePuback(0)).toThrow(/packet identifier 0 is not in 1\.\.65535/);
    expect(() => encodeConnect({ clientId: 'c', clean: true, keepalive: 70_000 })).toThrow(/keepalive 70000/);
    expect(() => encodeConnect({ clientId: 'c', clean: true, keepalive: 1, password: new Uint8Array(1) })).toThrow(/password needs a username/);
    expect(() => encodeConnect({ clientId: 'x'.repeat(70_000), clean: true, keepalive: 1 })).toThrow(/client id is 70000 bytes/);
    expect(() => encodeSubscribe(1, [])).toThrow(/at least one topic filter/);
  });
});

describe('MQTT packet decoding (packets generated by mqtt-packet)', () => {
  const serverPacket = fc.oneof(
    fc.record({ cmd: fc.constant('connack' as const), sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ cmd: fc.constant('publish' as const), topic: topicName, payload: bytes, qos: fc.constantFrom(0 as const, 1 as const, 2 as const), retain: fc.boolean(), dup: fc.boolean(), messageId: id }).map((p) => (p.qos === 0 ? { ...p, dup: false, messageId: undefined } : p)),
    fc.record({ cmd: fc.constantFrom('puback' as const, 'pubrec' as const, 'pubrel' as const, 'pubcomp' as const, 'unsuback' as const), messageId: id }),
    fc.record({ cmd: fc.constant('suback' as const), messageId: id, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 8 }) }),
    fc.constant({ cmd: 'pingresp' as const }),
  );

  it('decodes every server packet, split anywhere', () => {
    fc.assert(
      fc.property(fc.array(serverPacket, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (packets, cuts) => {
        const wire = Buffer.concat(packets.map((p) => gen(p)));
        const got = readAll(split(wire, cuts));
        expect(got.length).toBe(packets.length);
        got.forEach((g, i) => {
          const want = packets[i];
          if (want.cmd === 'publish') {
            expect(g).toMatchObject({ cmd: 'publish', topic: want.topic, qos: want.qos, retain: want.retain, dup: want.dup });
            expect((g as { messageId?: number }).messageId).toBe(want.messageId);
            expect(Buffer.from((g as { payload: Uint8Array }).payload).equals(Buffer.from(want.payload))).toBe(true);
          } else expect(g).toEqual(want);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a payload survives the reuse of the buffer it arrived in', () => {
    const wire = gen({ cmd: 'publish', topic: 't', payload: Buffer.from('abc'), qos: 0, retain: false, dup: false });
    const [p] = new PacketReader().push(wire);
    wire.fill(0);
    expect(Buffer.from((p as { payload: Uint8Array }).payload).toString()).toBe('abc');
  });

  it('any bytes give packets or an MqttProtocolError, never another error (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.integer({ min: 2, max: 200 }), (chunks, max) => {
        const r = new PacketReader({ maxPacketBytes: max });
        for (const c of chunks) {
          try {
            r.push(c);
          } catch (err) {
            expect(err).toBeInstanceOf(MqttProtocolError);
            expect((err as MqttProtocolError).code).toBe('ERR_MQTT_PROTOCOL');
            // Once out of sync, the reader stays failed.
            expect(() => r.push(new Uint8Array([0xd0, 0]))).toThrow(MqttProtocolError);
            return;
          }
        }
      }),
      { numRuns: 2000 },
    );
    // Mutations of valid packets: the likelier kind of garbage.
    fc.assert(
      fc.property(serverPacket, fc.nat(), fc.integer({ min: 0, max: 255 }), (p, at, byte) => {
        const wire = Buffer.from(gen(p));
        wire[at % wire.length] = byte;
        try {
          new PacketReader().push(wire);
        } catch (err) {
          expect(err).toBeInstanceOf(MqttProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('malformed packets get an error naming the packet, the byte offset and the rule', () => {
    const bad = (b: number[], max?: number) => {
      try {
        new PacketReader({ maxPacketBytes: max }).push(Buffer.concat([Buffer.from([0xd0, 0]), Buffer.from(b)]));
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(bad([0x20, 2, 0x02, 0])).toBe('CONNACK at byte 2 from the broker: acknowledge flags 0x2 have reserved bits set (MQTT-3.2.2-1)');
    expect(bad([0x20, 3, 0, 0, 0])).toMatch(/CONNACK at byte 2 .*remaining length is 3, must be 2/);
    expect(bad([0x36, 3, 0, 1, 0x61])).toMatch(/PUBLISH .*QoS 3/);
    expect(bad([0x30, 3, 0, 1, 0xff])).toMatch(/PUBLISH .*not valid UTF-8/);
    expect(bad([0x30, 3, 0, 1, 0x23])).toMatch(/PUBLISH .*wildcard/);
    expect(bad([0x32, 4, 0, 1, 0x61, 0])).toMatch(/PUBLISH .*do not fit/);
    expect(bad([0x40, 2, 0, 0])).toMatch(/PUBACK .*packet identifier 0/);
    expect(bad([0x41, 2, 0, 1])).toMatch(/PUBACK .*header flags are 0x1, must be 0x0/);
    expect(bad([0x90, 3, 0, 1, 7])).toMatch(/SUBACK .*return code 0x7/);
    expect(bad([0x10, 0])).toMatch(/CONNECT at byte 2 from the broker: a server never sends this packet type/);
    expect(bad([0xc0, 0])).toMatch(/PINGREQ .*never sends/);
    expect(bad([0xd0, 0xff, 0xff, 0xff, 0xff, 0x01])).toMatch(/PINGRESP at byte 2 .*more than 4 bytes/);
    expect(bad([0x30, 0x80, 0x08], 1000)).toMatch(/PUBLISH at byte 2 .*1027 bytes is over the limit of 1000 \(maxPacketBytes\)/);
    expect(connackReason(4)).toBe('bad user name or password');
    expect(connackReason(99)).toBe('unknown return code 99');
  });
});
