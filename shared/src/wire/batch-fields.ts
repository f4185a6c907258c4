/**
 * The checks of a batch's series fields that both decoders share: the generic one (cbor-x,
 * decode.ts) and the fast one for the usual byte layout (decode-fast.ts). One place, so both
 * accept and build exactly the same thing.
 */
import { Labels, METRIC_NAME, isValidLabelName, isValidMetricName } from '../labels.js';
import { describeValue, readUint } from './fields.js';
import { malformed } from './wire-error.js';

export interface BatchContext {
  symbols: string[];
  /**
   * Per symbol, what is known of it: bits 0-1 as a label name, bits 2-3 as a metric name
   * (0 not checked yet, 1 valid, 2 not).
   */
  nameCheck: Uint8Array;
  seqFrom: number;
  seqTo: number;
  /** Seqs left in [seqFrom, seqTo] for further samples: seqs are unique, so a batch holds at most that many. */
  room: number;
}

export function readLabels(l: unknown, path: string, ctx: BatchContext): Labels {
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
      if ((nameCheck[vi] & 12) === 0) nameCheck[vi] |= isValidMetricName(value) ? 4 : 8;
      if ((nameCheck[vi] & 12) === 8) malformed(`${path}[${j + 1}]`, `invalid metric name ${JSON.stringify(value)}`);
      hasName = true;
    } else {
      if ((nameCheck[ni] & 3) === 0) nameCheck[ni] |= isValidLabelName(name) ? 1 : 2;
      if ((nameCheck[ni] & 3) === 2) malformed(`${path}[${j}]`, `invalid label name ${JSON.stringify(name)}`);
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

/** `q` is [first - seqFrom, delta, ...] (n entries) or [first - seqFrom, stride] (2 entries). Into `out` (n long) if given. */
export function readSeqs(q: unknown, n: number, path: string, ctx: BatchContext, out?: Float64Array): Float64Array {
  if (!Array.isArray(q) || (q.length !== n && q.length !== 2)) {
    return malformed(path, `expected ${n} seq deltas or [offset, stride], got ${describeValue(q)}`);
  }
  const { seqFrom, seqTo } = ctx;
  const seqs = out ?? new Float64Array(n);
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

