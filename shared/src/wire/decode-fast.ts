/**
 * The fast path of the batch decoder: reads the CBOR bytes of a batch in the layout encoders
 * normally write (definite lengths, text keys, ASCII strings, integers as CBOR integers, `t`
 * before `v` and `q`, `symbols` and the seq range before `series`) straight into the typed
 * arrays of the message, without the generic decoder's intermediate Maps, per-sample JS
 * arrays (`t`, `q`) and one ArrayBuffer per array (see `slab`).
 *
 * It never decides that a message is bad: on anything it does not handle, or any rule the
 * message breaks, it returns undefined and decodeMessage runs the generic decoder (cbor-x,
 * decode.ts), which accepts the rest of the format and names the fault. Both use the same
 * field checks (batch-fields.ts), and a property test (decode-fast.test.ts) holds that the
 * fast path returns either nothing or exactly what the generic path returns.
 */
import { type BatchContext, readLabels, readSeqs } from './batch-fields.js';
import { readAgentBoot } from './fields.js';
import { WIRE_VERSION, type BatchMessage, type WireSeries } from './message.js';

/** Thrown inside the fast path to give up; caught in decodeBatchFast. */
const GIVE_UP = Symbol('give up');
function giveUp(): never {
  throw GIVE_UP; // never leaves this module
}

// The decoder is synchronous and not reentrant, so its cursor and scratch arrays are module state.
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_FLOATS = new Float64Array(0);
let buf: Uint8Array = EMPTY_BYTES;
let pos = 0;
/**
 * The batch's typed arrays are views into one buffer (three float64s per sample), not one
 * allocation per array: most series are short, and small ArrayBuffers are costly to make and
 * to collect. Per series: values, timestamps, seqs, so the first series' values start at 0.
 */
let slab = EMPTY_FLOATS;
let slabBytes = EMPTY_BYTES;
let slabPos = 0;
/** Scratch arrays handed to the shared checks (which keep no reference to them). */
const lScratch: number[] = [];
const qScratch: number[] = [];

/** A batch decoded from `bytes`, or undefined to let the generic decoder have it. */
export function decodeBatchFast(bytes: Uint8Array): BatchMessage | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  buf = bytes;
  pos = 0;
  try {
    const msg = readBatch();
    return pos === bytes.length ? msg : undefined;
  } catch {
    // GIVE_UP, a failed shared check (WireError) or anything unforeseen: the generic path
    // decides, and names the fault if there is one.
    return undefined;
  } finally {
    // Hold on to nothing of this message.
    buf = slabBytes = EMPTY_BYTES;
    slab = EMPTY_FLOATS;
  }
}

/** Reads a head of major type `major` with a definite argument below 2^53; returns the argument. */
function head(major: number): number {
  if (pos >= buf.length) giveUp();
  const b = buf[pos++];
  if (b >> 5 !== major) giveUp();
  return argument(b & 31);
}

function argument(info: number): number {
  if (info < 24) return info;
  const p = pos;
  switch (info) {
    case 24:
      if (p + 1 > buf.length) giveUp();
      pos = p + 1;
      return buf[p];
    case 25:
      if (p + 2 > buf.length) giveUp();
      pos = p + 2;
      return (buf[p] << 8) | buf[p + 1];
    case 26:
      if (p + 4 > buf.length) giveUp();
      pos = p + 4;
      return buf[p] * 0x1000000 + ((buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]);
    case 27: {
      if (p + 8 > buf.length) giveUp();
      const hi = buf[p] * 0x1000000 + ((buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]);
      if (hi >= 0x200000) giveUp(); // 2^53 or more: the generic path says what is wrong
      pos = p + 8;
      return hi * 0x100000000 + buf[p + 4] * 0x1000000 + ((buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]);
    }
    default:
      return giveUp(); // reserved, or indefinite length
  }
}

/** An unsigned integer (major type 0). */
function uint(): number {
  return head(0);
}

/** An integer of major type 0 or 1 whose magnitude is a safe integer. */
function int(): number {
  if (pos >= buf.length) giveUp();
  const b = buf[pos];
  if (b >> 5 === 0) return head(0);
  if (b >> 5 !== 1) giveUp();
  const n = head(1);
  if (n >= Number.MAX_SAFE_INTEGER) giveUp();
  return -1 - n;
}

/**
 * A text string of ASCII characters, at most MAX_FAST_TEXT long (anything else goes to the
 * generic path's UTF-8 decoder).
 */
function text(): string {
  const n = head(3);
  const start = pos;
  const end = start + n;
  if (end > buf.length || n > MAX_FAST_TEXT) giveUp();
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) giveUp();
  pos = end;
  if (n === 1) return ONE_CHAR[buf[start]];
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}

