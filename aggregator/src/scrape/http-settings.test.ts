/**
 * Resolving a job's HTTP client settings: paths relative to the config file's directory,
 * typed errors naming the job, the setting and the file for a CA, client cert or key that
 * cannot be read or used (prometheus-common's messages), static and file-based Authorization
 * values, the proxy URL, and the digest a reload compares.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { MemoryStorage } from '../storage/memory.js';
import { HttpSettingsError, scrapeHttpSettings } from './http-settings.js';
import { ScrapeManager } from './manager.js';
import { Reports, jobOf } from './test-util.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-httpsettings-'));
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function thrown(f: () => unknown): HttpSettingsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpSettingsError);
    return e as HttpSettingsError;
  }
  throw new Error('did not throw');
}

describe('scrapeHttpSettings', () => {
  it('nothing set: no TLS options, no Authorization, no proxy, redirects followed; enable_http2 accepted', () => {
    const s = scrapeHttpSettings(jobOf('enable_http2: true'), dir);
    expect([s.tls, s.authorization(), s.proxy, s.followRedirects]).toEqual([{}, undefined, undefined, true]);
    expect(scrapeHttpSettings(jobOf('follow_redirects: false'), dir).followRedirects).toBe(false);
  });

  it('reads the CA, cert and key relative to the config directory; maps the other tls_config fields', () => {
    for (const f of ['ca.pem', 'client.pem', 'client-key.pem']) copyFileSync(path.join(TESTDATA, f), path.join(dir, f));
    const s = scrapeHttpSettings(
      jobOf('tls_config: {ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem, server_name: example.org, insecure_skip_verify: true, min_version: TLS13}'),
      dir,
    );
    expect(s.tls.ca).toContain('BEGIN CERTIFICATE');
    expect(s.tls.cert).toContain('BEGIN CERTIFICATE');
    expect(s.tls.key).toContain('PRIVATE KEY');
    expect([s.tls.servername, s.tls.rejectUnauthorized, s.tls.minVersion]).toEqual(['example.org', false, 'TLSv1.3']);
  });

  it('an unreadable CA file: a typed error naming the job, the setting and the file, in prometheus-common\'s words', () => {
    const ca = path.join(dir, 'missing.pem');
    const e = thrown(() => scrapeHttpSettings(jobOf('tls_config: {ca_file: missing.pem}'), dir));
    expect([e.code, e.job, e.setting, e.file]).toEqual(['ERR_SCRAPE_HTTP_SETTINGS', 'node', 'tls_config.ca_file', ca]);
    expect(e.message).toBe(
      `scrape job "node": error creating HTTP client: tls_config.ca_file: unable to load specified CA cert ${ca}: open ${ca}: no such file or directory`,
    );
  });

  it('a CA file without a certificate, and a cert/key pair that does not match', () => {
    writeFileSync(path.join(dir, 'junk.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const junk = path.join(dir, 'junk.pem');
    expect(thrown(() => scrapeHttpSettings(jobOf('tls_config: {ca_file: junk.pem}'), dir)).message).toBe(
      `scrape job "node": error creating HTTP client: tls_config.ca_file: unable to use specified CA cert ${junk}`,
    );
    const cert = path.join(TESTDATA, 'client.pem');
    const key = path.join(TESTDATA, 'server-key.pem');
    const e = thrown(() => scrapeHttpSettings(jobOf('tls_config: {cert_file: client.pem, key_file: server-key.pem}'), TESTDATA));
    expect([e.setting, e.file]).toEqual(['tls_config.cert_file', cert]);
    expect(e.message).toMatch(`tls_config.cert_file: unable to use specified client cert (${cert}) & key (${key}): `);
    // The key's content never shows.
    expect(e.message).not.toContain('PRIVATE KEY');
    const missingKey = path.join(dir, 'k.pem');
    const e2 = thrown(() => scrapeHttpSettings(jobOf(`tls_config: {cert_file: ${cert}, key_file: k.pem}`), dir));
    expect([e2.setting, e2.file]).toEqual(['tls_config.key_file', missingKey]);
    expect(e2.message).toContain(`open ${missingKey}: no such file or directory`);
  });

  it('static Authorization values are strings; *_file ones read the file per call, trimmed', async () => {
    expect(scrapeHttpSettings(jobOf('basic_auth: {username: u, password: " p "}'), dir).authorization()).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(scrapeHttpSettings(jobOf('basic_auth: {username: u}'), dir).authorization()).toBe(`Basic ${Buffer.from('u:').toString('base64')}`);
    expect(scrapeHttpSettings(jobOf('bearer_token: t'), dir).authorization()).toBe('Bearer t');
    writeFileSync(path.join(dir, 'user'), 'alice\n');
    writeFileSync(path.join(dir, 'pass'), 'one\n');
    const s = scrapeHttpSettings(jobOf('basic_auth: {username_file: user, password_file: pass}'), dir);
    expect(await s.authorization()).toBe(`Basic ${Buffer.from('alice:one').toString('base64')}`);
    writeFileSync(path.join(dir, 'pass'), 'two');
    expect(await s.authorization()).toBe(`Basic ${Buffer.from('alice:two').toString('base64')}`);
    const tok = path.join(dir, 'tok');
    await expect(scrapeHttpSettings(jobOf('bearer_token_file: tok'), dir).authorization()).rejects.toThrow(
      `unable to read authorization credentials file ${tok}: open ${tok}: no such file or directory`,
    );
  });

  it('proxy_url: host, default port, https, Proxy-Authorization from its (decoded) user info', () => {
    expect(scrapeHttpSettings(jobOf('proxy_url: http://proxy.lan'), dir).proxy).toEqual({ hostname: 'proxy.lan', port: 80, https: false });
    expect(scrapeHttpSettings(jobOf('proxy_url: https://a%3Ab:c%40d@[::1]:3128'), dir).proxy).toEqual({
      hostname: '::1',
      port: 3128,
      https: true,
      authorization: `Basic ${Buffer.from('a:b:c@d').toString('base64')}`,
    });
  });

  it('filesDigest follows the CA file\'s content, so a reload with the same path picks a new CA up', () => {
    copyFileSync(path.join(TESTDATA, 'other-ca.pem'), path.join(dir, 'ca.pem'));
    const job = jobOf('tls_config: {ca_file: ca.pem}');
    const a = scrapeHttpSettings(job, dir).filesDigest;
    expect(scrapeHttpSettings(job, dir).filesDigest).toBe(a);
    copyFileSync(path.join(TESTDATA, 'ca.pem'), path.join(dir, 'ca.pem'));
    expect(scrapeHttpSettings(job, dir).filesDigest).not.toBe(a);
  });
});

describe('ScrapeManager with HTTP client settings', () => {
  it('scrapes an https target with the job\'s CA; a new CA content applies on reload; an unusable CA refuses the whole config', async () => {
    const pem = (f: string) => readFileSync(path.join(TESTDATA, f), 'utf8');
    const server = https.createServer({ cert: pem('server.pem'), key: pem('server-key.pem') }, (req, res) => {
      req.resume();
      res.end('up_probe 1\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const address = `localhost:${(server.address() as AddressInfo).port}`;

    copyFileSync(path.join(TESTDATA, 'ca.pem'), path.join(dir, 'ca.pem'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const reports = new Reports();
    const manager = ScrapeManager.create({ appendable: new MemoryStorage(), clock, baseDir: dir, onScrape: reports.push });
    closers.push(() => manager.stop());
    const secure = jobOf('scheme: https\nscrape_interval: 10s\ntls_config: {ca_file: ca.pem}', 'secure');
    const plain = jobOf('scrape_interval: 10s', 'plain');
    await manager.applyConfig([secure, plain]);
    await manager.updateTargets(new Map([['secure', [{ source: 's', targets: [{ __address__: address }], labels: {} }]]]));
    manager.start();
    await clock.advance(10_000);
    expect((await reports.next()).error).toBeUndefined();

    // Same config, other CA content: the pool reloads and the next scrape fails verification.
    copyFileSync(path.join(TESTDATA, 'other-ca.pem'), path.join(dir, 'ca.pem'));
    await manager.applyConfig([secure, plain]);
    await clock.advance(10_000);
    expect((await reports.next()).error?.message).toBe(`Get "https://${address}/metrics": x509: certificate signed by unknown authority`);

    // An unusable CA for one job: nothing is applied (the other job is not even added).
    const pool = manager.pool('secure');
    await expect(
      manager.applyConfig([jobOf('scheme: https\ntls_config: {ca_file: gone.pem}', 'secure'), jobOf('', 'added')]),
    ).rejects.toThrow(`scrape job "secure": error creating HTTP client: tls_config.ca_file: unable to load specified CA cert ${path.join(dir, 'gone.pem')}`);
    expect(manager.pool('secure')).toBe(pool);
    expect(manager.pool('added')).toBeUndefined();
    expect(manager.pool('plain')).toBeDefined();
    const counter = (name: string) => manager.collectMetrics().find((f) => f.name === name)?.samples[0]?.value;
    expect(counter('prometheus_target_scrape_pool_reloads_failed_total')).toBe(1);
  });
});
