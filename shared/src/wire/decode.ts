/**
 * The decoder for the wire format v1 (docs/wire-format.md). Its input comes from devices and
 * the network, so it is total: for any bytes it returns a checked message or throws a
 * WireError (ERR_WIRE_TOO_LARGE, ERR_WIRE_VERSION, ERR_WIRE_MALFORMED with the field path),
 * never anything else.
 */
import { Decoder } from 'cbor-x';
import { Labels, METRIC_NAME, isValidLabelName, isValidMetricName } from '../labels.js';
import {
  DEFAULT_MAX_WIRE_BYTES,
  WIRE_VERSION,
  type BatchMessage,
  type WireMessage,
  type WireOptions,
  type WireSeries,
} from './message.js';
import { type Getter, describeValue, readAck, readAgentBoot, readInt, readPresence, readUint, required } from './fields.js';
import { WIRE_ERROR_CODES, WireError, malformed } from './wire-error.js';

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
  let root: unknown;
  try {
    root = decoder.decode(bytes);
  } catch (e) {
    return malformed('', `not one well-formed CBOR data item (${reason(e)})`, e);
  }
  try {
    return readMessage(root);
  } catch (e) {
    if (e instanceof WireError) throw e;
    // Defensive: a shape we did not foresee (cbor-x builds Dates, Sets, cyclic arrays, ...).
    return malformed('', `unreadable message (${reason(e)})`, e);
  }
}

function readMessage(root: unknown): WireMessage {
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
      return readBatch(get);
    case 'presence':
      return readPresence(get);
    case 'ack':
      return readAck(get);
    default:
      return malformed('type', `expected "batch", "presence" or "ack", got ${describeValue(type)}`);
  }
}

function readBatch(get: Getter): BatchMessage {
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
  return msg;
}

interface BatchContext {
  symbols: string[];
  /** Per symbol: 0 not checked yet, 1 a valid label name, 2 not one. */
  nameCheck: Uint8Array;
  seqFrom: number;
  seqTo: number;
  /** Seqs left in [seqFrom, seqTo] for further samples: seqs are unique, so a batch holds at most that many. */
  room: number;
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

function readLabels(l: unknown, path: string, ctx: BatchContext): Labels {
  if (!Array.isArray(l) || l.length === 0 || l.length % 2 !== 0) {
    return malformed(path, `expected an array of [name, value] symbol index pairs, got ${describeValue(l)}`);
  }
  const { symbols, nameCheck } = ctx;
  const kv = new Array<string>(l.length);
  let sorted = true;
  let hasName = false;
  for (let j = 0; j < l.length; j += 2) {
    const ni = symbolIndex(l[j], `${path}[${j}]`, symbols.length);
    const vi = symbolIndex(l[j + 1], `${path}[${j + 1}]`, symbols.length);
    const name = symbols[ni];
    const value = symbols[vi];
    if (name === METRIC_NAME) {
      if (!isValidMetricName(value)) malformed(`${path}[${j + 1}]`, `invalid metric name ${JSON.stringify(value)}`);
      hasName = true;
    } else {
      if (nameCheck[ni] === 0) nameCheck[ni] = isValidLabelName(name) ? 1 : 2;
      if (nameCheck[ni] === 2) malformed(`${path}[${j}]`, `invalid label name ${JSON.stringify(name)}`);
      if (value === '') malformed(`${path}[${j + 1}]`, `empty value for label ${name} (omit the label instead)`);
    }
    if (j > 0 && kv[j - 2] >= name) {
      if (kv[j - 2] === name) malformed(`${path}[${j}]`, `label ${name} appears twice`);
      sorted = false;
    }
    kv[j] = name;
    kv[j + 1] = value;
  }
  if (!hasName) malformed(path, 'missing __name__');
  if (sorted) return Labels.fromSortedPairs(kv);
  // Senders should sort (hand-written C often will not); duplicates are an error, not "last wins".
  const pairs: [string, string][] = [];
  for (let j = 0; j < kv.length; j += 2) pairs.push([kv[j], kv[j + 1]]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let j = 1; j < pairs.length; j++) {
    if (pairs[j][0] === pairs[j - 1][0]) malformed(path, `label ${pairs[j][0]} appears twice`);
  }
  return Labels.from(pairs);
}

function symbolIndex(x: unknown, path: string, count: number): number {
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < count) return x;
  return malformed(path, `expected a symbol index below ${count}, got ${describeValue(x)}`);
}

/** `q` is [first - seqFrom, delta, ...] (n entries) or [first - seqFrom, stride] (2 entries). */
function readSeqs(q: unknown, n: number, path: string, ctx: BatchContext): Float64Array {
  if (!Array.isArray(q) || (q.length !== n && q.length !== 2)) {
    return malformed(path, `expected ${n} seq deltas or [offset, stride], got ${describeValue(q)}`);
  }
  const { seqFrom, seqTo } = ctx;
  const seqs = new Float64Array(n);
  let cur = seqFrom + readUint(q[0], `${path}[0]`);
  if (cur > seqTo) malformed(`${path}[0]`, `seq ${cur} is beyond seqTo ${seqTo}`);
  seqs[0] = cur;
  if (q.length === n) {
    for (let j = 1; j < n; j++) {
      const d = readUint(q[j], `${path}[${j}]`);
      if (d < 1) malformed(`${path}[${j}]`, 'seq deltas must be at least 1');
      cur += d;
      if (cur > seqTo) malformed(`${path}[${j}]`, `seq ${cur} is beyond seqTo ${seqTo}`);
      seqs[j] = cur;
    }
  } else {
    const stride = readUint(q[1], `${path}[1]`);
    if (stride < 1) malformed(`${path}[1]`, 'the stride must be at least 1');
    if ((seqTo - cur) / stride < n - 1) malformed(`${path}[1]`, `${n} seqs with stride ${stride} go beyond seqTo ${seqTo}`);
    for (let j = 1; j < n; j++) seqs[j] = cur += stride;
  }
  return seqs;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
