/**
 * Content negotiation for `/metrics`, done the way client_golang's
 * `expfmt.NegotiateIncludingOpenMetrics` does it: walk the Accept clauses from the most to the
 * least preferred and serve the first exposition format we know; if none matches, serve the
 * text format (a scrape never fails on content negotiation, since Prometheus 1.x and plain
 * `curl` send odd or no Accept headers).
 *
 * Where we go beyond goautoneg: `q=0` means "not acceptable" (RFC 9110) instead of "least
 * preferred", the sort is stable (equal q-values keep header order, more specific types first),
 * and media types and parameter names are case-insensitive.
 */

/** Content-Type of the text format 0.0.4, exactly as client_golang sends it. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Content-Type of OpenMetrics 1.0.0, exactly as client_golang sends it. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * The Accept header a scraper sends (Prometheus's scrape default): OpenMetrics 1.0.0 first,
 * then OpenMetrics 0.0.1, then the text format, then anything.
 */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface Negotiated {
  /** The `format` to pass to the encoder (and to parseExposition on the scraping side). */
  format: 'text' | 'openmetrics';
  contentType: string;
}

const TEXT: Negotiated = Object.freeze({ format: 'text', contentType: TEXT_CONTENT_TYPE });
const OPENMETRICS: Negotiated = Object.freeze({
  format: 'openmetrics',
  contentType: OPENMETRICS_CONTENT_TYPE,
});

interface Clause {
  type: string;
  subtype: string;
  version: string;
  q: number;
  order: number;
}

/**
 * Picks the exposition format for a scrape's Accept header. OpenMetrics is chosen only when an
 * `application/openmetrics-text` clause (version 1.0.0, 0.0.1 or none; both are served as
 * 1.0.0, which 0.0.1 readers accept) ranks above every `text/plain` clause we can serve.
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (accept === undefined || accept === '') return TEXT;
  const clauses = parseAccept(accept);
  for (const c of clauses) {
    if (c.type === 'text' && c.subtype === 'plain' && (c.version === '' || c.version === '0.0.4')) {
      return TEXT;
    }
    if (
      c.type === 'application' &&
      c.subtype === 'openmetrics-text' &&
      (c.version === '' || c.version === '1.0.0' || c.version === '0.0.1')
    ) {
      return OPENMETRICS;
    }
  }
  return TEXT;
}

/**
 * The format of a scraped body from its response Content-Type (for the scraper): OpenMetrics
 * for `application/openmetrics-text`, the text format for anything else, as Prometheus falls
 * back to its text parser.
 */
export function formatOfContentType(contentType: string | undefined): 'text' | 'openmetrics' {
  if (contentType === undefined) return 'text';
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/** Acceptable clauses (q > 0), most preferred first. */
function parseAccept(header: string): Clause[] {
  const out: Clause[] = [];
  const parts = header.split(',');
  for (let i = 0; i < parts.length; i++) {
    const params = parts[i].split(';');
    const media = params[0].trim().toLowerCase();
    const slash = media.indexOf('/');
    let type: string;
    let subtype: string;
    if (slash < 0) {
      if (media !== '*') continue; // goautoneg accepts a bare `*` as `*/*`
      type = subtype = '*';
    } else {
      type = media.slice(0, slash).trim();
      subtype = media.slice(slash + 1).trim();
      if (type === '' || subtype === '') continue;
    }
    let q = 1;
    let version = '';
    for (let j = 1; j < params.length; j++) {
      const eq = params[j].indexOf('=');
      if (eq < 0) continue;
      const key = params[j].slice(0, eq).trim().toLowerCase();
      let value = params[j].slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (key === 'q') {
        const n = Number(value);
        q = value !== '' && Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      } else if (key === 'version') {
        version = value;
      }
    }
    if (q > 0) out.push({ type, subtype, version, q, order: i });
  }
  out.sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.order - b.order);
  return out;
}

function specificity(c: Clause): number {
  return c.type === '*' ? 0 : c.subtype === '*' ? 1 : 2;
}
