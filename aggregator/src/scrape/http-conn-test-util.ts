/**
 * Test helpers for `HttpConnection` (not a test file): a raw TCP server on 127.0.0.1 port 0
 * that answers each request head with scripted bytes, a tiny HTTP proxy, and a handler that
 * records what the connection delivered.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ResponseHandler } from './http-conn.js';

export interface Got {
  status: number;
  reason: string;
  headers: Map<string, string>;
  heads: number;
  body: Buffer;
}

/** A handler recording the response (body copied: the views are only valid during the call). */
export function collect(): { got: Got; handler: ResponseHandler } {
  const got: Got = { status: 0, reason: '', headers: new Map(), heads: 0, body: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  return {
    got,
    handler: {
      onHead(status, reason, headers) {
        got.status = status;
        got.reason = reason;
        got.headers = new Map(headers);
        got.heads++;
      },
      onBody(chunk) {
        parts.push(Buffer.from(chunk));
        got.body = Buffer.concat(parts);
      },
    },
  };
}

export const get = (path = '/metrics', host = 'example') => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');

/** Per request: the request head (latin1), the socket, its number (from 1) and the request's number on it. */
export type Responder = (req: string, sock: net.Socket, conn: number, nth: number) => void | Promise<void>;

export interface RawServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Request heads received, in order. */
  requests: string[];
  respond: Responder;
  /** Resolves when the server side of connection `n` (from 1) has closed. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP server that reads request heads (no request bodies) and lets `respond` write raw bytes. */
export async function rawServer(respond: Responder): Promise<RawServer> {
  const sockets: net.Socket[] = [];
  const closedAt = new Map<number, Promise<void>>();
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    const conn = ++state.connections;
    sockets.push(sock);
    closedAt.set(conn, new Promise((r) => sock.on('close', () => r())));
    let pending = '';
    let nth = 0;
    let queue = Promise.resolve();
    sock.on('error', () => {});
    sock.on('data', (b) => {
      pending += b.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n\r\n')) >= 0) {
        const req = pending.slice(0, i + 4);
        pending = pending.slice(i + 4);
        state.requests.push(req);
        const n = ++nth;
        queue = queue.then(() => state.respond(req, sock, conn, n));
      }
    });
  });
  const state: RawServer = {
    port: 0,
    connections: 0,
    requests: [],
    respond,
    closed: (n) => closedAt.get(n) ?? Promise.reject(new Error(`no connection ${n}`)),
    close: () => closeAll(server, sockets),
  };
  state.port = await listenLocal(server);
  return state;
}

export interface Proxy {
  port: number;
  /** CONNECT request lines and Proxy-Authorization values seen. */
  connects: { target: string; authorization: string | undefined }[];
  /** Request lines of plain (absolute-form) requests seen. */
  plain: string[];
  /** Answer to the next CONNECT instead of tunnelling (e.g. "407 Proxy Authentication Required"). */
  refuse: string | undefined;
  close(): Promise<void>;
}

/** An HTTP proxy (over TLS with `cert`): tunnels CONNECT to 127.0.0.1, answers plain requests itself with their request line. */
export async function tinyProxy(cert?: { cert: Buffer; key: Buffer }): Promise<Proxy> {
  const sockets: net.Socket[] = [];
  const onClient = (client: net.Socket) => {
    sockets.push(client);
    client.on('error', () => {});
    let pending = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      pending = Buffer.concat([pending, b]);
      const i = pending.indexOf('\r\n\r\n');
      if (i < 0) return;
      const head = pending.subarray(0, i).toString('latin1');
      const rest = pending.subarray(i + 4);
      pending = Buffer.alloc(0);
      const [line, ...fields] = head.split('\r\n');
      const [method, target] = line.split(' ');
      if (method !== 'CONNECT') {
        state.plain.push(line);
        client.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(line)}\r\n\r\n${line}`);
        return;
      }
      const auth = fields.find((f) => f.toLowerCase().startsWith('proxy-authorization:'));
      state.connects.push({ target, authorization: auth?.slice(auth.indexOf(':') + 1).trim() });
      if (state.refuse !== undefined) {
        client.end(`HTTP/1.1 ${state.refuse}\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      client.off('data', onData);
      const port = Number(target.slice(target.lastIndexOf(':') + 1));
      const upstream = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      sockets.push(upstream);
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  };
  const server = cert === undefined ? net.createServer(onClient) : tls.createServer(cert, onClient);
  const state: Proxy = {
    port: 0,
    connects: [],
    plain: [],
    refuse: undefined,
    close: () => closeAll(server, sockets),
  };
  state.port = await listenLocal(server);
  return state;
}

/** Listens on 127.0.0.1, port 0; resolves with the port. */
async function listenLocal(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Destroys the sockets a test server keeps, then closes it. */
function closeAll(server: net.Server, sockets: readonly net.Socket[]): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}