const MAX_FAST_TEXT = 4096;
const ONE_CHAR: readonly string[] = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));
/** Values are copied as bytes into a Float64Array, which reads them in the host's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function readBatch(): BatchMessage | undefined {
  const entries = head(5);
  let version = -1;
  let type = '';
  let agent: unknown;
  let boot: unknown;
  let seqFrom = -1;
  let seqTo = -1;
  let dropped: number | undefined;
  let symbols: string[] | undefined;
  let series: WireSeries[] | undefined;
  const seen = new Set<string>();
  for (let e = 0; e < entries; e++) {
    const key = text();
    if (seen.has(key)) giveUp();
    seen.add(key);
    switch (key) {
      case 'v':
        version = uint();
        if (version !== WIRE_VERSION) giveUp();
        break;
      case 'type':
        type = text();
        if (type !== 'batch') giveUp();
        break;
      case 'agent':
        agent = text();
        break;
      case 'boot':
        boot = text();
        break;
      case 'seqFrom':
        seqFrom = uint();
        break;
      case 'seqTo':
        seqTo = uint();
        break;
      case 'dropped':
        dropped = uint();
        break;
      case 'symbols': {
        const n = head(4);
        if (n > buf.length - pos) giveUp(); // each symbol takes at least one byte
        symbols = new Array<string>(n);
        for (let i = 0; i < n; i++) symbols[i] = text();
        break;
      }
      case 'series':
        if (symbols === undefined || seqFrom < 0 || seqTo < seqFrom) giveUp();
        series = readSeriesList(symbols, seqFrom, seqTo);
        break;
      default:
        giveUp(); // unknown keys are ignored by v1 receivers: the generic path does that
    }
  }
  if (version !== WIRE_VERSION || type !== 'batch' || series === undefined) giveUp();
  const ids = readAgentBoot((k) => (k === 'agent' ? agent : k === 'boot' ? boot : undefined));
  const msg: BatchMessage = { v: 1, type: 'batch', agent: ids.agent, boot: ids.boot, seqFrom, seqTo, series };
  if (dropped !== undefined) msg.dropped = dropped;
  return msg;
}

function readSeriesList(symbols: string[], seqFrom: number, seqTo: number): WireSeries[] {
  const count = head(4);
  if (count > buf.length - pos) giveUp();
  const ctx: BatchContext = { symbols, nameCheck: new Uint8Array(symbols.length), seqFrom, seqTo, room: seqTo - seqFrom + 1 };
  // Every sample takes at least 9 bytes (a timestamp delta and a value), which bounds the slab.
  const capacity = Math.min(ctx.room, Math.floor((buf.length - pos) / 9));
  slab = new Float64Array(3 * capacity);
  slabBytes = new Uint8Array(slab.buffer);
  slabPos = 0;
  const seen = new Set<string>();
  const out: WireSeries[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = readOneSeries(ctx);
    if (seen.has(s.labels.key)) giveUp();
    seen.add(s.labels.key);
    out[i] = s;
  }
  return out;
}

function readOneSeries(ctx: BatchContext): WireSeries {
  const entries = head(5);
  if (entries !== 4) giveUp();
  let labels: WireSeries['labels'] | undefined;
  let timestamps: Float64Array | undefined;
  let values: Float64Array | undefined;
  let seqs: Float64Array | undefined;
  /** Where this series' three arrays start in the slab. */
  let base = 0;
  for (let e = 0; e < 4; e++) {
    const key = text();
    if (key === 'l' && labels === undefined) {
      const n = head(4);
      if (n > buf.length - pos) giveUp();
      lScratch.length = n;
      for (let j = 0; j < n; j++) lScratch[j] = uint();
      labels = readLabels(lScratch, '', ctx);
    } else if (key === 't' && timestamps === undefined) {
      const n = head(4);
      if (n === 0 || n > ctx.room || n > buf.length - pos) giveUp();
      ctx.room -= n;
      base = slabPos;
      if (base + 3 * n > slab.length) giveUp();
      slabPos += 3 * n;
      timestamps = slab.subarray(base + n, base + 2 * n);
      let ts = 0;
      for (let j = 0; j < n; j++) {
        ts += int();
        if (!Number.isSafeInteger(ts)) giveUp();
        timestamps[j] = ts;
      }
    } else if (key === 'v' && values === undefined && timestamps !== undefined) {
      // tag 86 (0xd8 0x56): float64 little endian; then a byte string of 8 bytes per sample.
      if (pos + 2 > buf.length || buf[pos] !== 0xd8 || buf[pos + 1] !== 86) giveUp();
      pos += 2;
      const bytes = head(2);
      if (bytes !== 8 * timestamps.length || pos + bytes > buf.length) giveUp();
      // Copied byte by byte: bit-exact (NaN payloads), no alignment needed, no view objects.
      const at = 8 * base;
      for (let j = 0; j < bytes; j++) slabBytes[at + j] = buf[pos + j];
      values = slab.subarray(base, base + timestamps.length);
      pos += bytes;
    } else if (key === 'q' && seqs === undefined && timestamps !== undefined) {
      const n = head(4);
      if (n !== timestamps.length && n !== 2) giveUp();
      qScratch.length = n;
      for (let j = 0; j < n; j++) qScratch[j] = uint();
      const n2 = timestamps.length;
      seqs = readSeqs(qScratch, n2, '', ctx, slab.subarray(base + 2 * n2, base + 3 * n2));
    } else {
      giveUp();
    }
  }
  return { labels: labels!, timestamps: timestamps!, values: values!, seqs: seqs! };
}
