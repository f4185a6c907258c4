/**
 * JSON output byte-compatible with Prometheus's: sample values as strings formatted like its
 * jsonutil.MarshalFloat, timestamps as seconds with exactly the milliseconds written out
 * (`1.5` s is `1.500`, as MarshalTimestamp writes it), labels as objects in label order, and
 * Go's HTML-safe string escaping (`<` is `\u003c`).
 */
import type { Labels } from '@edgeprom/shared';
import type { EngineValue } from './engine.js';
import type { FloatHistogram } from '../storage/histogram.js';

/** jsonutil.MarshalFloat: strconv 'f' with shortest digits, 'e' below 1e-6 and from 1e21. */
export function formatSampleValue(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // JS's Number#toString switches to exponent notation at the same bounds Go's
  // MarshalFloat does, with the same shortest round-trip digits; Go pads the exponent.
  const s = String(f);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s[e + 1]!;
  const exp = s.slice(e + 2);
  return s.slice(0, e) + 'e' + sign + (exp.length < 2 ? '0' + exp : exp);
}

/** jsonutil.MarshalTimestamp: ms as seconds, the fraction always three digits when present. */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let out = '';
  if (t < 0) {
    out = '-';
    t = -t;
  }
  const secs = Math.floor(t / 1000);
  const frac = t - secs * 1000;
  out += String(secs);
  if (frac !== 0) out += '.' + String(frac).padStart(3, '0');
  return out;
}

const GO_UNSAFE = /[<>&\u2028\u2029]/g;
const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON text as Go's encoding/json writes it. Safe to apply to a whole document: these
 * characters can only occur inside strings.
 */
export function goJson(json: string): string {
  return json.replace(GO_UNSAFE, (c) => GO_ESCAPES[c]!);
}

export function encodeString(s: string): string {
  return JSON.stringify(s);
}

export function encodeLabels(l: Labels): string {
  let out = '{';
  for (let i = 0; i < l.size; i++) {
    if (i > 0) out += ',';
    out += encodeString(l.nameAt(i)) + ':' + encodeString(l.valueAt(i));
  }
  return out + '}';
}

function point(t: number, v: string): string {
  return '[' + formatTimestamp(t) + ',' + encodeString(v) + ']';
}

/**
 * jsonutil.MarshalHistogram: count, sum and the non-empty buckets from the lowest up, each
 * `[boundary_rule, lower, upper, count]` where the rule says which ends are inclusive
 * (0: upper only, 1: lower only, 2: neither, 3: both).
 */
export function encodeHistogram(h: FloatHistogram): string {
  let out = '{"count":' + encodeString(formatSampleValue(h.count)) + ',"sum":' + encodeString(formatSampleValue(h.sum));
  const buckets: string[] = [];
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    const rule = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : b.upperInclusive ? 0 : 2;
    buckets.push(
      '[' + rule + ',' + encodeString(formatSampleValue(b.lower)) + ',' + encodeString(formatSampleValue(b.upper)) + ',' + encodeString(formatSampleValue(b.count)) + ']',
    );
  }
  if (buckets.length > 0) out += ',"buckets":[' + buckets.join(',') + ']';
  return out + '}';
}

function histogramPoint(t: number, h: FloatHistogram): string {
  return '[' + formatTimestamp(t) + ',' + encodeHistogram(h) + ']';
}

/**
 * The `result` of a query response, as JSON text. Histogram samples go under `histogram`
 * (vectors) and `histograms` (matrices) as Prometheus writes them; a matrix series lists
 * only the keys it has points for.
 */
export function encodeResult(value: EngineValue): string {
  switch (value.type) {
    case 'scalar':
      return point(value.t, formatSampleValue(value.v));
    case 'string':
      return point(value.t, value.v);
    case 'vector': {
      const parts: string[] = [];
      for (const s of value.samples) {
        if (s.h !== undefined) parts.push('{"metric":' + encodeLabels(s.metric) + ',"histogram":' + histogramPoint(s.t, s.h) + '}');
        else parts.push('{"metric":' + encodeLabels(s.metric) + ',"value":' + point(s.t, formatSampleValue(s.f)) + '}');
      }
      return '[' + parts.join(',') + ']';
    }
    case 'matrix': {
      const parts: string[] = [];
      // A range query's series share their step times: each `[<time>,"` prefix is written once.
      const prefixes = new Map<number, string>();
      for (const s of value.series) {
        const pts: string[] = [];
        let hpts: string[] | undefined;
        const points = s.points;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          if (p.h !== undefined) {
            (hpts ??= []).push(histogramPoint(p.t, p.h));
            continue;
          }
          let prefix = prefixes.get(p.t);
          if (prefix === undefined) {
            prefix = '[' + formatTimestamp(p.t) + ',"';
            prefixes.set(p.t, prefix);
          }
          // A formatted number needs no JSON escaping: only the quotes around it.
          pts.push(prefix + formatSampleValue(p.f) + '"]');
        }
        if (hpts === undefined) parts.push('{"metric":' + encodeLabels(s.metric) + ',"values":[' + pts.join(',') + ']}');
        else {
          const floats = pts.length > 0 ? ',"values":[' + pts.join(',') + ']' : '';
          parts.push('{"metric":' + encodeLabels(s.metric) + floats + ',"histograms":[' + hpts.join(',') + ']}');
        }
      }
      return '[' + parts.join(',') + ']';
    }
  }
}

/** A value JSON.stringify can encode, or raw JSON text already encoded. */
export class RawJson {
  constructor(readonly text: string) {}
}

let nonce = 0;

/** JSON.stringify that splices RawJson values in unchanged. */
export function encodeData(data: unknown): string {
  const raws: string[] = [];
  // A fresh marker per call, so no string in the data can pose as one.
  const tag = `\u0000raw${(nonce = (nonce + 1) % 1e9)}.${Math.random().toString(36).slice(2)}:`;
  const text = JSON.stringify(data, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `${tag}${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  const marker = JSON.stringify(tag).slice(1, -1);
  let out = '';
  let from = 0;
  for (;;) {
    const at = text.indexOf('"' + marker, from);
    if (at < 0) break;
    const numStart = at + 1 + marker.length;
    const end = text.indexOf('\\u0000"', numStart);
    out += text.slice(from, at) + raws[Number(text.slice(numStart, end))]!;
    from = end + '\\u0000"'.length;
  }
  return out + text.slice(from);
}
