/**
 * The decoder for the wire format v1 (docs/wire-format.md). Its input comes from devices and
 * the network, so it is total: for any bytes it returns a checked message or throws a
 * WireError (ERR_WIRE_TOO_LARGE, ERR_WIRE_VERSION, ERR_WIRE_MALFORMED with the field path),
 * never anything else.
 */
import { Decoder } from 'cbor-x';
import type { Labels } from '../labels.js';
import {
  DEFAULT_MAX_WIRE_BYTES,
  WIRE_VERSION,
  type BatchMessage,
  type WireMessage,
  type WireOptions,
  type WireSeries,
} from './message.js';
import { type BatchContext, readLabels, readSeqs } from './batch-fields.js';
import { decodeBatchFast } from './decode-fast.js';
import { type Getter, describeValue, readAck, readAgentBoot, readInt, readPresence, readUint, required } from './fields.js';
import { WIRE_ERROR_CODES, WireError, malformed } from './wire-error.js';
import { readMeta, resolveMetadataLimits } from './metadata.js';

// Maps decode as Map: keys stay apart from Object.prototype (`__proto__`, `constructor`) and
// non-text keys cannot alias text ones. No records: a message must not be able to define
// structures that outlive it. The decoder is reentrant per call (decoding is synchronous).
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** Decodes and checks one message. */
export function decodeMessage(bytes: Uint8Array, opts: WireOptions = {}): WireMessage {
  if (!(bytes instanceof Uint8Array)) return malformed('', `expected bytes, got ${describeValue(bytes)}`);
  const max = opts.maxBytes ?? DEFAULT_MAX_WIRE_BYTES;
  if (bytes.length > max) {
    throw new WireError(WIRE_ERROR_CODES.TOO_LARGE, '', `message is ${bytes.length} bytes, over the maximum of ${max}`);
  }
  if (bytes.length === 0) return malformed('', 'empty message');
  // Batches in the usual layout skip cbor-x's generic objects; anything else, valid or not,
  // is decided by the generic path below (decode-fast.ts).
  const fast = decodeBatchFast(bytes);
  if (fast !== undefined) return fast;
  return decodeGeneric(bytes, opts);
}

/**
 * @internal The generic decoder alone (cbor-x, then the field checks), after decodeMessage's
 * size checks: for the test that holds the fast path to it.
 */
export function decodeGeneric(bytes: Uint8Array, opts: WireOptions = {}): WireMessage {
  let root: unknown;
  try {
    root = decoder.decode(bytes);
  } catch (e) {
    return malformed('', `not one well-formed CBOR data item (${reason(e)})`, e);
  }
  try {
    return readMessage(root, opts);
  } catch (e) {
    if (e instanceof WireError) throw e;
    // Defensive: a shape we did not foresee (cbor-x builds Dates, Sets, cyclic arrays, ...).
    return malformed('', `unreadable message (${reason(e)})`, e);
  }
}

function readMessage(root: unknown, opts: WireOptions): WireMessage {
  if (!(root instanceof Map)) return malformed('', `expected a CBOR map, got ${describeValue(root)}`);
  const get: Getter = (k) => root.get(k);
  const version = readUint(required(get, 'v'), 'v');
  if (version !== WIRE_VERSION) {
    throw new WireError(
      WIRE_ERROR_CODES.VERSION,
      'v',
      `unsupported wire format version ${version}; this receiver speaks version ${WIRE_VERSION}`,
    );
  }
  const type = required(get, 'type');
  switch (type) {
    case 'batch':
      return readBatch(get, opts);
    case 'presence':
      return readPresence(get);
    case 'ack':
      return readAck(get);
    default:
      return malformed('type', `expected "batch", "presence" or "ack", got ${describeValue(type)}`);
  }
}

function readBatch(get: Getter, opts: WireOptions): BatchMessage {
  const { agent, boot } = readAgentBoot(get);
  const seqFrom = readUint(required(get, 'seqFrom'), 'seqFrom');
  const seqTo = readUint(required(get, 'seqTo'), 'seqTo');
  if (seqTo < seqFrom) malformed('seqTo', `${seqTo} is less than seqFrom ${seqFrom}`);
  const droppedRaw = get('dropped');
  const dropped = droppedRaw === undefined ? undefined : readUint(droppedRaw, 'dropped');

  const symbols = required(get, 'symbols');
  if (!Array.isArray(symbols)) return malformed('symbols', `expected array of text strings, got ${describeValue(symbols)}`);
  for (let i = 0; i < symbols.length; i++) {
    if (typeof symbols[i] !== 'string') malformed(`symbols[${i}]`, `expected text string, got ${describeValue(symbols[i])}`);
  }
  const rawSeries = required(get, 'series');
  if (!Array.isArray(rawSeries)) return malformed('series', `expected array of maps, got ${describeValue(rawSeries)}`);

  const ctx: BatchContext = {
    symbols: symbols as string[],
    nameCheck: new Uint8Array(symbols.length),
    seqFrom,
    seqTo,
    room: seqTo - seqFrom + 1,
  };
  const seen = new Set<string>();
  const series: WireSeries[] = new Array(rawSeries.length);
  for (let i = 0; i < rawSeries.length; i++) {
    const s = readSeries(rawSeries[i], `series[${i}]`, ctx);
    if (seen.has(s.labels.key)) malformed(`series[${i}].l`, `series ${s.labels.toString()} appears twice in the batch`);
    seen.add(s.labels.key);
    series[i] = s;
  }
  const msg: BatchMessage = { v: 1, type: 'batch', agent, boot, seqFrom, seqTo, series };
  if (dropped !== undefined) msg.dropped = dropped;
  const meta = get('meta');
  if (meta !== undefined) msg.meta = readMeta(meta, resolveMetadataLimits(opts.meta));
  return msg;
}

function readSeries(raw: unknown, p: string, ctx: BatchContext): WireSeries {
  if (!(raw instanceof Map)) return malformed(p, `expected a map, got ${describeValue(raw)}`);
  const labels = readLabels(raw.get('l'), `${p}.l`, ctx);

  const t = raw.get('t');
  if (!Array.isArray(t) || t.length === 0) {
    return malformed(`${p}.t`, `expected a non-empty array of integers, got ${describeValue(t)}`);
  }
  const n = t.length;
  if (n > ctx.room) malformed(`${p}.t`, `${n} samples exceed the seqs left in [seqFrom, seqTo]`);
  ctx.room -= n;
  const timestamps = new Float64Array(n);
  let ts = 0;
  for (let j = 0; j < n; j++) {
    ts += readInt(t[j], `${p}.t[${j}]`);
    if (!Number.isSafeInteger(ts)) malformed(`${p}.t[${j}]`, 'timestamp out of range (±2^53-1 ms)');
    timestamps[j] = ts;
  }

  const v = raw.get('v');
  if (!(v instanceof Float64Array)) {
    return malformed(`${p}.v`, `expected a float64 array (tag 86 byte string), got ${describeValue(v)}`);
  }
  if (v.length !== n) malformed(`${p}.v`, `${v.length} values for ${n} timestamps`);

  return { labels, timestamps, values: v.slice(), seqs: readSeqs(raw.get('q'), n, `${p}.q`, ctx) };
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
