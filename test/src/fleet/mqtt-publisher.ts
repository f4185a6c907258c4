/**
 * A minimal MQTT 3.1.1 publisher over node:net, for tests that play a misbehaving device:
 * CONNECT (clean session, anonymous), PUBLISH at QoS 1 (resolves on PUBACK, so the broker
 * has the message), DISCONNECT. The test package depends on nothing but @edgeprom/shared, and
 * a device that sends bytes no agent would send needs no more than this.
 */
import net from 'node:net';

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), varint(body.length), body]);
}

export class RawMqttPublisher {
  readonly #socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiters: { type: number; resolve: (p: Buffer) => void }[] = [];
  #nextId = 1;
  #closed: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => this.#onData(d));
    const fail = (err: Error): void => {
      this.#closed = err;
      for (const w of this.#waiters.splice(0)) w.resolve(Buffer.alloc(0));
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the broker')));
  }

  /** Connects as `clientId` (anonymous: the aggregator takes the client id as the agent id). */
  static async connect(port: number, clientId: string): Promise<RawMqttPublisher> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawMqttPublisher(socket);
    // Protocol "MQTT" level 4, flags: clean session; keepalive 60 s.
    const header = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60])]);
    socket.write(packet(0x10, Buffer.concat([header, str(clientId)])));
    const ack = await c.#next(0x20);
    if (ack.length < 2 || ack[1] !== 0) throw new Error(`CONNACK refused the client ${clientId}: return code ${ack[1] ?? '(connection closed)'}`);
    return c;
  }

  /** PUBLISH at QoS 1; resolves once the broker acknowledged it. */
  async publish(topic: string, payload: Uint8Array, retain = false): Promise<void> {
    const id = this.#nextId++;
    const pid = Buffer.alloc(2);
    pid.writeUInt16BE(id);
    this.#socket.write(packet(0x32 | (retain ? 1 : 0), Buffer.concat([str(topic), pid, Buffer.from(payload)])));
    const ack = await this.#next(0x40);
    if (ack.length < 2 || ack.readUInt16BE(0) !== id) throw new Error(`no PUBACK for ${topic}: ${this.#closed?.message ?? 'unexpected packet'}`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.end(Buffer.from([0xe0, 0]));
    await closed;
  }

  #next(type: number): Promise<Buffer> {
    if (this.#closed) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve) => this.#waiters.push({ type, resolve }));
  }

  #onData(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    for (;;) {
      if (this.#buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; i < this.#buf.length; i++) {
        len += (this.#buf[i]! & 0x7f) * mul;
        mul *= 128;
        if ((this.#buf[i]! & 0x80) === 0) break;
      }
      if (i >= this.#buf.length || this.#buf.length < i + 1 + len) return;
      const type = this.#buf[0]! & 0xf0;
      const body = this.#buf.subarray(i + 1, i + 1 + len);
      this.#buf = this.#buf.subarray(i + 1 + len);
      const w = this.#waiters.findIndex((x) => x.type === type);
      if (w >= 0) this.#waiters.splice(w, 1)[0]!.resolve(body);
    }
  }
}
