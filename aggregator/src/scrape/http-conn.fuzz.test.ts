/**
 * Property tests of HttpConnection against a raw TCP server on 127.0.0.1: (1) any valid response
 * written in arbitrary pieces reads the same as written whole, and as the model says; (2) any
 * bytes as a response settle the request (a result or an Error with a code), never a crash or
 * a hang. Waits are bounded by an abort signal, not by timing assertions.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpConnection } from './http-conn.js';
import { collect, get, rawServer, type Got, type RawServer } from './http-conn-test-util.js';

let srv: RawServer;
/** What the server writes for the current run: pieces, written one per event-loop turn. */
let pieces: Buffer[] = [];
let endAfter = false;
beforeAll(async () => {
  srv = await rawServer(async (_req, sock) => {
    for (const p of pieces) {
      sock.write(p);
      await new Promise((r) => setImmediate(r));
    }
    if (endAfter) sock.end();
  });
});
afterAll(() => srv.close());

const BOUND = 10_000;
const bounded = () => AbortSignal.timeout(BOUND);

async function fetchPieces(conn: HttpConnection, bytes: Buffer, cuts: number[], end: boolean, signal = bounded()): Promise<Got> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  pieces = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) pieces.push(bytes.subarray(from, c));
    from = c;
  }
  endAfter = end;
  const { got, handler } = collect();
  await conn.request(get(), handler, signal);
  return got;
}

const tchars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const token = fc.string({ unit: fc.constantFrom(...tchars), minLength: 1, maxLength: 12 });
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);
const fieldName = token.filter((n) => !FRAMING.has(n.toLowerCase()));
const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const fieldValue = fc.oneof(
  fc.constant(''),
  fc.tuple(visible, fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 20 }), visible).map(([a, m, z]) => a + m + z),
);
const ows = fc.constantFrom('', ' ', '  ', '\t');
const eol = fc.constantFrom('\r\n', '\n');

interface Model {
  bytes: Buffer;
  status: number;
  reason: string;
  headers: Map<string, string>;
  body: Buffer;
  close: boolean;
}

const response = fc
  .record({
    status: fc.oneof(fc.constantFrom(200, 204, 304, 404, 503), fc.integer({ min: 200, max: 599 })),
    reason: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 16 }),
    informational: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    fields: fc.array(fc.tuple(fieldName, ows, fieldValue, ows), { maxLength: 6 }),
    framing: fc.constantFrom('length', 'chunked', 'close'),
    body: fc.uint8Array({ maxLength: 3000 }),
    chunkCuts: fc.array(fc.nat(), { maxLength: 6 }),
    chunkStyle: fc.array(fc.tuple(fc.boolean(), fc.constantFrom('', ';x', ';a=b;c="d"', ' ;ext')), { maxLength: 8 }),
    trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }),
    eol,
  })
  .map((r): Model => {
    const noBody = r.status === 204 || r.status === 304;
    const body = noBody ? Buffer.alloc(0) : Buffer.from(r.body);
    const framing = noBody ? 'none' : r.framing;
    const out: Buffer[] = [];
    const put = (s: string) => out.push(Buffer.from(s, 'latin1'));
    for (const s of r.informational) put(`HTTP/1.1 ${s} Info${r.eol}${r.eol}`);
    put(`HTTP/1.1 ${r.status}${r.reason === '' ? '' : ` ${r.reason}`}${r.eol}`);
    const headers = new Map<string, string>();
    const add = (name: string, value: string) => {
      const k = name.toLowerCase();
      const prev = headers.get(k);
      headers.set(k, prev === undefined ? value : `${prev}, ${value}`);
    };
    for (const [name, a, value, z] of r.fields) {
      put(`${name}:${a}${value}${z}${r.eol}`);
      add(name, value);
    }
    if (framing === 'length') {
      put(`Content-Length: ${body.length}${r.eol}`);
      add('content-length', String(body.length));
    } else if (framing === 'chunked') {
      put(`Transfer-Encoding: chunked${r.eol}`);
      add('transfer-encoding', 'chunked');
    }
    put(r.eol);
    if (framing === 'chunked') {
      const cuts = [...new Set(r.chunkCuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
      let from = 0;
      let k = 0;
      for (const c of [...cuts, body.length]) {
        if (c === from) continue;
        const [upper, ext] = r.chunkStyle[k++ % Math.max(1, r.chunkStyle.length)] ?? [false, ''];
        const size = (c - from).toString(16);
        put(`${upper ? size.toUpperCase() : size}${ext}${r.eol}`);
        out.push(body.subarray(from, c));
        put(r.eol);
        from = c;
      }
      put(`0${r.eol}`);
      for (const [name, value] of r.trailers) put(`${name}: ${value}${r.eol}`);
      put(r.eol);
    } else out.push(body);
    return { bytes: Buffer.concat(out), status: r.status, reason: r.reason, headers, body, close: framing === 'close' };
  });

describe('HttpConnection properties', () => {
  it('reads any valid response split anywhere exactly as written whole', async () => {
    await fc.assert(
      fc.asyncProperty(response, fc.array(fc.nat(), { maxLength: 10 }), async (m, cuts) => {
        const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port: srv.port });
        try {
          const whole = await fetchPieces(conn, m.bytes, [], m.close);
          const split = await fetchPieces(conn, m.bytes, cuts, m.close);
          for (const got of [whole, split]) {
            expect(got.heads).toBe(1);
            expect(got.status).toBe(m.status);
            expect(got.reason).toBe(m.reason);
            expect(got.headers).toEqual(m.headers);
            expect(got.body.equals(m.body)).toBe(true);
          }
        } finally {
          conn.close();
        }
      }),
      { numRuns: 80 },
    );
  });

  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc
      .tuple(fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n'), fc.uint8Array({ maxLength: 100 }))
      .map(([p, b]) => Buffer.concat([Buffer.from(p), b])),
    fc.tuple(response, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([m, flips]) => {
      const b = Buffer.from(m.bytes);
      for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
      return b;
    }),
  );

  it('settles on any bytes as a response: a result or an Error with a code', async () => {
    await fc.assert(
      fc.asyncProperty(garbage, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, cuts) => {
        const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port: srv.port });
        const signal = bounded();
        try {
          await fetchPieces(conn, bytes, cuts, true, signal).catch((e: unknown) => {
            expect(signal.aborted).toBe(false);
            expect(e).toBeInstanceOf(Error);
            expect(typeof (e as { code?: unknown }).code).toBe('string');
          });
        } finally {
          conn.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
