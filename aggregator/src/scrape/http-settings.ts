/**
 * A scrape job's HTTP client settings (basic_auth, authorization, bearer_token(_file),
 * tls_config, proxy_url, follow_redirects), resolved once per job as prometheus-common's
 * NewClientFromConfig does: relative file paths against the config file's directory, the CA,
 * client cert and key read and checked now (an unreadable or unparsable one fails the job with
 * a HttpSettingsError naming the job, the setting and the file, so a reload with it is refused),
 * secret files (password_file, credentials_file, bearer_token_file) re-read, trimmed, on every
 * request as its round trippers do.
 *
 * enable_http2 is accepted and ignored: scrapes speak HTTP/1.1 only.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { EdgepromError } from '@edgeprom/shared';
import type { ScrapeConfig } from '@edgeprom/shared/config';

/** The fields of a resolved scrape config this file reads. */
export type ScrapeHttpJob = Pick<
  ScrapeConfig,
  'job_name' | 'basic_auth' | 'authorization' | 'bearer_token' | 'bearer_token_file' | 'tls_config' | 'proxy_url' | 'follow_redirects'
>;

export interface ScrapeProxy {
  hostname: string;
  port: number;
  /** proxy_url is https: TLS to the proxy first. */
  https: boolean;
  /** `Basic ...` from the proxy URL's user info. */
  authorization?: string;
}

export interface ScrapeHttpSettings {
  /** tls.connect options without host/port: ca, cert, key (file contents), rejectUnauthorized,
   *  servername (tls_config.server_name), minVersion. Empty object when nothing is set. */
  readonly tls: tls.ConnectionOptions;
  /** The Authorization header value for one request, or undefined for none. Static settings
   *  return a string; *_file settings re-read the file on every call (Promise), trimmed, as
   *  prometheus-common does, and reject with its message ("unable to read ... file <path>: ..."). */
  authorization(): string | Promise<string> | undefined;
  /** proxy_url resolved: where to connect and the Proxy-Authorization from its userinfo. */
  readonly proxy: ScrapeProxy | undefined;
  readonly followRedirects: boolean;
  /** Digest of the CA, cert and key files' contents: a reload compares it with the job's JSON. */
  readonly filesDigest: string;
}

/** A CA, client cert or key file that cannot be read or used. */
export class HttpSettingsError extends EdgepromError {
  readonly job: string;
  readonly setting: string;
  readonly file: string;
  constructor(job: string, setting: string, file: string, message: string, options?: { cause?: unknown }) {
    super('ERR_SCRAPE_HTTP_SETTINGS', `scrape job ${JSON.stringify(job)}: error creating HTTP client: ${setting}: ${message}`, options);
    this.name = 'HttpSettingsError';
    this.job = job;
    this.setting = setting;
    this.file = file;
  }
}

/** Go's text for the common file errors ("open /x: no such file or directory"). */
const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** A file read error as Go's os.ReadFile words it. */
export function fileErrorText(file: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = err.code !== undefined ? GO_ERRNO[err.code] : undefined;
  if (text === undefined) return err instanceof Error ? err.message : String(e);
  return `${err.syscall ?? 'open'} ${file}: ${text}`;
}

const MIN_VERSION: Record<string, tls.SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export function scrapeHttpSettings(job: ScrapeHttpJob, baseDir: string | undefined): ScrapeHttpSettings {
  const abs = (f: string) => path.resolve(baseDir ?? process.cwd(), f);
  const digest = createHash('sha256');
  const t = job.tls_config;
  const opts: tls.ConnectionOptions = {};
  const fail = (setting: string, file: string, message: string, cause?: unknown) =>
    new HttpSettingsError(job.job_name, setting, file, message, cause !== undefined ? { cause } : undefined);

  if (t.ca_file !== undefined) {
    const file = abs(t.ca_file);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      throw fail('tls_config.ca_file', file, `unable to load specified CA cert ${file}: ${fileErrorText(file, e)}`, e);
    }
    if (!hasCertificate(pem)) throw fail('tls_config.ca_file', file, `unable to use specified CA cert ${file}`);
    opts.ca = pem;
    digest.update(pem);
  }
  if (t.cert_file !== undefined && t.key_file !== undefined) {
    const certFile = abs(t.cert_file);
    const keyFile = abs(t.key_file);
    const which = `unable to use specified client cert (${certFile}) & key (${keyFile})`;
    const read = (setting: string, file: string) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        throw fail(setting, file, `${which}: ${fileErrorText(file, e)}`, e);
      }
    };
    const cert = read('tls_config.cert_file', certFile);
    const key = read('tls_config.key_file', keyFile);
    try {
      tls.createSecureContext({ cert, key });
    } catch (e) {
      // Never the key's content: only the library's reason.
      throw fail('tls_config.cert_file', certFile, `${which}: ${(e as Error).message}`);
    }
    opts.cert = cert;
    opts.key = key;
    digest.update('\0').update(cert).update('\0').update(key);
  }
  if (t.insecure_skip_verify) opts.rejectUnauthorized = false;
  if ((t.server_name ?? '') !== '') opts.servername = t.server_name;
  if (t.min_version !== undefined) opts.minVersion = MIN_VERSION[t.min_version];

  return {
    tls: opts,
    authorization: authorizationOf(job, abs),
    proxy: job.proxy_url !== undefined ? proxyOf(job.proxy_url) : undefined,
    followRedirects: job.follow_redirects,
    filesDigest: digest.digest('hex'),
  };
}

/** Whether a PEM text holds at least one certificate (Go's AppendCertsFromPEM succeeding). */
function hasCertificate(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  for (const b of blocks) {
    try {
      new X509Certificate(b);
      return true;
    } catch {
      // Go skips blocks it cannot parse.
    }
  }
  return false;
}

async function readTrimmed(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new Error(`unable to read ${what} file ${file}: ${fileErrorText(file, e)}`);
  }
}

/** prometheus-common's round trippers, outermost (basic_auth) first. */
function authorizationOf(job: ScrapeHttpJob, abs: (f: string) => string): ScrapeHttpSettings['authorization'] {
  const b = job.basic_auth;
  if (b !== undefined) {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const userFile = (b.username_file ?? '') !== '' ? abs(b.username_file!) : undefined;
    const passFile = (b.password_file ?? '') !== '' ? abs(b.password_file!) : undefined;
    const user = b.username ?? '';
    const password = (b.password ?? '').trim();
    if (userFile === undefined && passFile === undefined) {
      const header = basic(user, password);
      return () => header;
    }
    return async () =>
      basic(
        userFile !== undefined ? await readTrimmed(userFile, 'basic auth username') : user,
        passFile !== undefined ? await readTrimmed(passFile, 'basic auth password') : password,
      );
  }
  // bearer_token(_file) is authorization with type Bearer (HTTPClientConfig.Validate).
  const a = job.authorization;
  const type = a?.type ?? 'Bearer';
  const credentials = (a !== undefined ? a.credentials : job.bearer_token) ?? '';
  const credentialsFile = (a !== undefined ? a.credentials_file : job.bearer_token_file) ?? '';
  if (credentials !== '') {
    const header = `${type} ${credentials}`;
    return () => header;
  }
  if (credentialsFile !== '') {
    const file = abs(credentialsFile);
    return async () => `${type} ${await readTrimmed(file, 'authorization credentials')}`;
  }
  return () => undefined;
}

function proxyOf(proxyUrl: string): ScrapeProxy {
  const u = new URL(proxyUrl);
  const https = u.protocol === 'https:';
  const proxy: ScrapeProxy = {
    hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
    https,
  };
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    proxy.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return proxy;
}
