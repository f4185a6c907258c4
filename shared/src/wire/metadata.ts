/**
 * Optional per-family metadata in a batch (the `meta` key, docs/wire-format.md): a CBOR map
 * from metric family name to `[type, help, unit]`. Sent when a family is new to the agent's
 * connection, not in every batch. Receivers that predate it ignore the key (v1 receivers
 * ignore unknown keys), and batches without it are as before. Shared by the encoder (which
 * refuses what a receiver would reject) and the decoder (which rejects, naming the field).
 */
import { isValidMetricName } from '../labels.js';
import { describeValue } from './fields.js';
import { malformed } from './wire-error.js';

/** One family's `# TYPE`, `# HELP` and `# UNIT`, as the exposition formats define them. */
export interface WireFamilyMetadata {
  /** Family name (an OpenMetrics counter's name without `_total`). */
  metric: string;
  /** One of WIRE_METRIC_TYPES (`unknown` for the text format's `untyped`). */
  type: string;
  /** '' when the family has no HELP. */
  help: string;
  /** '' when the family has no UNIT. */
  unit: string;
}

export const WIRE_METRIC_TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

/** Bounds on the `meta` of one batch. Both sides use them: keep agent and aggregator alike. */
export interface WireMetadataLimits {
  /** Families in one batch's `meta`. */
  maxFamilies: number;
  /** Length of a HELP text (UTF-16 code units). */
  maxHelpLength: number;
  /** Length of a UNIT. */
  maxUnitLength: number;
}

export const DEFAULT_WIRE_METADATA_LIMITS: WireMetadataLimits = Object.freeze({
  maxFamilies: 1000,
  maxHelpLength: 1024,
  maxUnitLength: 64,
});

export function resolveMetadataLimits(l: Partial<WireMetadataLimits> | undefined): WireMetadataLimits {
  return { ...DEFAULT_WIRE_METADATA_LIMITS, ...l };
}

function readText(x: unknown, path: string, max: number): string {
  if (typeof x !== 'string') return malformed(path, `expected text string, got ${describeValue(x)}`);
  if (x.length > max) return malformed(path, `${x.length} characters, over the maximum of ${max}`);
  return x;
}

function checkEntry(metric: unknown, type: unknown, help: unknown, unit: unknown, p: string, l: WireMetadataLimits): WireFamilyMetadata {
  if (typeof metric !== 'string') return malformed(p, `expected a text string key, got ${describeValue(metric)}`);
  const path = `${p}[${JSON.stringify(metric.length > 40 ? `${metric.slice(0, 40)}…` : metric)}]`;
  if (!isValidMetricName(metric)) malformed(path, 'invalid metric family name');
  const t = readText(type, `${path}[0]`, 32);
  if (!WIRE_METRIC_TYPES.has(t)) malformed(`${path}[0]`, `unknown metric type ${JSON.stringify(t)} (expected one of ${[...WIRE_METRIC_TYPES].join(', ')})`);
  return { metric, type: t, help: readText(help, `${path}[1]`, l.maxHelpLength), unit: readText(unit, `${path}[2]`, l.maxUnitLength) };
}

/** Decoder side: the `meta` value of a decoded batch (cbor-x Map), checked. */
export function readMeta(raw: unknown, limits: WireMetadataLimits): WireFamilyMetadata[] {
  if (!(raw instanceof Map)) return malformed('meta', `expected a map of family name to [type, help, unit], got ${describeValue(raw)}`);
  if (raw.size > limits.maxFamilies) malformed('meta', `${raw.size} families, over the maximum of ${limits.maxFamilies}`);
  const out: WireFamilyMetadata[] = [];
  for (const [k, v] of raw as Map<unknown, unknown>) {
    if (!Array.isArray(v) || v.length < 3) {
      malformed(`meta[${typeof k === 'string' ? JSON.stringify(k) : describeValue(k)}]`, `expected an array [type, help, unit], got ${describeValue(v)}`);
    }
    // Elements after the third are reserved for later versions and ignored.
    out.push(checkEntry(k, v[0], v[1], v[2], 'meta', limits));
  }
  return out;
}

/** Encoder side: the `meta` value to send (a Map keeps names like `__proto__` plain keys). */
export function metaForWire(meta: readonly WireFamilyMetadata[], limits: WireMetadataLimits): Map<string, string[]> {
  if (!Array.isArray(meta)) malformed('meta', 'expected an array');
  if (meta.length > limits.maxFamilies) malformed('meta', `${meta.length} families, over the maximum of ${limits.maxFamilies}`);
  const out = new Map<string, string[]>();
  for (const m of meta) {
    const e = checkEntry(m.metric, m.type, m.help, m.unit, 'meta', limits);
    if (out.has(e.metric)) malformed(`meta[${JSON.stringify(e.metric)}]`, 'family appears twice');
    out.set(e.metric, [e.type, e.help, e.unit]);
  }
  return out;
}
