/**
 * Parsing a block's index file (format: block-format.ts, docs/tsdb.md "Blocks"): checks the
 * header and each section's CRC, decodes every record once to validate it, and keeps the
 * series section as stored (see Block) with one offset per series.
 */
import {
  BlockCorruptError,
  checkHeader,
  CHUNK_CRC_BYTES,
  FILE_HEADER_BYTES,
  INDEX_MAGIC,
  readSection,
  Reader,
  SEGMENT_SPLIT,
} from './block-format.js';

/** Numbers per chunk in decoded chunk lists: mint, maxt, ref, byte length. */
export const CM = 4;

/** Reads a series record's chunk list (after its labels) into out, CM numbers per chunk. */
export function decodeChunks(r: Reader, out: number[]): void {
  const nc = r.uvarint();
  let prevMax = 0;
  let prevRef = 0;
  for (let c = 0; c < nc; c++) {
    let mint: number;
    let ref: number;
    if (c === 0) {
      mint = r.varint();
      ref = r.uvarint();
    } else {
      mint = prevMax + r.uvarint();
      ref = prevRef + r.uvarint();
    }
    const maxt = mint + r.uvarint();
    const len = r.uvarint();
    out.push(mint, maxt, ref, len);
    prevMax = maxt;
    prevRef = ref;
  }
}

export interface ParsedIndex {
  symbols: string[];
  /** The series section's payload, and each series' offset in it. */
  series: Uint8Array;
  seriesOff: Int32Array;
  /** Per chunk segment, the end of its last referenced chunk (checked against the file). */
  segmentEnds: Map<number, number>;
  postings: Map<string, Map<string, number>>;
  postingsData: Int32Array;
  postingsEnd: Int32Array;
}

export function parseIndex(buf: Buffer, file: string): ParsedIndex {
  checkHeader(buf, file, INDEX_MAGIC);
  const r = new Reader(buf, file, FILE_HEADER_BYTES, buf.length);
  const symR = readSection(r, 'symbols');
  const serR = readSection(r, 'series');
  const postR = readSection(r, 'postings');

  const nSym = symR.uvarint();
  const symbols = new Array<string>(nSym);
  for (let i = 0; i < nSym; i++) symbols[i] = symR.string();
  const sym = (id: number): number => {
    if (id >= nSym) throw new BlockCorruptError(file, `symbol ${id} out of range`);
    return id;
  };

  const n = serR.uvarint();
  const base = serR.pos;
  const seriesOff = new Int32Array(n);
  const scratch: number[] = [];
  const segmentEnds = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    seriesOff[i] = serR.pos - base;
    const nl = serR.uvarint();
    for (let k = 0; k < nl * 2; k++) sym(serR.uvarint());
    scratch.length = 0;
    decodeChunks(serR, scratch);
    for (let c = 0; c < scratch.length; c += CM) {
      const seg = Math.floor(scratch[c + 2] / SEGMENT_SPLIT);
      const end = (scratch[c + 2] % SEGMENT_SPLIT) + scratch[c + 3] + CHUNK_CRC_BYTES;
      if (end > (segmentEnds.get(seg) ?? 0)) segmentEnds.set(seg, end);
    }
  }
  const series = buf.slice(base, serR.end);
  const postings = new Map<string, Map<string, number>>();
  const pairs = postR.uvarint();
  const ends = new Int32Array(pairs);
  let data = new Int32Array(Math.max(16, n));
  let used = 0;
  for (let p = 0; p < pairs; p++) {
    const name = symbols[sym(postR.uvarint())];
    const value = symbols[sym(postR.uvarint())];
    const len = postR.uvarint();
    if (used + len > data.length) {
      const grown = new Int32Array(Math.max(data.length * 2, used + len));
      grown.set(data.subarray(0, used));
      data = grown;
    }
    let prev = -1;
    for (let k = 0; k < len; k++) {
      prev = prev + 1 + postR.uvarint();
      if (prev >= n) throw new BlockCorruptError(file, `posting ${prev} beyond ${n} series`);
      data[used++] = prev;
    }
    ends[p] = used;
    let byValue = postings.get(name);
    if (!byValue) postings.set(name, (byValue = new Map()));
    byValue.set(value, p);
  }
  return {
    symbols,
    series,
    seriesOff,
    segmentEnds,
    postings,
    postingsData: data.slice(0, used),
    postingsEnd: ends,
  };
}
