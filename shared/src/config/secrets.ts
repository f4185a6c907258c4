/**
 * Redaction for showing a config (`/api/v1/status/config`, logs): every secret becomes
 * `<secret>`, as Prometheus's config.Secret marshals, and a password inside a URL becomes
 * `xxxxx`, as Go's url.URL.Redacted does. File paths (`password_file`) stay visible.
 *
 * This is the one place secret fields are named. secrets.test.ts walks every schema and
 * fails if a field whose name looks secret is missing here.
 */

export const SECRET_PLACEHOLDER = '<secret>';

/** Fields holding a secret inline, wherever they appear in a config. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'credentials', 'bearer_token']);

/** Fields holding a URL, which may carry `user:password@`. */
export const URL_FIELDS: ReadonlySet<string> = new Set(['url', 'proxy_url']);

/** Maps whose keys are user data (label names, parameters), not field names: not searched. */
export const FREE_FORM_FIELDS: ReadonlySet<string> = new Set(['labels', 'external_labels', 'params']);

function redactUrl(s: string): string {
  try {
    const u = new URL(s);
    if (u.password === '') return s;
    u.password = 'xxxxx';
    return u.href;
  } catch {
    return s;
  }
}

function redact(value: unknown, field: string | undefined): unknown {
  if (field !== undefined && SECRET_FIELDS.has(field) && typeof value === 'string') {
    return value === '' ? value : SECRET_PLACEHOLDER;
  }
  if (field !== undefined && URL_FIELDS.has(field) && typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, undefined));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    if (field !== undefined && FREE_FORM_FIELDS.has(field)) return { ...value };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: redact(v, k), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** A deep copy of `config` with every secret replaced; the input is not modified. */
export function redactSecrets<T>(config: T): T {
  return redact(config, undefined) as T;
}
