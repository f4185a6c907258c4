/**
 * HttpConnection against real servers on 127.0.0.1: node:http, raw TCP servers writing exact
 * bytes, node:tls / node:https with the MQTT test certificate, and a tiny CONNECT proxy.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConnection, type ConnTarget } from './http-conn.js';
import { collect, get, rawServer, tinyProxy, type RawServer, type Responder } from './http-conn-test-util.js';

const testdata = (f: string) => fileURLToPath(new URL(`../../../agent/src/mqtt/testdata/${f}`, import.meta.url));
const CERT = fs.readFileSync(testdata('broker-cert.pem'));
const KEY = fs.readFileSync(testdata('broker-key.pem'));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function raw(respond: Responder, limits?: { maxHeaderBytes?: number }): Promise<{ srv: RawServer; conn: HttpConnection }> {
  const srv = await rawServer(respond);
  const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port: srv.port }, limits);
  cleanup.push(() => srv.close(), () => conn.close());
  return { srv, conn };
}

/** A raw server answering every request with `bytes`. */
const fixed = (bytes: string, limits?: { maxHeaderBytes?: number }) => raw((_r, s) => void s.write(bytes, 'latin1'), limits);

async function fetch(conn: HttpConnection, head = get(), signal?: AbortSignal) {
  const { got, handler } = collect();
  await conn.request(head, handler, signal);
  return got;
}

