/**
 * Request parameters as Go's net/http reads them (r.Form / r.FormValue): url-encoded body
 * values of POST, PUT and PATCH first, then the URL query. Parsing follows url.ParseQuery:
 * pairs split on `&`, a pair with `;` in its key or a bad `%` escape is dropped and the first
 * such error is kept (only /api/v1/series reports it, as Prometheus does).
 */

export class Form {
  readonly #pairs: [string, string][] = [];
  /** The first error url.ParseQuery would have returned, if any. */
  error: string | undefined;

  add(raw: string): void {
    const err = parseQueryInto(raw, this.#pairs);
    if (err !== undefined && this.error === undefined) this.error = err;
  }

  /** r.FormValue: the first value, or '' (Go does not tell absent from empty). */
  value(name: string): string {
    for (const [k, v] of this.#pairs) if (k === name) return v;
    return '';
  }

  has(name: string): boolean {
    return this.#pairs.some(([k]) => k === name);
  }

  /** r.Form[name]. */
  all(name: string): string[] {
    const out: string[] = [];
    for (const [k, v] of this.#pairs) if (k === name) out.push(v);
    return out;
  }

  names(): string[] {
    return [...new Set(this.#pairs.map(([k]) => k))];
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** url.QueryUnescape, or the Go error text. */
function unescape(s: string): string | { error: string } {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  const enc = Buffer.from(s, 'utf8');
  for (let i = 0; i < enc.length; i++) {
    const c = enc[i]!;
    if (c === 0x25) {
      const h = i + 2 < enc.length ? hexVal(enc[i + 1]!) : -1;
      const l = i + 2 < enc.length ? hexVal(enc[i + 2]!) : -1;
      if (h < 0 || l < 0) {
        let bad = enc.subarray(i, Math.min(i + 3, enc.length)).toString('utf8');
        if (bad.length > 3) bad = bad.slice(0, 3);
        return { error: `invalid URL escape ${JSON.stringify(bad)}` };
      }
      bytes.push(h * 16 + l);
      i += 2;
    } else if (c === 0x2b) {
      bytes.push(0x20);
    } else {
      bytes.push(c);
    }
  }
  return decoder.decode(Uint8Array.from(bytes));
}

function parseQueryInto(raw: string, out: [string, string][]): string | undefined {
  let first: string | undefined;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      first ??= 'invalid semicolon separator in query';
      continue;
    }
    const eq = part.indexOf('=');
    const k = unescape(eq < 0 ? part : part.slice(0, eq));
    if (typeof k !== 'string') {
      first ??= k.error;
      continue;
    }
    const v = unescape(eq < 0 ? '' : part.slice(eq + 1));
    if (typeof v !== 'string') {
      first ??= v.error;
      continue;
    }
    out.push([k, v]);
  }
  return first;
}
