/**
 * Authentication of push requests: HTTP basic auth or bearer tokens. Credentials are
 * compared in constant time (both sides hashed to equal-length digests, then
 * timingSafeEqual), every configured credential is checked so the time does not reveal
 * which one matched, and nothing secret is ever logged.
 *
 * A basic auth user has either a plain password (tests, embedding) or an scrypt hash
 * (`$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, what the config file holds). Verifying a hash
 * costs tens of milliseconds, so it runs in libuv's thread pool (crypto.scrypt) and a
 * success is remembered (by a digest of user and password, as Prometheus's exporter-toolkit
 * caches bcrypt results): a client pushing every few seconds pays once.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SCRYPT_HASH_RE } from '@edgeprom/shared/config';

export interface BasicUser {
  username: string;
  /** Plain password; exactly one of password and passwordHash. */
  password?: string;
  /** scrypt hash as made by hashPassword(). */
  passwordHash?: string;
}


interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parses an scrypt hash string; throws Error naming what is wrong (never echoing the hash). */
export function parseScryptHash(s: string): ScryptHash {
  const m = SCRYPT_HASH_RE.exec(s);
  if (!m) throw new Error('not an scrypt hash of the form $scrypt$ln=<n>,r=<r>,p=<p>$<salt>$<hash>');
  const ln = Number(m[1]);
  if (ln < 10 || ln > 20) throw new Error(`scrypt cost ln=${ln} is outside 10..20`);
  const hash = Buffer.from(m[5]!, 'base64');
  if (hash.length < 16) throw new Error('scrypt hash shorter than 16 bytes');
  return { N: 2 ** ln, r: Number(m[2]), p: Number(m[3]), salt: Buffer.from(m[4]!, 'base64'), hash };
}

function scryptAsync(password: string, h: ScryptHash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: 128 * N * r plus slack, so high costs up to ln=20 are allowed.
    scrypt(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Makes an scrypt hash for push.basic_auth_users (ln=14: about 50 ms on a small machine). */
export async function hashPassword(password: string, ln = 14, r = 8, p = 1): Promise<string> {
  const salt = randomBytes(16);
  const h: ScryptHash = { N: 2 ** ln, r, p, salt, hash: Buffer.alloc(32) };
  const key = await scryptAsync(password, h);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Successful hashed-password checks remembered, at most this many. */
const VERIFIED_CACHE_MAX = 1024;

export interface Credentials {
  basicUsers: readonly BasicUser[];
  bearerTokens: readonly string[];
  insecure: boolean;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string equality (the time depends on neither content nor length). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Precomputed digests, so each request hashes only what it presents. */
export class Authenticator {
  readonly #users: { user: Buffer; pass: Buffer | undefined; hash: ScryptHash | undefined }[];
  readonly #tokens: Buffer[];
  readonly #insecure: boolean;
  /** Digests of `user:password` pairs a hash has already verified. */
  readonly #verified = new Set<string>();
  #dummy: ScryptHash | undefined;

  /** Throws Error on an unusable hash (the caller reports it as a config error). */
  constructor(c: Credentials) {
    this.#users = c.basicUsers.map((u) => ({
      user: digest(u.username),
      pass: u.password !== undefined ? digest(u.password) : undefined,
      hash: u.passwordHash !== undefined ? parseScryptHash(u.passwordHash) : undefined,
    }));
    this.#tokens = c.bearerTokens.map(digest);
    this.#insecure = c.insecure;
    const first = this.#users.find((u) => u.hash !== undefined)?.hash;
    if (first) this.#dummy = { ...first, salt: randomBytes(16), hash: randomBytes(first.hash.length) };
  }

  /** The `WWW-Authenticate` challenge for a 401. */
  get challenge(): string {
    return this.#users.length > 0 ? 'Basic realm="edgeprom push"' : 'Bearer realm="edgeprom push"';
  }

  /** True when the request may push: insecure mode, or one matching credential. */
  async check(req: IncomingMessage): Promise<boolean> {
    if (this.#insecure && this.#users.length === 0 && this.#tokens.length === 0) return true;
    const header = req.headers.authorization;
    if (typeof header !== 'string') return this.#insecure;
    const sp = header.indexOf(' ');
    const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : header.slice(sp + 1).trim();
    let ok = false;
    if (scheme === 'basic') {
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        const password = decoded.slice(colon + 1);
        const user = digest(decoded.slice(0, colon));
        const pass = digest(password);
        let hashed: ScryptHash | undefined;
        for (const u of this.#users) {
          // Both comparisons always run: no early exit on the user name.
          const a = timingSafeEqual(u.user, user);
          const b = u.pass !== undefined && timingSafeEqual(u.pass, pass);
          ok = (a && b) || ok;
          if (a && u.hash !== undefined) hashed = u.hash;
        }
        // An unknown user costs a hash too when hashes are in use, so timing does not tell
        // which usernames exist.
        const dummy = this.#dummy;
        if (!ok && hashed !== undefined) ok = await this.#verifyHash(decoded, password, hashed);
        else if (!ok && dummy !== undefined) await this.#verifyHash(decoded, password, dummy);
      }
    } else if (scheme === 'bearer') {
      const token = digest(rest);
      for (const t of this.#tokens) ok = timingSafeEqual(t, token) || ok;
    }
    return ok;
  }

  async #verifyHash(pair: string, password: string, h: ScryptHash): Promise<boolean> {
    const key = createHash('sha256').update(pair, 'utf8').digest('base64');
    if (this.#verified.has(key)) return true;
    let got: Buffer;
    try {
      got = await scryptAsync(password, h);
    } catch {
      return false;
    }
    if (!timingSafeEqual(got, h.hash)) return false;
    if (this.#verified.size >= VERIFIED_CACHE_MAX) this.#verified.clear();
    this.#verified.add(key);
    return true;
  }
}
