/**
 * Scrape jobs' HTTP client settings against real servers on 127.0.0.1: https targets with the
 * job's CA (and a wrong one, insecure_skip_verify, server_name, client certificates),
 * basic_auth / authorization / bearer_token and their files (re-read per request), redirects
 * (followed, stopped after 10 requests, or refused with follow_redirects: false) and proxy_url
 * for http and https targets through a tiny recording proxy. Jobs come from YAML through the
 * real config schema. Secrets must show in no error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { httpScrape, redirectTarget } from './http-scraper.js';
import { scrapeHttpSettings } from './http-settings.js';
import { jobOf } from './test-util.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const pem = (f: string) => readFileSync(path.join(TESTDATA, f), 'utf8');

let dir: string;
const closers: (() => Promise<void>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-httpauth-'));
});
afterEach(async () => {
  // Last opened first: tunnels before the proxy that accepted them.
  for (const c of closers.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** One scrape of url with the job's settings (paths relative to TESTDATA); the body, or the error. */
async function scrape(url: string, yaml = '', baseDir = TESTDATA): Promise<{ body: string } | { error: string }> {
  const settings = scrapeHttpSettings(jobOf(yaml, 'secure'), baseDir);
  let body = '';
  try {
    await httpScrape(
      { url, timeoutMs: 10_000, bodySizeLimit: 0, enableCompression: false, clock: new ManualClock(), settings },
      () => undefined,
      (c) => (body += Buffer.from(c).toString()),
    );
    return { body };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  /** TLS only: the SNI name and the client certificate's CN. */
  servername?: string | false | null;
  clientCN?: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const metrics: Handler = (_req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4');
  res.end('up 1\n');
};

async function listen(server: http.Server | https.Server, seen: Seen[], handler: Handler): Promise<string> {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const s: Seen = { url: req.url ?? '', headers: req.headers };
    const sock = req.socket as TLSSocket;
    if (sock.encrypted) {
      s.servername = sock.servername;
      const cn = sock.getPeerCertificate().subject?.CN;
      if (cn !== undefined) s.clientCN = String(cn);
    }
    seen.push(s);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function httpServer(handler: Handler = metrics): Promise<{ address: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  return { address: await listen(http.createServer(), seen, handler), seen };
}

/** https on 127.0.0.1 with the test server cert; `clientCerts`: require one signed by the test CA. */
async function httpsServer(opts: { clientCerts?: boolean } = {}, handler: Handler = metrics): Promise<{ address: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = https.createServer({
    cert: pem('server.pem'),
    key: pem('server-key.pem'),
    ...(opts.clientCerts ? { ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true } : {}),
  });
  return { address: await listen(server, seen, handler), seen };
}

describe('tls_config', () => {
  it('verifies an https target with ca_file, and fails with Go\'s error under an unrelated CA', async () => {
    const t = await httpsServer();
    const url = `https://127.0.0.1:${t.address.split(':')[1]}/metrics`;
    expect(await scrape(url, 'tls_config: {ca_file: ca.pem}')).toEqual({ body: 'up 1\n' });
    expect(await scrape(url, 'tls_config: {ca_file: other-ca.pem}')).toEqual({
      error: `Get ${JSON.stringify(url)}: x509: certificate signed by unknown authority`,
    });
    // Without a CA the system roots do not know the test CA either.
    expect(await scrape(url)).toEqual({ error: `Get ${JSON.stringify(url)}: x509: certificate signed by unknown authority` });
  });

  it('insecure_skip_verify accepts any certificate', async () => {
    const t = await httpsServer();
    expect(await scrape(`https://${t.address}/metrics`, 'tls_config: {ca_file: other-ca.pem, insecure_skip_verify: true}')).toEqual({ body: 'up 1\n' });
  });

  it('server_name is sent as SNI and checked against the certificate', async () => {
    const t = await httpsServer();
    const url = `https://${t.address}/metrics`;
    expect(await scrape(url, 'tls_config: {ca_file: ca.pem, server_name: localhost}')).toEqual({ body: 'up 1\n' });
    expect(t.seen.at(-1)!.servername).toBe('localhost');
    expect(await scrape(url, 'tls_config: {ca_file: ca.pem, server_name: example.com}')).toEqual({
      error: `Get ${JSON.stringify(url)}: x509: certificate is valid for localhost, not example.com`,
    });
  });

  it('presents the client certificate a server requires (mTLS)', async () => {
    const t = await httpsServer({ clientCerts: true });
    const url = `https://${t.address}/metrics`;
    // The server's TLS 1.3 alert, in Go's words.
    expect(await scrape(url, 'tls_config: {ca_file: ca.pem}')).toEqual({ error: `Get ${JSON.stringify(url)}: remote error: tls: certificate required` });
    expect(await scrape(url, 'tls_config: {ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem}')).toEqual({ body: 'up 1\n' });
    expect(t.seen.map((s) => s.clientCN)).toEqual(['edgeprom scraper']);
  });

  it('min_version is enforced', async () => {
    const seen: Seen[] = [];
    const server = https.createServer({ cert: pem('server.pem'), key: pem('server-key.pem'), maxVersion: 'TLSv1.2' });
    const address = await listen(server, seen, metrics);
    expect(await scrape(`https://${address}/metrics`, 'tls_config: {ca_file: ca.pem, min_version: TLS12}')).toEqual({ body: 'up 1\n' });
    expect(await scrape(`https://${address}/metrics`, 'tls_config: {ca_file: ca.pem, min_version: TLS13}')).toEqual({
      error: `Get "https://${address}/metrics": remote error: tls: protocol version not supported`,
    });
    expect(seen).toHaveLength(1);
  });
});

describe('authorization', () => {
  it('basic_auth with password, and password_file re-read (trimmed) on every request', async () => {
    const t = await httpServer();
    const url = `http://${t.address}/metrics`;
    const auth = () => t.seen.at(-1)!.headers.authorization;
    await scrape(url, 'basic_auth: {username: prom, password: hunter2}');
    expect(auth()).toBe(`Basic ${Buffer.from('prom:hunter2').toString('base64')}`);

    writeFileSync(path.join(dir, 'pw'), 'first\n');
    const settings = scrapeHttpSettings(jobOf('basic_auth: {username: prom, password_file: pw}', 'secure'), dir);
    const once = () =>
      httpScrape({ url, timeoutMs: 10_000, bodySizeLimit: 0, enableCompression: false, clock: new ManualClock(), settings }, () => undefined, () => undefined);
    await once();
    expect(auth()).toBe(`Basic ${Buffer.from('prom:first').toString('base64')}`);
    writeFileSync(path.join(dir, 'pw'), '  second \n');
    await once();
    expect(auth()).toBe(`Basic ${Buffer.from('prom:second').toString('base64')}`);
    rmSync(path.join(dir, 'pw'));
    const pw = path.join(dir, 'pw');
    await expect(once()).rejects.toThrow(`Get ${JSON.stringify(url)}: unable to read basic auth password file ${pw}: open ${pw}: no such file or directory`);
    expect(t.seen).toHaveLength(3);
  });

  it('authorization credentials (type defaults to Bearer) and credentials_file', async () => {
    const t = await httpServer();
    const url = `http://${t.address}/metrics`;
    const auth = () => t.seen.at(-1)!.headers.authorization;
    await scrape(url, 'authorization: {credentials: abc}');
    expect(auth()).toBe('Bearer abc');
    await scrape(url, 'authorization: {type: Token, credentials: abc}');
    expect(auth()).toBe('Token abc');
    writeFileSync(path.join(dir, 'cred'), 'from-file\n');
    await scrape(url, 'authorization: {type: Token, credentials_file: cred}', dir);
    expect(auth()).toBe('Token from-file');
    const missing = path.join(dir, 'nope');
    expect(await scrape(url, 'authorization: {credentials_file: nope}', dir)).toEqual({
      error: `Get ${JSON.stringify(url)}: unable to read authorization credentials file ${missing}: open ${missing}: no such file or directory`,
    });
  });

  it('bearer_token and bearer_token_file', async () => {
    const t = await httpServer();
    const url = `http://${t.address}/metrics`;
    await scrape(url, 'bearer_token: tok1');
    expect(t.seen.at(-1)!.headers.authorization).toBe('Bearer tok1');
    writeFileSync(path.join(dir, 'tok'), 'tok2\n');
    await scrape(url, 'bearer_token_file: tok', dir);
    expect(t.seen.at(-1)!.headers.authorization).toBe('Bearer tok2');
  });

  it('no secret in the errors of failing scrapes', async () => {
    const t = await httpServer((_req, res) => {
      res.statusCode = 401;
      res.end('no');
    });
    const secret = 'hunter2-s3cret';
    const url = `http://${t.address}/metrics`;
    const errors = [
      await scrape(url, `basic_auth: {username: prom, password: ${secret}}`),
      await scrape(url, `authorization: {credentials: ${secret}}`),
      await scrape(`http://127.0.0.1:1/metrics`, `bearer_token: ${secret}`),
      await scrape(`http://127.0.0.1:1/metrics`, `proxy_url: http://user:${secret}@127.0.0.1:1`),
    ].map((r) => (r as { error: string }).error);
    expect(errors[0]).toBe('server returned HTTP status 401 Unauthorized');
    for (const e of errors) {
      expect(e).toBeTypeOf('string');
      expect(e).not.toContain(secret);
      expect(e).not.toContain(Buffer.from(`prom:${secret}`).toString('base64'));
    }
  });
});

describe('redirects', () => {
  /** /r/N redirects to /r/N+1 until N == stop, which answers the metrics. */
  const chain = (stop: number): Handler => (req, res) => {
    const n = Number(/^\/r\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
    if (n >= 0 && n < stop) {
      res.writeHead(302, { Location: `/r/${n + 1}` });
      return res.end();
    }
    metrics(req, res);
  };

  it('follows 301/302/303/307/308, Location relative to the current URL, with the headers and auth on every hop', async () => {
    const codes = [301, 302, 303, 307, 308];
    const t = await httpServer((req, res) => {
      const n = Number(/^\/hop\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
      if (n >= 0 && n < codes.length) {
        res.writeHead(codes[n]!, { Location: n % 2 === 0 ? `../hop/${n + 1}` : `http://${req.headers.host}/hop/${n + 1}?x=1` });
        return res.end();
      }
      metrics(req, res);
    });
    expect(await scrape(`http://${t.address}/hop/0`, 'bearer_token: tok')).toEqual({ body: 'up 1\n' });
    expect(t.seen.map((s) => s.url)).toEqual(['/hop/0', '/hop/1', '/hop/2?x=1', '/hop/3', '/hop/4?x=1', '/hop/5']);
    for (const s of t.seen) expect([s.headers.authorization, s.headers['x-prometheus-scrape-timeout-seconds']]).toEqual(['Bearer tok', '10']);
    expect(t.seen[1]!.headers.referer).toBe(`http://${t.address}/hop/0`);
  });

  it('follows up to 10 requests; the 10th redirect fails with Go\'s "stopped after 10 redirects"', async () => {
    const ok = await httpServer(chain(9));
    expect(await scrape(`http://${ok.address}/r/0`)).toEqual({ body: 'up 1\n' });
    expect(ok.seen).toHaveLength(10);
    const loop = await httpServer(chain(Infinity));
    expect(await scrape(`http://${loop.address}/r/0`)).toEqual({ error: 'Get "/r/10": stopped after 10 redirects' });
    expect(loop.seen).toHaveLength(10);
  });

  it('follow_redirects: false fails with the 3xx status; a 3xx without Location too', async () => {
    const t = await httpServer(chain(1));
    expect(await scrape(`http://${t.address}/r/0`, 'follow_redirects: false')).toEqual({ error: 'server returned HTTP status 302 Found' });
    expect(t.seen).toHaveLength(1);
    const noLoc = await httpServer((_req, res) => {
      res.statusCode = 301;
      res.end();
    });
    expect(await scrape(`http://${noLoc.address}/metrics`)).toEqual({ error: 'server returned HTTP status 301 Moved Permanently' });
  });

  it('follows a redirect from http to an https target with the job\'s TLS settings', async () => {
    const s = await httpsServer();
    const t = await httpServer((_req, res) => {
      res.writeHead(307, { Location: `https://localhost:${s.address.split(':')[1]}/metrics` });
      res.end();
    });
    expect(await scrape(`http://${t.address}/metrics`, 'tls_config: {ca_file: ca.pem}')).toEqual({ body: 'up 1\n' });
    expect(s.seen).toHaveLength(1);
    // No Referer from https to http is Go's rule; from http to https it is sent.
    expect(s.seen[0]!.headers.referer).toBe(`http://${t.address}/metrics`);
  });

  it('redirectTarget: redirect codes with a Location only', () => {
    expect(redirectTarget(302, '/b?c=1', 'http://h:1/a/x')).toBe('http://h:1/b?c=1');
    expect(redirectTarget(308, 'y', 'http://h:1/a/x')).toBe('http://h:1/a/y');
    expect(redirectTarget(300, '/b', 'http://h:1/a')).toBeUndefined();
    expect(redirectTarget(304, '/b', 'http://h:1/a')).toBeUndefined();
    expect(redirectTarget(302, undefined, 'http://h:1/a')).toBeUndefined();
    expect(() => redirectTarget(302, 'http://[::1', 'http://h:1/a')).toThrow('failed to parse Location header "http://[::1"');
  });
});

describe('proxy_url', () => {
  interface ProxyLog {
    address: string;
    /** Request lines ("GET http://..." or "CONNECT host:port") with their Proxy-Authorization. */
    seen: { line: string; auth: string | undefined }[];
  }

  /** A forwarding proxy: absolute-form GETs and CONNECT tunnels; `refuse`: 407 to everything. */
  async function proxy(refuse = false, overTls = false): Promise<ProxyLog> {
    const log: ProxyLog = { address: '', seen: [] };
    const server = (overTls ? https.createServer({ cert: pem('server.pem'), key: pem('server-key.pem') }) : http.createServer()).on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      log.seen.push({ line: `${req.method} ${req.url}`, auth: req.headers['proxy-authorization'] });
      if (refuse) {
        res.statusCode = 407;
        return res.end();
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const up = http.request(req.url!, { method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      log.seen.push({ line: `CONNECT ${req.url}`, auth: req.headers['proxy-authorization'] });
      if (refuse) return socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      const [host, port] = (req.url ?? '').split(':');
      const up = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
      closers.push(async () => void (up.destroy(), socket.destroy()));
    });
    log.address = await listen(server, [], () => undefined);
    return log;
  }

  it('sends an http target\'s request in absolute form to the proxy, with Proxy-Authorization from its URL', async () => {
    const t = await httpServer();
    const p = await proxy();
    const url = `http://${t.address}/metrics?a=b`;
    expect(await scrape(url, `proxy_url: http://us%65r:p%40ss@${p.address}\nbearer_token: tok`)).toEqual({ body: 'up 1\n' });
    expect(p.seen).toEqual([{ line: `GET ${url}`, auth: `Basic ${Buffer.from('user:p@ss').toString('base64')}` }]);
    expect(t.seen.map((s) => [s.url, s.headers.host, s.headers.authorization])).toEqual([['/metrics?a=b', t.address, 'Bearer tok']]);
  });

  it('tunnels an https target through CONNECT and verifies it with the job\'s CA', async () => {
    const t = await httpsServer();
    const p = await proxy();
    expect(await scrape(`https://${t.address}/metrics`, `proxy_url: http://u:pw@${p.address}\ntls_config: {ca_file: ca.pem}`)).toEqual({ body: 'up 1\n' });
    expect(p.seen).toEqual([{ line: `CONNECT ${t.address}`, auth: `Basic ${Buffer.from('u:pw').toString('base64')}` }]);
    expect(t.seen).toHaveLength(1);
    // The tunnel does not weaken verification.
    const wrong = await scrape(`https://${t.address}/metrics`, `proxy_url: http://${p.address}\ntls_config: {ca_file: other-ca.pem}`);
    expect(wrong).toEqual({ error: `Get "https://${t.address}/metrics": x509: certificate signed by unknown authority` });
  });

  it('an https proxy_url: TLS to the proxy (verified with the job\'s CA), then the request or the tunnel inside it', async () => {
    const p = await proxy(false, true);
    const plain = await httpServer();
    const secure = await httpsServer();
    const job = `proxy_url: https://localhost:${p.address.split(':')[1]}\ntls_config: {ca_file: ca.pem}`;
    expect(await scrape(`http://${plain.address}/metrics`, job)).toEqual({ body: 'up 1\n' });
    expect(await scrape(`https://${secure.address}/metrics`, job)).toEqual({ body: 'up 1\n' });
    expect(p.seen.map((s) => s.line)).toEqual([`GET http://${plain.address}/metrics`, `CONNECT ${secure.address}`]);
    expect(await scrape(`http://${plain.address}/metrics`, `proxy_url: https://localhost:${p.address.split(':')[1]}\ntls_config: {ca_file: other-ca.pem}`)).toHaveProperty(
      'error',
      `Get "http://${plain.address}/metrics": x509: certificate signed by unknown authority`,
    );
  });

  it('a refused CONNECT fails with the proxy\'s status text, as Go does', async () => {
    const p = await proxy(true);
    const r = await scrape(`https://127.0.0.1:9/metrics`, `proxy_url: http://u:topsecret@${p.address}`);
    expect(r).toEqual({ error: 'Get "https://127.0.0.1:9/metrics": Proxy Authentication Required' });
    const plain = await scrape(`http://127.0.0.1:9/metrics`, `proxy_url: http://u:topsecret@${p.address}`);
    expect(plain).toEqual({ error: 'server returned HTTP status 407 Proxy Authentication Required' });
    // A proxy that is not there, for either kind of target.
    expect(await scrape(`http://127.0.0.1:9/metrics`, 'proxy_url: http://127.0.0.1:1')).toEqual({
      error: 'Get "http://127.0.0.1:9/metrics": proxyconnect tcp: dial tcp 127.0.0.1:1: connect: connection refused',
    });
    expect(await scrape(`https://127.0.0.1:9/metrics`, 'proxy_url: http://127.0.0.1:1')).toEqual({
      error: 'Get "https://127.0.0.1:9/metrics": proxyconnect tcp: dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });
});
