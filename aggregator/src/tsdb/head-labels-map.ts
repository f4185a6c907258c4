/**
 * Series identity by label set, without key strings: the hash of the label pairs
 * (Labels.hash, computed once per Labels object and cached there) indexes an open-addressing
 * table of [hash, id] entries in one Int32Array, and a hash match is confirmed by comparing
 * the label pairs with the stored label set (sameLabels), so two label sets whose hashes
 * collide stay two series, as in Prometheus's stripeSeries.
 *
 * The head used a Map from the canonical key string (Labels.key, ~130 bytes for a
 * node_exporter series) to the ref, and so kept that string alive for every series. Here an
 * entry is 8 bytes in a table at most half full: about 16-32 bytes a series, and no string.
 * The ids are indexes into an array of Labels the owner keeps (the head's store.labels, an
 * appender's new series), which the table reads to confirm a match.
 *
 * Linear probing with backward-shift deletion (no tombstones), so a head that garbage-collects
 * series does not slowly fill its table with dead entries.
 */
import type { Labels } from '@edgeprom/shared';

/** Whether two label sets hold the same pairs (the head's copies share strings: mostly pointer compares). */
export function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const x = a.pairs();
  const y = b.pairs();
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const MIN_CAPACITY = 64;

export class LabelsMap {
  /** Entry i at [2i, 2i + 1]: hash, id + 1 (0: empty). */
  #table: Int32Array;
  #mask: number;
  #size = 0;
  /** The owner's label sets, by id: read to confirm a hash match. */
  readonly #labels: readonly Labels[];

  constructor(labels: readonly Labels[], expected = 0) {
    this.#labels = labels;
    let cap = MIN_CAPACITY;
    while (cap < expected * 2) cap *= 2;
    this.#table = new Int32Array(cap * 2);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes of the table (for memory estimates). */
  get bytes(): number {
    return this.#table.byteLength;
  }

  /** The id of the label set equal to `labels` (whose Labels.hash is `hash`), or -1. */
  get(labels: Labels, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const id = table[2 * i + 1] - 1;
      if (id < 0) return -1;
      if (table[2 * i] === hash && sameLabels(this.#labels[id], labels)) return id;
    }
  }

  /** Adds an id whose label set (with hash `hash`) is not in the map yet. */
  add(hash: number, id: number): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    this.#put(hash, id);
    this.#size++;
  }

  /** Removes the entry of `id` (added with `hash`); false if there is none. */
  delete(hash: number, id: number): boolean {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const e = table[2 * i + 1];
      if (e === 0) return false;
      if (e === id + 1) break;
    }
    // Backward shift: move later entries of the run into the hole when their home slot
    // allows it, so lookups never meet a gap before their entry.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const e = table[2 * j + 1];
      if (e === 0) break;
      const home = table[2 * j] & mask;
      // Can entry j move to the hole? Only if its home is not in (hole, j] cyclically.
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        table[2 * hole] = table[2 * j];
        table[2 * hole + 1] = e;
        hole = j;
      }
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
    this.#size--;
    return true;
  }

  #put(hash: number, id: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash & mask;
    while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    table[2 * i] = hash;
    table[2 * i + 1] = id + 1;
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Int32Array(old.length * 2);
    this.#mask = this.#table.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.#put(old[i], old[i + 1] - 1);
  }
}
