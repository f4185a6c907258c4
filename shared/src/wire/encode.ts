/**
 * Encoders for the wire format v1 (docs/wire-format.md). They check their input against the
 * same rules the decoder enforces, so an agent finds out about a bad series when it builds the
 * batch, not from a receiver that silently never acks.
 */
import { Encoder } from 'cbor-x';
import type { Labels } from '../labels.js';
import { METRIC_NAME, isValidLabelName, isValidMetricName } from '../labels.js';
import {
  DEFAULT_MAX_WIRE_BYTES,
  type AckInput,
  type BatchInput,
  type PresenceInput,
  type WireOptions,
} from './message.js';
import { readAck, readAgentBoot, readPresence, readUint } from './fields.js';
import { metaForWire, resolveMetadataLimits } from './metadata.js';
import { WIRE_ERROR_CODES, WireError, malformed } from './wire-error.js';

// Plain CBOR: no cbor-x records or packing (measured in the spec: our symbol table already
// removes the repetition they would, and both are extensions a C decoder would have to learn).
// variableMapSize gives maps their shortest length header, as preferred serialization wants.
// One instance per module is safe: encoding is synchronous and keeps no state between calls.
const encoder = new Encoder({ useRecords: false, variableMapSize: true });

/** Encodes a batch. Throws ERR_WIRE_MALFORMED for invalid input, ERR_WIRE_TOO_LARGE if over maxBytes. */
export function encodeBatch(batch: BatchInput, opts: WireOptions = {}): Uint8Array {
  const { agent, boot } = readAgentBoot((k) => (batch as unknown as Record<string, unknown>)[k]);
  const seqFrom = readUint(batch.seqFrom, 'seqFrom');
  const seqTo = readUint(batch.seqTo, 'seqTo');
  if (seqTo < seqFrom) malformed('seqTo', `${seqTo} is less than seqFrom ${seqFrom}`);
  if (!Array.isArray(batch.series)) malformed('series', 'expected an array');

  const symbols: string[] = [];
  const symbolIndex = new Map<string, number>();
  const sym = (s: string): number => {
    let i = symbolIndex.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      symbolIndex.set(s, i);
    }
    return i;
  };

  const seen = new Set<string>();
  let total = 0;
  const series = batch.series.map((s, i) => {
    const p = `series[${i}]`;
    checkLabels(s.labels, `${p}.l`);
    if (seen.has(s.labels.key)) malformed(`${p}.l`, `series ${s.labels.toString()} appears twice in the batch`);
    seen.add(s.labels.key);
    const kv = s.labels.pairs();
    const l = new Array<number>(kv.length);
    for (let j = 0; j < kv.length; j++) l[j] = sym(kv[j]);

    const n = s.timestamps.length;
    if (n === 0) malformed(`${p}.t`, 'a series needs at least one sample');
    if (s.values.length !== n) malformed(`${p}.v`, `${s.values.length} values for ${n} timestamps`);
    if (s.seqs.length !== n) malformed(`${p}.q`, `${s.seqs.length} seqs for ${n} timestamps`);
    total += n;
    return {
      l,
      t: timestampDeltas(s.timestamps, `${p}.t`),
      v: s.values instanceof Float64Array ? s.values : Float64Array.from(s.values),
      q: seqDeltas(s.seqs, seqFrom, seqTo, `${p}.q`),
    };
  });
  if (total > seqTo - seqFrom + 1) {
    malformed('series', `${total} samples do not fit the ${seqTo - seqFrom + 1} seqs of [seqFrom, seqTo]`);
  }

  const msg: Record<string, unknown> = { v: 1, type: 'batch', agent, boot, seqFrom: int(seqFrom), seqTo: int(seqTo) };
  if (batch.dropped !== undefined) msg.dropped = int(readUint(batch.dropped, 'dropped'));
  msg.symbols = symbols;
  msg.series = series;
  if (batch.meta !== undefined && batch.meta.length > 0) msg.meta = metaForWire(batch.meta, resolveMetadataLimits(opts.meta));
  return finish(msg, 'batch', opts);
}

