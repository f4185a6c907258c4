/**
 * Deleted time intervals per series of a block (Prometheus's tombstones). Queries skip the
 * samples inside them; compaction (and cleanTombstones) rewrites the block without them.
 *
 * File `tombstones` in the block directory: "EPTS" v1 header, then one section (u32 length,
 * payload, u32 CRC-32): uvarint series count, then per series uvarint id, uvarint interval
 * count, then per interval varint mint, uvarint (maxt - mint), both inclusive. Rewritten
 * atomically (tmp file, fsync, rename). A missing file means no tombstones.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  BlockCorruptError,
  Bytes,
  checkHeader,
  fileHeader,
  FILE_HEADER_BYTES,
  readSection,
  Reader,
  TOMBSTONES_FILE,
  writeSection,
} from './block-format.js';
import { syncDirSync } from './wal-files.js';

export const TOMBSTONES_MAGIC = 0x45505453; // "EPTS"

/** Adds [mint, maxt] to a sorted, disjoint flat interval list, merging overlaps. */
export function addInterval(list: readonly number[], mint: number, maxt: number): number[] {
  const out: number[] = [];
  let a = mint;
  let b = maxt;
  let placed = false;
  for (let i = 0; i < list.length; i += 2) {
    const x = list[i];
    const y = list[i + 1];
    if (y < a - 1) out.push(x, y);
    else if (x > b + 1) {
      if (!placed) {
        out.push(a, b);
        placed = true;
      }
      out.push(x, y);
    } else {
      a = Math.min(a, x);
      b = Math.max(b, y);
    }
  }
  if (!placed) out.push(a, b);
  return out;
}

export class Tombstones {
  readonly #byId = new Map<number, number[]>();
  fileBytes = 0;

  get(id: number): readonly number[] | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Number of intervals. */
  get intervals(): number {
    let n = 0;
    for (const l of this.#byId.values()) n += l.length / 2;
    return n;
  }

  add(id: number, mint: number, maxt: number): void {
    this.#byId.set(id, addInterval(this.#byId.get(id) ?? [], mint, maxt));
  }

  /** The intervals as they are now, for restore() (interval lists are replaced, never changed). */
  saved(): ReadonlyMap<number, number[]> {
    return new Map(this.#byId);
  }

  /** Puts back what saved() returned: a deletion whose file write failed leaves no trace. */
  restore(saved: ReadonlyMap<number, number[]>): void {
    this.#byId.clear();
    for (const [id, list] of saved) this.#byId.set(id, list);
  }

  static read(dir: string): Tombstones {
    const file = path.join(dir, TOMBSTONES_FILE);
    const ts = new Tombstones();
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ts;
      throw new BlockCorruptError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    checkHeader(buf, file, TOMBSTONES_MAGIC);
    const r = readSection(new Reader(buf, file, FILE_HEADER_BYTES, buf.length), 'tombstones');
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      const id = r.uvarint();
      const k = r.uvarint();
      const list: number[] = [];
      for (let j = 0; j < k; j++) {
        const mint = r.varint();
        list.push(mint, mint + r.uvarint());
      }
      ts.#byId.set(id, list);
    }
    ts.fileBytes = buf.length;
    return ts;
  }

  write(dir: string): void {
    const file = path.join(dir, TOMBSTONES_FILE);
    const payload = new Bytes(1024);
    const ids = [...this.#byId.keys()].sort((a, b) => a - b);
    payload.uvarint(ids.length);
    for (const id of ids) {
      const list = this.#byId.get(id)!;
      payload.uvarint(id);
      payload.uvarint(list.length / 2);
      for (let i = 0; i < list.length; i += 2) {
        payload.varint(list[i]);
        payload.uvarint(list[i + 1] - list[i]);
      }
    }
    const out = new Bytes(payload.len + 16);
    out.bytes(fileHeader(TOMBSTONES_MAGIC));
    writeSection(out, payload);
    const tmp = `${file}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, out.view());
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    syncDirSync(dir);
    this.fileBytes = out.len;
  }
}
