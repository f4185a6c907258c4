/**
 * Deleted intervals of head series, keyed by labels (head refs are not stable across
 * restarts). Applied at query time and when the head is cut into blocks; an interval is
 * dropped once the head no longer holds anything it covers.
 *
 * Persisted in `<dir>/head-tombstones.json` ({ version: 1, series: [{ labels, intervals }] },
 * intervals flat [mint, maxt, ...] inclusive), rewritten atomically on every change (temp
 * file, fsync, rename, directory fsync). Unreadable at open: the store does not open (see
 * load()). Prometheus keeps head deletions as tombstone records in the WAL instead; see
 * docs/tsdb.md "Damaged head tombstones".
 */
import fs from 'node:fs';
import path from 'node:path';
import { Labels } from '@edgeprom/shared';
import { BlockCorruptError } from './block-format.js';
import { addInterval } from './tombstones.js';
import { HeadTombstonesError } from './tsdb-errors.js';
import { syncDirSync } from './wal-files.js';
import type { TsdbLogger } from './wal-writer.js';

export const HEAD_TOMBSTONES_FILE = 'head-tombstones.json';

export class HeadTombstones {
  readonly #byKey = new Map<string, { labels: Labels; intervals: number[] }>();
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(labels: Labels): readonly number[] | undefined {
    if (this.#byKey.size === 0) return undefined;
    return this.#byKey.get(labels.key)?.intervals;
  }

  add(labels: Labels, mint: number, maxt: number): void {
    const e = this.#byKey.get(labels.key);
    if (e) e.intervals = addInterval(e.intervals, mint, maxt);
    else this.#byKey.set(labels.key, { labels, intervals: [mint, maxt] });
  }

  /** The intervals as they are now, for restore(). */
  saved(): ReadonlyMap<string, { labels: Labels; intervals: number[] }> {
    // Entries are copied (add replaces their list); the lists themselves are never changed.
    return new Map([...this.#byKey].map(([k, e]) => [k, { labels: e.labels, intervals: e.intervals }]));
  }

  /** Puts back what saved() returned: a deletion whose file write failed leaves no trace. */
  restore(saved: ReadonlyMap<string, { labels: Labels; intervals: number[] }>): void {
    this.#byKey.clear();
    for (const [k, e] of saved) this.#byKey.set(k, { labels: e.labels, intervals: e.intervals });
  }

  /** Forgets intervals ending before `before` (their data is in blocks now). */
  dropBefore(before: number): boolean {
    let changed = false;
    for (const [k, e] of this.#byKey) {
      const kept: number[] = [];
      for (let i = 0; i < e.intervals.length; i += 2) if (e.intervals[i + 1] >= before) kept.push(e.intervals[i], e.intervals[i + 1]);
      if (kept.length !== e.intervals.length) changed = true;
      if (kept.length === 0) this.#byKey.delete(k);
      else e.intervals = kept;
    }
    return changed;
  }

  /**
   * Reads the file at open. An unreadable one (not JSON, bad fields, a directory in its place,
   * no permission) is logged and throws HeadTombstonesError: the store does not open, as for a
   * block's damaged `tombstones` file, because the head's samples come back from the WAL and
   * this file is the only record of their deletion. Nothing is moved or deleted, except a
   * `.tmp` left by a write that crashed before its rename (the file it was replacing is whole).
   */
  static load(dir: string, logger: TsdbLogger): HeadTombstones {
    const file = path.join(dir, HEAD_TOMBSTONES_FILE);
    fs.rmSync(`${file}.tmp`, { force: true, recursive: true });
    try {
      return HeadTombstones.read(dir);
    } catch (e) {
      const why = e instanceof BlockCorruptError ? e.why : e instanceof Error ? e.message : String(e);
      logger.error({ file, why }, 'unreadable head tombstones: the store does not open');
      throw new HeadTombstonesError(file, why, { cause: e });
    }
  }

  /** Reads `<dir>/head-tombstones.json` (absent: empty); throws BlockCorruptError naming the fault. */
  static read(dir: string): HeadTombstones {
    const ts = new HeadTombstones(dir);
    const file = path.join(dir, HEAD_TOMBSTONES_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return ts;
      throw new BlockCorruptError(file, `cannot read (${code ?? (e as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new BlockCorruptError(file, `not JSON, ${text.length} bytes (${(e as Error).message})`);
    }
    if (!isObject(parsed)) throw new BlockCorruptError(file, 'not a JSON object');
    if (parsed.version !== 1) throw new BlockCorruptError(file, `version ${JSON.stringify(parsed.version)}, expected 1`);
    if (!Array.isArray(parsed.series)) throw new BlockCorruptError(file, '"series" is not an array');
    parsed.series.forEach((s: unknown, i: number) => {
      const where = `series[${i}]`;
      if (!isObject(s)) throw new BlockCorruptError(file, `${where} is not an object`);
      if (!isObject(s.labels)) throw new BlockCorruptError(file, `${where}.labels is not an object`);
      for (const [n, v] of Object.entries(s.labels)) {
        if (typeof v !== 'string') throw new BlockCorruptError(file, `${where}.labels.${n} is not a string`);
      }
      const iv = s.intervals;
      if (!Array.isArray(iv) || iv.length === 0 || iv.length % 2 !== 0) {
        throw new BlockCorruptError(file, `${where}.intervals is not a non-empty list of [mint, maxt] pairs`);
      }
      const labels = Labels.from(s.labels as Record<string, string>);
      for (let k = 0; k < iv.length; k += 2) {
        const [lo, hi] = [iv[k], iv[k + 1]];
        if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
          throw new BlockCorruptError(file, `${where}.intervals[${k}..${k + 1}] = ${JSON.stringify([lo, hi])} is not a finite mint <= maxt`);
        }
        ts.add(labels, lo, hi);
      }
    });
    return ts;
  }

  write(): void {
    const file = path.join(this.#dir, HEAD_TOMBSTONES_FILE);
    if (this.#byKey.size === 0) {
      fs.rmSync(file, { force: true });
      syncDirSync(this.#dir);
      return;
    }
    const series = [...this.#byKey.values()].map((e) => ({ labels: e.labels.toObject(), intervals: e.intervals }));
    const tmp = `${file}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, JSON.stringify({ version: 1, series }));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true, recursive: true });
      throw e;
    }
    syncDirSync(this.#dir);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
