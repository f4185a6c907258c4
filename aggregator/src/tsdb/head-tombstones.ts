/**
 * Deleted intervals of head series, keyed by labels (head refs are not stable across
 * restarts). Applied at query time and when the head is cut into blocks; an interval is
 * dropped once the head no longer holds anything it covers.
 *
 * Persisted in `<dir>/head-tombstones.json` ({ version: 1, series: [{ labels, intervals }] },
 * intervals flat [mint, maxt, ...] inclusive), rewritten atomically on every change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Labels } from '@edgeprom/shared';
import { BlockCorruptError } from './block-format.js';
import { addInterval } from './tombstones.js';
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
   * Reads the file; an unreadable one is logged, moved aside (`.corrupt`) and treated as empty
   * (its deletions are lost, the store opens: never a crash loop).
   */
  static load(dir: string, logger: TsdbLogger): HeadTombstones {
    try {
      return HeadTombstones.read(dir);
    } catch (e) {
      const file = path.join(dir, HEAD_TOMBSTONES_FILE);
      fs.renameSync(file, `${file}.corrupt`);
      logger.error({ file, err: (e as Error).message }, 'unreadable head tombstones moved aside; their deletions are lost');
      return new HeadTombstones(dir);
    }
  }

  static read(dir: string): HeadTombstones {
    const ts = new HeadTombstones(dir);
    const file = path.join(dir, HEAD_TOMBSTONES_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ts;
      throw e;
    }
    let parsed: { version?: number; series?: { labels: Record<string, string>; intervals: number[] }[] };
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new BlockCorruptError(file, `not JSON (${(e as Error).message})`);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.series)) throw new BlockCorruptError(file, 'bad version or series');
    for (const s of parsed.series) {
      if (typeof s !== 'object' || s === null || !Array.isArray(s.intervals) || s.intervals.length % 2 !== 0) {
        throw new BlockCorruptError(file, 'bad series entry');
      }
      const labels = Labels.from(s.labels);
      ts.#byKey.set(labels.key, { labels, intervals: s.intervals });
    }
    return ts;
  }

  write(): void {
    const file = path.join(this.#dir, HEAD_TOMBSTONES_FILE);
    if (this.#byKey.size === 0) {
      fs.rmSync(file, { force: true });
      return;
    }
    const series = [...this.#byKey.values()].map((e) => ({ labels: e.labels.toObject(), intervals: e.intervals }));
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ version: 1, series }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    syncDirSync(this.#dir);
  }
}
