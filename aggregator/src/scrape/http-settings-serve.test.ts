/**
 * A job with basic_auth (password_file) and tls_config (CA, client cert) through the whole
 * aggregator (startAggregator, config file, reloads): it scrapes `up 1` from an https target
 * that demands both; a reload picks up a CA file whose content changed; a reload naming an
 * unreadable CA file is refused with a message naming job, setting and file while the old
 * config keeps scraping; `check config` reports the same; no secret is ever logged.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../main/check-config.js';
import { eventually, PerTest, query, recordingLogger, request, startTestAggregator } from '../main/test-harness.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const pem = (f: string) => readFileSync(path.join(TESTDATA, f), 'utf8');
const t = new PerTest();

const SECRET = 'hunter2-very-secret';

/** https on 127.0.0.1 that wants the test client cert and basic auth prom:SECRET. */
async function secureTarget(): Promise<{ port: number; scrapes: () => number }> {
  let n = 0;
  const want = `Basic ${Buffer.from(`prom:${SECRET}`).toString('base64')}`;
  const server = https.createServer({ cert: pem('server.pem'), key: pem('server-key.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    if (req.headers.authorization !== want) {
      res.statusCode = 401;
      return res.end();
    }
    n++;
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end('device_temp 21\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, scrapes: () => n };
}

const config = (port: number, caFile: string) => `scrape_configs:
  - job_name: secure
    scheme: https
    scrape_interval: 1s
    scrape_timeout: 1s
    basic_auth: {username: prom, password_file: secrets/pw}
    tls_config: {ca_file: ${caFile}, cert_file: client.pem, key_file: client-key.pem}
    static_configs:
      - targets: ['localhost:${port}']
`;

async function lastError(base: string): Promise<string | undefined> {
  const r = JSON.parse((await request(`${base}/api/v1/targets`)).body) as { data: { activeTargets: { lastError: string; health: string }[] } };
  return r.data.activeTargets[0]?.lastError;
}

describe('scrape job HTTP client settings in the aggregator', () => {
  it('basic_auth + tls_config scrape up 1; CA content change and an unreadable CA on reload; check config; no secret logged', async () => {
    const target = await secureTarget();
    const d = t.dir();
    for (const f of ['ca.pem', 'client.pem', 'client-key.pem']) copyFileSync(path.join(TESTDATA, f), path.join(d.dir, f));
    mkdirSync(path.join(d.dir, 'secrets'));
    d.write('secrets/pw', `${SECRET}\n`);
    d.config(config(target.port, 'ca.pem'));
    const lines: string[] = [];
    const agg = await t.aggregator(startTestAggregator(d, { logger: recordingLogger(lines) }));
    const up = (v: string) =>
      eventually(`up{job="secure"} == ${v}`, async () => ((await query(agg.url, 'up{job="secure"}'))[0]?.value[1] === v ? true : undefined));
    await up('1');
    expect((await query(agg.url, 'device_temp'))[0]?.value[1]).toBe('21');

    // Same path, other content: the reload takes the new CA, which does not sign the target.
    copyFileSync(path.join(TESTDATA, 'other-ca.pem'), path.join(d.dir, 'ca.pem'));
    await agg.reload();
    await up('0');
    expect(await lastError(agg.url)).toBe(`Get "https://localhost:${target.port}/metrics": x509: certificate signed by unknown authority`);
    copyFileSync(path.join(TESTDATA, 'ca.pem'), path.join(d.dir, 'ca.pem'));
    await agg.reload();
    await up('1');

    // An unreadable CA: the reload fails, names the file, and the old config keeps scraping.
    const missing = path.join(d.dir, 'nope.pem');
    d.config(config(target.port, 'nope.pem'));
    const why = `scrape job "secure": error creating HTTP client: tls_config.ca_file: unable to load specified CA cert ${missing}: open ${missing}: no such file or directory`;
    await expect(agg.reload()).rejects.toThrow(why);
    expect(agg.reloadStatus()).toMatchObject({ successful: false, lastError: why });
    const before = target.scrapes();
    await eventually('scrapes go on with the old config', () => (target.scrapes() > before + 1 ? true : undefined));
    expect(await lastError(agg.url)).toBe('');

    const out: string[] = [];
    const err: string[] = [];
    expect(await checkConfig([d.configFile], { out: (s) => out.push(s), err: (s) => err.push(s) })).toBe(1);
    expect(err.join('')).toContain(why);

    const logged = lines.join('\n');
    expect(logged).toContain('reload failed');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(Buffer.from(`prom:${SECRET}`).toString('base64'));
  }, 60_000);
});
