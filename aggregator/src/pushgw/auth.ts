/**
 * Authentication of push requests: HTTP basic auth or bearer tokens. Credentials are
 * compared in constant time (both sides hashed to equal-length digests, then
 * timingSafeEqual), every configured credential is checked so the time does not reveal
 * which one matched, and nothing secret is ever logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface BasicUser {
  username: string;
  password: string;
}

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
  readonly #users: { user: Buffer; pass: Buffer }[];
  readonly #tokens: Buffer[];
  readonly #insecure: boolean;

  constructor(c: Credentials) {
    this.#users = c.basicUsers.map((u) => ({ user: digest(u.username), pass: digest(u.password) }));
    this.#tokens = c.bearerTokens.map(digest);
    this.#insecure = c.insecure;
  }

  /** The `WWW-Authenticate` challenge for a 401. */
  get challenge(): string {
    return this.#users.length > 0 ? 'Basic realm="edgeprom push"' : 'Bearer realm="edgeprom push"';
  }

  /** True when the request may push: insecure mode, or one matching credential. */
  check(req: IncomingMessage): boolean {
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
        const user = digest(decoded.slice(0, colon));
        const pass = digest(decoded.slice(colon + 1));
        for (const u of this.#users) {
          // Both comparisons always run: no early exit on the user name.
          const a = timingSafeEqual(u.user, user);
          const b = timingSafeEqual(u.pass, pass);
          ok = (a && b) || ok;
        }
      }
    } else if (scheme === 'bearer') {
      const token = digest(rest);
      for (const t of this.#tokens) ok = timingSafeEqual(t, token) || ok;
    }
    return ok;
  }
}
