/**
 * HTTP client benchmark: CPU and heap bytes per keep-alive GET of a 68 KB text body, Node's
 * http client (keep-alive Agent, a raw header array as the scraper built it before) against
 * `HttpConnection`, in the same run, rounds interleaved. The server is a child process, so
 * its CPU is not counted. The body is served with Content-Length and chunked.
 *
 *   node aggregator/dist/bench/http-client.js [requests=2000] [rounds=3] [allocRequests=300] [readBufferBytes=shared]
 *
 * CPU: process.cpuUsage (user+system) over `requests` GETs after 200 warm-up GETs, median and
 * range over the rounds. Heap bytes: V8's sampling heap profiler (512-byte interval, objects
 * later collected by minor and major GCs included) over `allocRequests` GETs, run apart from
 * the CPU rounds; Buffer backing stores live outside the V8 heap and are not in this figure.
 * The last line is one JSON object.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import inspector from 'node:inspector';
import { HttpConnection, type ResponseHandler } from '../scrape/http-conn.js';

const [requests = 2000, rounds = 3, allocRequests = 300] = process.argv.slice(2, 5).map(Number);
/** Undefined: the connections' shared 64 KiB read buffer. */
const readBufferBytes = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const BODY_BYTES = 68_000;

const SERVER = `
const http = require('node:http');
const body = Buffer.alloc(${BODY_BYTES}, 97);
for (let i = 69; i < body.length; i += 70) body[i] = 10;
http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
  if (req.url === '/chunked') {
    // Four writes: four chunks, no Content-Length.
    const q = body.length / 4;
    for (let i = 0; i < 4; i++) res.write(body.subarray(i * q, (i + 1) * q));
    res.end();
  } else {
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }
}).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });
`;

type Get = () => Promise<number>;

/** Sockets to close at the end. */
const closers: (() => void)[] = [];

function nodeHttp(port: number, path: string): Get {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  closers.push(() => agent.destroy());
  const headers = ['Host', `127.0.0.1:${port}`, 'Accept', 'text/plain', 'Accept-Encoding', 'identity', 'User-Agent', 'edgeprom/0.1.0', 'X-Prometheus-Scrape-Timeout-Seconds', '10'];
  return () =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ method: 'GET', hostname: '127.0.0.1', port, path, headers, agent });
      req.end();
      req.on('error', reject);
      req.on('response', (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      });
    });
}

function conn(port: number, path: string): Get {
  const c = new HttpConnection({ https: false, hostname: '127.0.0.1', port }, { readBufferBytes });
  closers.push(() => c.close());
  const head = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/plain\r\nAccept-Encoding: identity\r\n` +
      'User-Agent: edgeprom/0.1.0\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n',
    'latin1',
  );
  let n = 0;
  const h: ResponseHandler = {
    onHead(status) {
      if (status !== 200) throw new Error(`status ${status}`);
    },
    onBody(chunk) {
      n += chunk.length;
    },
  };
  return async () => {
    n = 0;
    await c.request(head, h);
    return n;
  };
}

async function run(get: Get, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const got = await get();
    if (got !== BODY_BYTES) throw new Error(`bench:http: got ${got} body bytes, want ${BODY_BYTES}`);
  }
}

async function cpuPerGet(get: Get): Promise<number> {
  await run(get, 200);
  const c0 = process.cpuUsage();
  await run(get, requests);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / requests;
}

const session = new inspector.Session();
session.connect();
const post = <T>(method: string, params?: object) =>
  new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));

async function heapBytesPerGet(get: Get): Promise<number> {
  await run(get, 100);
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await run(get, allocRequests);
  const { profile } = await post<{ profile: { samples: { size: number }[] } }>('HeapProfiler.stopSampling');
  await post('HeapProfiler.disable');
  return profile.samples.reduce((s, x) => s + x.size, 0) / allocRequests;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const result: Record<string, number> = { bodyBytes: BODY_BYTES, requests, rounds, readBufferBytes: readBufferBytes ?? 0 };
  try {
    for (const framing of ['content-length', 'chunked']) {
      const path = framing === 'chunked' ? '/chunked' : '/metrics';
      const clients: [string, Get][] = [
        ['node', nodeHttp(port, path)],
        ['conn', conn(port, path)],
      ];
      const cpu: Record<string, number[]> = { node: [], conn: [] };
      for (let r = 0; r < rounds; r++) for (const [name, get] of clients) cpu[name].push(await cpuPerGet(get));
      const heap: Record<string, number> = {};
      for (const [name, get] of clients) heap[name] = await heapBytesPerGet(get);
      const key = framing === 'chunked' ? 'chunked' : 'length';
      const node = median(cpu.node);
      const mine = median(cpu.conn);
      console.log(
        `${framing.padEnd(14)} http.get ${node.toFixed(0)} us CPU/GET (${range(cpu.node)}), ${Math.round(heap.node)} heap B/GET; ` +
          `HttpConnection ${mine.toFixed(0)} us (${range(cpu.conn)}), ${Math.round(heap.conn)} heap B/GET; ` +
          `CPU ratio http.get/HttpConnection ${(node / mine).toFixed(2)}`,
      );
      result[`${key}NodeCpuUs`] = Math.round(node);
      result[`${key}ConnCpuUs`] = Math.round(mine);
      result[`${key}CpuRatio`] = Number((node / mine).toFixed(2));
      result[`${key}NodeHeapBytes`] = Math.round(heap.node);
      result[`${key}ConnHeapBytes`] = Math.round(heap.conn);
    }
  } finally {
    for (const close of closers) close();
    child.kill();
    session.disconnect();
  }
  console.log(JSON.stringify(result));
}

await main();