/** Encodes a presence message (retained on `<prefix>presence/<agent>`; also the last will). */
export function encodePresence(p: PresenceInput, opts: WireOptions = {}): Uint8Array {
  const m = readPresence((k) => (p as unknown as Record<string, unknown>)[k]);
  const msg: Record<string, unknown> = {
    v: 1,
    type: 'presence',
    agent: m.agent,
    boot: m.boot,
    bootSeq: int(m.bootSeq),
    state: m.state,
    version: m.version,
  };
  if (m.metricsPath !== undefined) msg.metricsPath = m.metricsPath;
  if (m.addresses !== undefined) msg.addresses = m.addresses;
  if (m.port !== undefined) msg.port = m.port;
  msg.ts = int(m.ts);
  return finish(msg, 'presence', opts);
}

/** Encodes an ack: every sample of `boot` with seq <= seqTo is durable at the aggregator. */
export function encodeAck(a: AckInput, opts: WireOptions = {}): Uint8Array {
  const m = readAck((k) => (a as unknown as Record<string, unknown>)[k]);
  return finish({ v: 1, type: 'ack', agent: m.agent, boot: m.boot, seqTo: int(m.seqTo) }, 'ack', opts);
}

function finish(msg: Record<string, unknown>, what: string, opts: WireOptions): Uint8Array {
  const bytes: Uint8Array = encoder.encode(msg);
  const max = opts.maxBytes ?? DEFAULT_MAX_WIRE_BYTES;
  if (bytes.length > max) {
    throw new WireError(WIRE_ERROR_CODES.TOO_LARGE, '', `encoded ${what} is ${bytes.length} bytes, over the maximum of ${max}`);
  }
  return bytes;
}

/**
 * cbor-x writes integers beyond 32 bits as float64; as BigInt they become CBOR integers
 * (major type 0/1), which is what the spec requires and what a C decoder expects.
 */
function int(n: number): number | bigint {
  return n > 0xffffffff || n < -0x100000000 ? BigInt(n) : n;
}

function checkLabels(labels: Labels, path: string): void {
  const kv = labels.pairs();
  let hasName = false;
  for (let i = 0; i < kv.length; i += 2) {
    if (kv[i] === METRIC_NAME) {
      if (!isValidMetricName(kv[i + 1])) malformed(path, `invalid metric name ${JSON.stringify(kv[i + 1])}`);
      hasName = true;
    } else if (!isValidLabelName(kv[i])) {
      malformed(path, `invalid label name ${JSON.stringify(kv[i])}`);
    }
  }
  if (!hasName) malformed(path, 'missing __name__');
}

/** First timestamp absolute, then differences (negative when the wall clock stepped back). */
function timestampDeltas(ts: ArrayLike<number>, path: string): (number | bigint)[] {
  const out = new Array<number | bigint>(ts.length);
  let prev = 0;
  for (let j = 0; j < ts.length; j++) {
    const t = ts[j];
    if (!Number.isSafeInteger(t)) malformed(`${path}[${j}]`, `expected integer milliseconds, got ${t}`);
    const d = t - prev;
    if (!Number.isSafeInteger(d)) malformed(`${path}[${j}]`, `${t} is too far from the previous timestamp`);
    out[j] = int(d);
    prev = t;
  }
  return out;
}

/**
 * Seqs as [first - seqFrom, delta, delta, ...], or [first - seqFrom, stride] when every delta is
 * the same: an agent that collects all its series each cycle gives every series the stride
 * "number of series", and then seqs cost nothing per sample.
 */
function seqDeltas(seqs: ArrayLike<number>, seqFrom: number, seqTo: number, path: string): (number | bigint)[] {
  const n = seqs.length;
  const out = new Array<number>(n);
  let prev = 0;
  let stride = -1;
  for (let j = 0; j < n; j++) {
    const q = seqs[j];
    if (!Number.isSafeInteger(q) || q < seqFrom || q > seqTo) {
      malformed(`${path}[${j}]`, `seq ${q} outside [seqFrom, seqTo] = [${seqFrom}, ${seqTo}]`);
    }
    if (j === 0) {
      out[0] = q - seqFrom;
    } else {
      const d = q - prev;
      if (d < 1) malformed(`${path}[${j}]`, `seqs must increase within a series (${prev} then ${q})`);
      out[j] = d;
      stride = j === 1 ? d : stride === d ? d : 0;
    }
    prev = q;
  }
  return n >= 3 && stride > 0 ? [int(out[0]), int(stride)] : out.map(int);
}