async function nodeServer(handler: http.RequestListener): Promise<{ port: number; connections: () => number }> {
  const server = http.createServer(handler);
  let connections = 0;
  const sockets: net.Socket[] = [];
  server.on('connection', (s) => {
    connections++;
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

describe('framing', () => {
  it('reads a Content-Length body from node:http, headers lower-cased and repeated ones joined', async () => {
    const body = 'x'.repeat(70_000);
    const s = await nodeServer((_q, r) => {
      r.setHeader('X-Multi', ['a', 'b']);
      r.setHeader('Content-Type', 'text/plain');
      r.setHeader('Content-Length', body.length);
      r.end(body);
    });
    const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port: s.port });
    cleanup.push(() => conn.close());
    const got = await fetch(conn);
    expect(got.status).toBe(200);
    expect(got.reason).toBe('OK');
    expect(got.headers.get('content-type')).toBe('text/plain');
    expect(got.headers.get('x-multi')).toBe('a, b');
    expect(got.body.toString()).toBe(body);
  });

  it('reads chunked bodies with chunk extensions and trailers, and keeps the connection', async () => {
    const { srv, conn } = await fixed(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n6 ; a="b;c"\r\n world\r\nA\r\n0123456789\r\n0;last\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n',
    );
    for (let i = 0; i < 2; i++) {
      const got = await fetch(conn);
      expect(got.body.toString()).toBe('hello world0123456789');
      expect(got.headers.has('x-checksum')).toBe(false);
    }
    expect(srv.connections).toBe(1);
  });

  it('reads a close-delimited body to EOF and opens a new connection afterwards', async () => {
    const { srv, conn } = await raw((_r, s) => void s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    expect((await fetch(conn)).body.toString()).toBe('until the end');
    expect((await fetch(conn)).body.toString()).toBe('until the end');
    expect(srv.connections).toBe(2);
  });

  it('skips 1xx responses', async () => {
    const { conn } = await fixed(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    const got = await fetch(conn);
    expect(got.heads).toBe(1);
    expect(got.status).toBe(200);
    expect(got.headers.has('link')).toBe(false);
    expect(got.body.toString()).toBe('ok');
  });

  it('reads no body for 204, 304 and HEAD, whatever Content-Length says', async () => {
    const { srv, conn } = await raw((req, s, _c, n) => {
      const status = n === 1 ? '204 No Content' : n === 2 ? '304 Not Modified' : '200 OK';
      // The next response right behind: a body read by mistake would swallow it.
      s.write(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\n`);
      if (req.startsWith('GET') && n === 4) s.write('hello');
    });
    expect((await fetch(conn)).status).toBe(204);
    expect((await fetch(conn)).status).toBe(304);
    const head = await fetch(conn, Buffer.from('HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(head.body.length).toBe(0);
    expect((await fetch(conn)).body.toString()).toBe('hello');
    expect(srv.connections).toBe(1);
  });

  it('reads Transfer-Encoding chunked over Content-Length and then drops the connection', async () => {
    const { srv, conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    expect((await fetch(conn)).body.toString()).toBe('hello');
    expect((await fetch(conn)).body.toString()).toBe('hello');
    expect(srv.connections).toBe(2);
  });

  it('accepts repeated identical Content-Length fields', async () => {
    const { conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok');
    expect((await fetch(conn)).body.toString()).toBe('ok');
  });
});

describe('keep-alive', () => {
  it('sends N requests over one connection', async () => {
    let n = 0;
    const s = await nodeServer((_q, r) => r.end(`response ${++n}`));
    const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port: s.port });
    cleanup.push(() => conn.close());
    for (let i = 1; i <= 5; i++) expect((await fetch(conn)).body.toString()).toBe(`response ${i}`);
    expect(s.connections()).toBe(1);
  });

  it('retries once on a fresh connection when a reused one is closed before any response byte', async () => {
    // The server closes the connection when the second request arrives on it: the race of a
    // server timing out an idle connection just as the client reuses it.
    const { srv, conn } = await raw((_r, s, _c, n) => {
      if (n === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.destroy();
    });
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
    expect(srv.requests.length).toBe(3);
  });

  it('opens a new connection when the server closed the idle one', async () => {
    const { srv, conn } = await raw((_r, s) => void s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    await fetch(conn);
    await srv.closed(1);
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
    expect(srv.requests.length).toBe(2);
  });

  it('does not retry once response bytes arrived', async () => {
    const { srv, conn } = await raw((_r, s, _c, n) => {
      if (n === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.end('HTTP/1.1 200 OK\r\nContent-Le');
    });
    await fetch(conn);
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'ERR_HTTP_INCOMPLETE', message: /in the response headers/ });
    expect(srv.requests.length).toBe(2);
  });

  it('does not retry on a fresh connection', async () => {
    const { srv, conn } = await raw((_r, s) => void s.destroy());
    await expect(fetch(conn)).rejects.toMatchObject({ code: expect.stringMatching(/^(ERR_HTTP_EOF|ECONNRESET)$/) });
    expect(srv.requests.length).toBe(1);
  });

  it('fails a body cut short with ERR_HTTP_INCOMPLETE', async () => {
    const { conn } = await raw((_r, s) => void s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'ERR_HTTP_INCOMPLETE', message: /in the response body/ });
  });

  it('closes after Connection: close', async () => {
    const { srv, conn } = await fixed('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    await fetch(conn);
    await srv.closed(1);
    await fetch(conn);
    expect(srv.connections).toBe(2);
  });

  it('keeps an HTTP/1.0 connection only with Connection: keep-alive', async () => {
    const { srv, conn } = await raw((_r, s, _c, n) =>
      void s.write(`HTTP/1.0 200 OK\r\n${n === 1 ? 'Connection: Keep-Alive\r\n' : ''}Content-Length: 2\r\n\r\nok`),
    );
    await fetch(conn);
    await fetch(conn); // connection 1 again, now answered without keep-alive
    await fetch(conn);
    expect(srv.connections).toBe(2);
    expect(srv.requests.length).toBe(3);
  });

  it('drops the connection after unsolicited bytes behind a response', async () => {
    const { srv, conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n');
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('refuses a second request while one is in flight', async () => {
    const { conn } = await raw(() => {});
    const first = conn.request(get(), collect().handler);
    await expect(conn.request(get(), collect().handler)).rejects.toMatchObject({ code: 'ERR_HTTP_BUSY' });
    conn.close();
    await expect(first).rejects.toMatchObject({ code: 'ERR_HTTP_CLOSED' });
  });

  it('reports a refused connection with its errno code', async () => {
    const { srv } = await raw(() => {});
    const port = srv.port;
    await srv.close();
    const conn = new HttpConnection({ https: false, hostname: '127.0.0.1', port });
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('shared read buffer', () => {
  it('keeps concurrent responses on many connections apart', async () => {
    const size = 150_000;
    const { srv } = await raw(async (req, s) => {
      const fill = Number(/^GET \/(\d+)/.exec(req)![1]);
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      for (let sent = 0; sent < size; sent += 10_000) {
        s.write(Buffer.alloc(10_000, fill));
        await new Promise((r) => setImmediate(r));
      }
    });
    const conns = Array.from({ length: 12 }, () => new HttpConnection({ https: false, hostname: '127.0.0.1', port: srv.port }));
    cleanup.push(() => conns.forEach((c) => c.close()));
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(conns.map((c, i) => fetch(c, get(`/${i + 1}`))));
      got.forEach((g, i) => {
        expect(g.body.length).toBe(size);
        expect(g.body.every((b) => b === i + 1)).toBe(true);
      });
    }
    expect(srv.connections).toBe(12);
  });
});

describe('abort', () => {
  it('aborts mid-body: rejects with the reason, destroys the socket, the next request uses a new one', async () => {
    const { srv, conn } = await raw((_r, s, c) => {
      if (c === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst bytes');
      else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const ac = new AbortController();
    const reason = new Error('scrape timeout');
    const { handler } = collect();
    const p = conn.request(get(), { onHead: handler.onHead, onBody: () => setImmediate(() => ac.abort(reason)) }, ac.signal);
    await expect(p).rejects.toBe(reason);
    await srv.closed(1);
    expect((await fetch(conn)).body.toString()).toBe('ok');
    expect(srv.connections).toBe(2);
  });

  it('aborts from inside a handler call', async () => {
    const { conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd');
    const ac = new AbortController();
    const p = conn.request(get(), { onHead: () => ac.abort(new Error('stop')), onBody: () => expect.fail('body after abort') }, ac.signal);
    await expect(p).rejects.toThrow('stop');
    expect((await fetch(conn)).body.toString()).toBe('abcd');
  });

  it('rejects at once with an aborted signal', async () => {
    const { srv, conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await expect(conn.request(get(), collect().handler, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(srv.connections).toBe(0);
  });

  it('rejects with what onHead or onBody throws and drops the connection', async () => {
    const { srv, conn } = await fixed('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd');
    const boom = new Error('body size limit exceeded');
    await expect(conn.request(get(), { onHead() {}, onBody: () => { throw boom; } })).rejects.toBe(boom);
    await expect(conn.request(get(), { onHead: () => { throw boom; }, onBody() {} })).rejects.toBe(boom);
    expect((await fetch(conn)).body.toString()).toBe('abcd');
    expect(srv.connections).toBe(3);
  });
});

describe('bad responses', () => {
  it('bounds the header section', async () => {
    const head = (n: number) => `HTTP/1.1 200 OK\r\nX-Pad: ${'p'.repeat(n)}\r\nContent-Length: 2\r\n\r\nok`;
    const exact = head(1024 - head(0).length + 2); // the head is exactly 1024 bytes
    expect((await fetch((await fixed(exact, { maxHeaderBytes: 1024 })).conn)).body.toString()).toBe('ok');
    await expect(fetch((await fixed(head(2000), { maxHeaderBytes: 1024 })).conn)).rejects.toMatchObject({
      code: 'ERR_HTTP_HEADER_TOO_LARGE',
      message: 'server response headers exceeded 1024 bytes; aborted',
    });
    const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'t'.repeat(2000)}\r\n\r\n`;
    await expect(fetch((await fixed(trailers, { maxHeaderBytes: 1024 })).conn)).rejects.toMatchObject({
      code: 'ERR_HTTP_HEADER_TOO_LARGE',
      message: /trailers exceeded 1024 bytes/,
    });
  });

  const cases: [string, string, RegExp][] = [
    ['garbage status line', 'HTTX/1.1 200 OK\r\n\r\n', /invalid status line "HTTX\/1.1 200 OK"/],
    ['HTTP/2 status line', 'HTTP/2.0 200 OK\r\n\r\n', /unsupported HTTP version in status line/],
    ['letters as status', 'HTTP/1.1 2x0 OK\r\n\r\n', /invalid status code in status line "HTTP\/1.1 2x0 OK"/],
    ['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', /invalid status code/],
    ['empty response head', '\r\n\r\n', /invalid status line ""/],
    ['header without colon', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nNoColonHere\r\n\r\n', /missing colon in header line 3: "NoColonHere"/],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\nContent-Length: 0\r\n\r\n', /obsolete line folding in header line 3/],
    ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', /whitespace before the colon in header line 2/],
    ['empty field name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n', /invalid field name in header line 2/],
    ['control byte in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n', /invalid byte 0x01 in the value of header field "x-a"/],
    ['bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n', /invalid Content-Length "12x"/],
    ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length "-1"/],
    ['differing Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', /differing Content-Length values "1" and "2"/],
    ['unsupported transfer coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /unsupported transfer encoding "gzip, chunked"/],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid byte 0x7a in chunk size/],
    ['empty chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n', /empty chunk size/],
    ['huge chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n', /chunk size too large/],
    ['chunk data overrun', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n', /missing CRLF after chunk data/],
    ['folded trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n', /obsolete line folding in trailer line 2/],
    ['endless 1xx', 'HTTP/1.1 103 Early Hints\r\n\r\n'.repeat(6), /more than 5 1xx informational responses/],
    ['101 without asking', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /unexpected 101 Switching Protocols/],
  ];
  it.each(cases)('%s is ERR_HTTP_MALFORMED naming it', async (_name, bytes, message) => {
    const { srv, conn } = await fixed(bytes);
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'ERR_HTTP_MALFORMED', message });
    await srv.closed(1); // and the connection is gone
  });
});

describe('TLS', () => {
  async function httpsServer(): Promise<{ port: number; connections: () => number }> {
    const server = https.createServer({ cert: CERT, key: KEY }, (_q, r) => r.end('secure'));
    let connections = 0;
    const sockets: net.Socket[] = [];
    server.on('secureConnection', (s) => {
      connections++;
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
    return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
  }

  it('verifies the server with the given CA, by name and by IP, and keeps the connection', async () => {
    const s = await httpsServer();
    for (const hostname of ['localhost', '127.0.0.1']) {
      const conn = new HttpConnection({ https: true, hostname, port: s.port, tls: { ca: CERT } });
      cleanup.push(() => conn.close());
      expect((await fetch(conn)).body.toString()).toBe('secure');
      expect((await fetch(conn)).body.toString()).toBe('secure');
    }
    expect(s.connections()).toBe(2);
  });

  it('keeps concurrent TLS responses apart in the shared read buffer', async () => {
    const server = https.createServer({ cert: CERT, key: KEY }, (q, r) => r.end(Buffer.alloc(200_000, Number(q.url!.slice(1)))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const port = (server.address() as net.AddressInfo).port;
    const conns = Array.from({ length: 6 }, () => new HttpConnection({ https: true, hostname: 'localhost', port, tls: { ca: CERT } }));
    cleanup.push(() => conns.forEach((c) => c.close()));
    const got = await Promise.all(conns.map((c, i) => fetch(c, get(`/${i + 1}`))));
    got.forEach((g, i) => expect(g.body.equals(Buffer.alloc(200_000, i + 1))).toBe(true));
  });

  it('fails against a certificate the CAs do not vouch for', async () => {
    const s = await httpsServer();
    const conn = new HttpConnection({ https: true, hostname: 'localhost', port: s.port });
    cleanup.push(() => conn.close());
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const wrongName = new HttpConnection({ https: true, hostname: '127.0.0.1', port: s.port, tls: { ca: CERT, servername: 'other.example' } });
    cleanup.push(() => wrongName.close());
    await expect(fetch(wrongName)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

describe('proxy', () => {
  it('tunnels https through CONNECT with Proxy-Authorization, one tunnel for several requests', async () => {
    const server = https.createServer({ cert: CERT, key: KEY }, (q, r) => r.end(`secure ${q.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const proxy = await tinyProxy();
    cleanup.push(() => proxy.close());
    const port = (server.address() as net.AddressInfo).port;
    const target: ConnTarget = {
      https: true,
      hostname: 'localhost',
      port,
      tls: { ca: CERT },
      proxy: { hostname: '127.0.0.1', port: proxy.port, https: false, authorization: 'Basic dXNlcjpwYXNz' },
    };
    const conn = new HttpConnection(target);
    cleanup.push(() => conn.close());
    expect((await fetch(conn, get('/a'))).body.toString()).toBe('secure /a');
    expect((await fetch(conn, get('/b'))).body.toString()).toBe('secure /b');
    expect(proxy.connects).toEqual([{ target: `localhost:${port}`, authorization: 'Basic dXNlcjpwYXNz' }]);
  });

  it('reaches an https proxy with the same CA: plain requests, and CONNECT with TLS inside TLS', async () => {
    const server = https.createServer({ cert: CERT, key: KEY }, (q, r) => r.end(`secure ${q.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const proxy = await tinyProxy({ cert: CERT, key: KEY });
    cleanup.push(() => proxy.close());
    const via = { hostname: 'localhost', port: proxy.port, https: true };
    const plain = new HttpConnection({ https: false, hostname: 'target.example', port: 80, tls: { ca: CERT }, proxy: via });
    const tunnelled = new HttpConnection({ https: true, hostname: '127.0.0.1', port: (server.address() as net.AddressInfo).port, tls: { ca: CERT }, proxy: via });
    cleanup.push(() => plain.close(), () => tunnelled.close());
    expect((await fetch(plain, Buffer.from('GET http://target.example/m HTTP/1.1\r\nHost: target.example\r\n\r\n'))).body.toString()).toBe(
      'GET http://target.example/m HTTP/1.1',
    );
    expect((await fetch(tunnelled, get('/t'))).body.toString()).toBe('secure /t');
    expect(proxy.connects.map((c) => c.target)).toEqual([`127.0.0.1:${(server.address() as net.AddressInfo).port}`]);
  });

  it('reports a refused CONNECT without the credentials', async () => {
    const proxy = await tinyProxy();
    cleanup.push(() => proxy.close());
    proxy.refuse = '407 Proxy Authentication Required';
    const conn = new HttpConnection({
      https: true,
      hostname: 'localhost',
      port: 1,
      proxy: { hostname: '127.0.0.1', port: proxy.port, https: false, authorization: 'Basic c2VjcmV0' },
    });
    const err = await fetch(conn).then(
      () => expect.fail('resolved'),
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_HTTP_PROXY', message: 'proxy refused CONNECT: 407 Proxy Authentication Required' });
    expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain('c2VjcmV0');
  });

  it('refuses a Proxy-Authorization value that would split the request', async () => {
    const proxy = await tinyProxy();
    cleanup.push(() => proxy.close());
    const conn = new HttpConnection({
      https: true,
      hostname: 'localhost',
      port: 1,
      proxy: { hostname: '127.0.0.1', port: proxy.port, https: false, authorization: 'Basic x\r\nX-Injected: 1' },
    });
    await expect(fetch(conn)).rejects.toMatchObject({ code: 'ERR_HTTP_PROXY', message: 'invalid proxy authorization: CR, LF or NUL in the value' });
  });

  it('sends plain http requests to the proxy as written', async () => {
    const proxy = await tinyProxy();
    cleanup.push(() => proxy.close());
    const conn = new HttpConnection({ https: false, hostname: 'target.example', port: 80, proxy: { hostname: '127.0.0.1', port: proxy.port, https: false } });
    cleanup.push(() => conn.close());
    const got = await fetch(conn, Buffer.from('GET http://target.example/metrics HTTP/1.1\r\nHost: target.example\r\n\r\n'));
    expect(got.body.toString()).toBe('GET http://target.example/metrics HTTP/1.1');
  });
});
