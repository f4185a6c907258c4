/**
 * The grouping key in the URL path, parsed the way the Pushgateway does it:
 *
 *   /metrics/job/<JOB>{/<LABEL>/<VALUE>}      or   /metrics/job@base64/<B64>{...}
 *
 * A label name suffixed with `@base64` marks its value as RFC 4648 URL-safe base64; `=`
 * padding is optional and ignored, so `=` alone encodes the empty value. The path is
 * percent-decoded before it is split (as Go's router sees it), so `%2F` is a separator;
 * base64 is the only way to put a `/` in a value. A label repeated in the path keeps its
 * last value, and the job segment always wins over a `job` label later in the path.
 */
import { isValidLabelName } from '@edgeprom/shared';
import { badPath } from './errors.js';

export const BASE64_SUFFIX = '@base64';

/** Label name → value, including labels with an empty value (they are part of the key). */
export type GroupingLabels = ReadonlyMap<string, string>;

const B64_CHARS = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Go's base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")), with its error text. */
export function decodeBase64(s: string): { value: string } | { error: string; partial: string } {
  const raw = s.replace(/=+$/, '');
  let bad = -1;
  if (!B64_CHARS.test(raw)) {
    for (let i = 0; i < raw.length; i++) {
      if (!/[A-Za-z0-9_-]/.test(raw[i]!)) {
        bad = i;
        break;
      }
    }
  } else if (raw.length % 4 === 1) {
    bad = raw.length - 1;
  }
  if (bad >= 0) {
    const partial = Buffer.from(raw.slice(0, Math.floor(bad / 4) * 4), 'base64url').toString('latin1');
    return { error: `illegal base64 data at input byte ${bad}`, partial };
  }
  const bytes = Buffer.from(raw, 'base64url');
  try {
    return { value: utf8.decode(bytes) };
  } catch {
    return { error: 'decoded value is not valid UTF-8', partial: '' };
  }
}

/**
 * Parses what follows `/metrics/` in a clean, decoded path: `job/<job>[/labels...]` or
 * `job@base64/<job>[...]`. Returns undefined when the path is not a push route at all.
 * Throws PushError ERR_PUSH_BAD_PATH with Pushgateway's messages.
 */
export function parseGroupingPath(rest: string): GroupingLabels | undefined {
  let b64: boolean;
  let after: string;
  if (rest.startsWith('job/')) {
    b64 = false;
    after = rest.slice(4);
  } else if (rest.startsWith('job@base64/')) {
    b64 = true;
    after = rest.slice(11);
  } else {
    return undefined;
  }
  const slash = after.indexOf('/');
  let job = slash < 0 ? after : after.slice(0, slash);
  const labelsString = slash < 0 ? '' : after.slice(slash);
  if (job === '') return undefined; // `/metrics/job/` is a redirect, handled by the caller
  if (b64) {
    const d = decodeBase64(job);
    if ('error' in d) throw badPath(`invalid base64 encoding in job name ${goQuote(d.partial)}: ${d.error}`);
    job = d.value;
  }
  const labels = splitLabels(labelsString);
  if (job === '') throw badPath('job name is required');
  labels.set('job', job);
  return labels;
}

function splitLabels(s: string): Map<string, string> {
  const out = new Map<string, string>();
  if (s.length <= 1) return out;
  const parts = s.slice(1).split('/');
  if (parts.length % 2 !== 0) throw badPath(`odd number of components in label string ${goQuote(s)}`);
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i]!;
    const value = parts[i + 1]!;
    const trimmed = name.endsWith(BASE64_SUFFIX) ? name.slice(0, -BASE64_SUFFIX.length) : name;
    if (!isValidLabelName(trimmed) || trimmed.startsWith('__')) {
      throw badPath(`improper label name ${goQuote(trimmed)}`);
    }
    if (trimmed === name) {
      out.set(name, value);
      continue;
    }
    const d = decodeBase64(value);
    if ('error' in d) throw badPath(`invalid base64 encoding for label ${trimmed}=${goQuote(value)}: ${d.error}`);
    out.set(trimmed, d.value);
  }
  return out;
}

/** Go's %q for the strings we show (JSON escaping is close enough for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** A stable key for a grouping label set: empty values count, as in Pushgateway. */
export function groupKey(labels: GroupingLabels): string {
  const names = [...labels.keys()].sort();
  return JSON.stringify(names.map((n) => [n, labels.get(n)]));
}

/**
 * Go's path.Clean, keeping a trailing slash, as net/http's ServeMux does before redirecting
 * an unclean path with 301.
 */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  const abs = p.startsWith('/') ? p : '/' + p;
  const out: string[] = [];
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let cleaned = '/' + out.join('/');
  if (abs.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned;
}
