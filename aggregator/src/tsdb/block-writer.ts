/**
 * Writes one immutable block (format: block-format.ts) from series in label order, e.g. a
 * head snapshot or a merged querier over older blocks. Samples are re-encoded into fresh
 * chunks of up to `chunkSamples` each, which merges out-of-order data, drops deleted
 * (tombstoned) samples and lets compaction change chunk sizes, all in one pass.
 *
 * Atomic: everything goes to `<ulid>.tmp/`, each file is fsynced, the directory too, then
 * it is renamed to `<ulid>/` and the parent synced. A crash leaves at most a .tmp directory,
 * which opening the store deletes. The work is done in slices of `sliceSeries` series (or
 * about SLICE_SAMPLES samples) with a yield to the event loop between them, so appends and
 * queries go on during a compaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { Labels } from '@edgeprom/shared';
import { ValueType, type SampleIterator, type Series } from '../storage/interface.js';
import {
  Bytes,
  CHUNKS_DIR,
  CHUNKS_MAGIC,
  DEFAULT_SEGMENT_BYTES,
  fileHeader,
  FILE_HEADER_BYTES,
  FORMAT_VERSION,
  INDEX_FILE,
  INDEX_MAGIC,
  META_FILE,
  SEGMENT_SPLIT,
  segmentFileName,
  writeSection,
  type BlockMeta,
} from './block-format.js';
import { XorChunk } from './chunk-xor.js';
import { syncDirSync } from './wal-files.js';
import { crc32 } from './wal-record.js';

export interface WriteBlockOptions {
  /** The store directory; the block becomes `<parentDir>/<ulid>`. */
  parentDir: string;
  ulid: string;
  /** Sample times kept: minTime <= t < maxTime (maxTime exclusive, as in meta.json). */
  minTime: number;
  maxTime: number;
  /** Sorted by labels; each series' samples in time order. */
  series: Iterable<Series>;
  level: number;
  sources: string[];
  parents?: string[];
  /** Samples per chunk (default 120). */
  chunkSamples?: number;
  segmentBytes?: number;
  /** Series per slice between yields (default 256). */
  sliceSeries?: number;
  /** Called between slices; throwing aborts the write (the .tmp directory is removed). */
  checkAbort?: () => void;
}

export interface WrittenBlock {
  meta: BlockMeta;
  dir: string;
  /** Bytes of index + chunk segments. */
  bytes: number;
}

const FLUSH_BYTES = 1 << 20;
/** Also yield after this many samples, whatever the series count (long blocks). */
const SLICE_SAMPLES = 32_768;

/** Writes the block; returns undefined (and writes nothing) when no series has a sample. */
export async function writeBlock(opts: WriteBlockOptions): Promise<WrittenBlock | undefined> {
  const tmp = path.join(opts.parentDir, `${opts.ulid}.tmp`);
  const final = path.join(opts.parentDir, opts.ulid);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, CHUNKS_DIR), { recursive: true });
  const w = new ChunkWriter(path.join(tmp, CHUNKS_DIR), opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
  try {
    const chunkSamples = opts.chunkSamples ?? 120;
    const slice = opts.sliceSeries ?? 256;
    const labels: Labels[] = [];
    /** Per chunk: mint, maxt, ref, byte length. */
    const chunkMeta: number[] = [];
    /** Series i's chunks are chunkMeta[seriesOff[i]*4, seriesOff[i+1]*4). */
    const seriesOff: number[] = [0];
    let samples = 0;
    let minT = Infinity;
    let maxT = -Infinity;
    let it: SampleIterator | undefined;
    let n = 0;
    let prev: Labels | undefined;
    let sinceYield = 0;
    for (const s of opts.series) {
      if (++n % slice === 0 || samples - sinceYield >= SLICE_SAMPLES) {
        sinceYield = samples;
        await yieldLoop();
        opts.checkAbort?.();
      }
      if (prev !== undefined && Labels.compare(prev, s.labels) >= 0) {
        throw new Error(`block writer: series out of order: ${s.labels.toString()} after ${prev.toString()}`);
      }
      prev = s.labels;
      it = s.iterator(it);
      let chunk: XorChunk | undefined;
      let cMin = 0;
      let cMax = 0;
      let wrote = false;
      const flush = (): void => {
        const ref = w.write(chunk!.bytes());
        chunkMeta.push(cMin, cMax, ref, chunk!.bytes().length);
        wrote = true;
        chunk = undefined;
      };
      let vt = it.seek(opts.minTime);
      while (vt !== ValueType.None) {
        const t = it.atT();
        if (t >= opts.maxTime) break;
        if (chunk === undefined) {
          chunk = new XorChunk(256);
          cMin = t;
        }
        chunk.append(t, it.atV());
        cMax = t;
        samples++;
        if (t < minT) minT = t;
        if (t > maxT) maxT = t;
        if (chunk.numSamples >= chunkSamples) flush();
        vt = it.next();
      }
      if (chunk !== undefined) flush();
      if (wrote) {
        labels.push(s.labels);
        seriesOff.push(chunkMeta.length / 4);
      }
    }
    if (labels.length === 0) {
      w.close();
      fs.rmSync(tmp, { recursive: true, force: true });
      return undefined;
    }
    w.close();

    const index = encodeIndex(labels, chunkMeta, seriesOff);
    writeFileSynced(path.join(tmp, INDEX_FILE), index);
    const meta: BlockMeta = {
      ulid: opts.ulid,
      minTime: opts.minTime,
      maxTime: opts.maxTime,
      stats: { numSamples: samples, numSeries: labels.length, numChunks: chunkMeta.length / 4 },
      compaction: { level: opts.level, sources: opts.sources, ...(opts.parents ? { parents: opts.parents } : {}) },
      version: FORMAT_VERSION,
    };
    writeFileSynced(path.join(tmp, META_FILE), Buffer.from(JSON.stringify(meta, null, 2)));
    syncDirSync(path.join(tmp, CHUNKS_DIR));
    syncDirSync(tmp);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    syncDirSync(opts.parentDir);
    return { meta, dir: final, bytes: index.length + w.bytes };
  } catch (e) {
    w.close();
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // Left for the next open, which removes *.tmp directories; the write's error matters.
    }
    throw e;
  }
}

function writeFileSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends chunk entries to numbered segment files, buffering writes. */
class ChunkWriter {
  #seg = 0;
  #fd: number | undefined;
  #pos = 0;
  readonly #buf = new Bytes(FLUSH_BYTES + 64 * 1024);
  bytes = 0;
  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
  ) {}

  write(chunk: Uint8Array): number {
    if (this.#fd === undefined || this.#pos + chunk.length + 4 > this.segmentBytes) this.#next();
    const ref = this.#seg * SEGMENT_SPLIT + this.#pos;
    this.#buf.bytes(chunk);
    this.#buf.u32(crc32(chunk));
    this.#pos += chunk.length + 4;
    this.bytes += chunk.length + 4;
    if (this.#buf.len >= FLUSH_BYTES) this.#flush();
    return ref;
  }

  #next(): void {
    this.#finish();
    this.#seg++;
    this.#fd = fs.openSync(path.join(this.dir, segmentFileName(this.#seg)), 'w');
    this.#buf.bytes(fileHeader(CHUNKS_MAGIC));
    this.#pos = FILE_HEADER_BYTES;
    this.bytes += FILE_HEADER_BYTES;
  }

  #flush(): void {
    const v = this.#buf.view();
    let off = 0;
    while (off < v.length) off += fs.writeSync(this.#fd!, v, off, v.length - off);
    this.#buf.len = 0;
  }

  #finish(): void {
    if (this.#fd === undefined) return;
    this.#flush();
    fs.fsyncSync(this.#fd);
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  close(): void {
    try {
      this.#finish();
    } catch {
      if (this.#fd !== undefined) fs.closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}

/** The index file: header, symbols, series, postings (see block-format.ts). */
export function encodeIndex(labels: Labels[], chunkMeta: number[], seriesOff: number[]): Buffer {
  const symSet = new Set<string>();
  for (const l of labels) for (const s of l.pairs()) symSet.add(s);
  const symbols = [...symSet].sort();
  const symId = new Map<string, number>();
  symbols.forEach((s, i) => symId.set(s, i));

  const out = new Bytes(64 * 1024);
  out.bytes(fileHeader(INDEX_MAGIC));

  const sym = new Bytes(64 * 1024);
  sym.uvarint(symbols.length);
  for (const s of symbols) sym.string(s);
  writeSection(out, sym);

  const ser = new Bytes(64 * 1024);
  ser.uvarint(labels.length);
  const postings = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < labels.length; i++) {
    const kv = labels[i].pairs();
    ser.uvarint(kv.length / 2);
    for (let k = 0; k < kv.length; k += 2) {
      const n = symId.get(kv[k])!;
      const v = symId.get(kv[k + 1])!;
      ser.uvarint(n);
      ser.uvarint(v);
      let byValue = postings.get(n);
      if (!byValue) postings.set(n, (byValue = new Map()));
      const list = byValue.get(v);
      if (list) list.push(i);
      else byValue.set(v, [i]);
    }
    const from = seriesOff[i];
    const to = seriesOff[i + 1];
    ser.uvarint(to - from);
    let prevMax = 0;
    let prevRef = 0;
    for (let c = from; c < to; c++) {
      const [mint, maxt, ref, len] = [chunkMeta[c * 4], chunkMeta[c * 4 + 1], chunkMeta[c * 4 + 2], chunkMeta[c * 4 + 3]];
      if (c === from) {
        ser.varint(mint);
        ser.uvarint(ref);
      } else {
        ser.uvarint(mint - prevMax);
        ser.uvarint(ref - prevRef);
      }
      ser.uvarint(maxt - mint);
      ser.uvarint(len);
      prevMax = maxt;
      prevRef = ref;
    }
  }
  writeSection(out, ser);

  const post = new Bytes(64 * 1024);
  const names = [...postings.keys()].sort((a, b) => a - b);
  let pairs = 0;
  for (const n of names) pairs += postings.get(n)!.size;
  post.uvarint(pairs);
  for (const n of names) {
    const byValue = postings.get(n)!;
    for (const v of [...byValue.keys()].sort((a, b) => a - b)) {
      const list = byValue.get(v)!;
      post.uvarint(n);
      post.uvarint(v);
      post.uvarint(list.length);
      let prev = -1;
      for (const id of list) {
        post.uvarint(id - prev - 1);
        prev = id;
      }
    }
  }
  writeSection(out, post);
  return Buffer.from(out.view());
}
