/**
 * The series dictionary: label sets ↔ small integer ids, so a stored sample holds a 1–3
 * byte id instead of its label text. Persisted as 's' entries (codec.ts); each series also
 * belongs to a family group (its `__name__`), the unit of drop fairness (policy.ts).
 *
 * Reference counts: every buffered sample (pending, stored, or held while the clock is
 * untrusted) counts one reference to its series. When the last sample of a series leaves
 * the buffer (acked, dropped by a bound), the entry is forgotten at once and its stored
 * entry is deleted by the next flush, so a source that churns label sets (a textfile with a
 * request id in a label) costs dictionary memory only for the series still buffered. A
 * chunk that no longer decodes cannot say which series it held: those references stay
 * until the next open, whose load recounts from the stored chunks.
 */
import type { Labels } from '@edgeprom/shared';
import { encodeLabels } from './codec.js';

interface Entry {
  labels: Labels;
  /** Stored bytes (key + value). */
  bytes: number;
  group: number;
  /** Buffered samples of this series. */
  refs: number;
  /** The stored value, kept from creation until the flush that saves it takes it. */
  encoded?: Uint8Array;
}

interface Group {
  id: number;
  series: number;
}

export class SeriesDictionary {
  readonly #byId = new Map<number, Entry>();
  readonly #byKey = new Map<string, number>();
  readonly #groups = new Map<string, Group>();
  #nextGroup = 0;
  #nextId = 1;
  #bytes = 0;
  /** Ids created since the last flush took them: their entries are not stored yet. */
  #unsaved = new Set<number>();
  /** Stored ids forgotten since the last flush took them: their entries must be deleted. */
  #removed: number[] = [];

  get size(): number {
    return this.#byId.size;
  }

  /** Stored bytes of all entries (key + value). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Family groups currently in use (bounded by the series, so it shrinks with them). */
  get groups(): number {
    return this.#groups.size;
  }

  labels(id: number): Labels | undefined {
    return this.#byId.get(id)?.labels;
  }

  /** Buffered samples referring to `id` (0 for an unknown id). */
  refs(id: number): number {
    return this.#byId.get(id)?.refs ?? 0;
  }

  /** Family group of a series; unknown ids share one group. */
  group(id: number): number {
    return this.#byId.get(id)?.group ?? 0xffffffff;
  }

  ids(): IterableIterator<number> {
    return this.#byId.keys();
  }

  /**
   * The id of `labels` for one more buffered sample: counts the reference, creating the
   * entry (to be saved by the next flush) if new. Hot path.
   */
  acquire(labels: Labels): number {
    const id = this.#byKey.get(labels.key);
    if (id !== undefined) {
      this.#byId.get(id)!.refs++;
      return id;
    }
    const created = this.#nextId++;
    const encoded = encodeLabels(labels);
    this.add(created, labels, 5 + encoded.length);
    const e = this.#byId.get(created)!;
    e.refs = 1;
    e.encoded = encoded;
    this.#unsaved.add(created);
    return created;
  }

  /** Counts `n` more references to a loaded entry (the load counts stored samples). */
  ref(id: number, n = 1): void {
    const e = this.#byId.get(id);
    if (e) e.refs += n;
  }

  /**
   * `n` samples of series `id` left the buffer. At zero references the entry is forgotten;
   * a stored one is deleted by the next flush (takeRemoved). Unknown ids are ignored.
   */
  release(id: number, n = 1): void {
    const e = this.#byId.get(id);
    if (!e) return;
    e.refs -= n;
    if (e.refs > 0) return;
    this.remove(id);
    if (!this.#unsaved.delete(id)) this.#removed.push(id);
  }

  /** Adds a loaded entry (no references yet: the load counts them). */
  add(id: number, labels: Labels, bytes: number): void {
    if (this.#byId.has(id)) this.remove(id);
    let g = this.#groups.get(labels.name);
    if (g === undefined) this.#groups.set(labels.name, (g = { id: this.#nextGroup++, series: 0 }));
    g.series++;
    this.#byId.set(id, { labels, bytes, group: g.id, refs: 0 });
    this.#byKey.set(labels.key, id);
    this.#bytes += bytes;
    if (id >= this.#nextId) this.#nextId = id + 1;
  }

  /** Forgets an entry in memory only (the caller deletes the stored entry). */
  remove(id: number): void {
    const e = this.#byId.get(id);
    if (!e) return;
    this.#byId.delete(id);
    if (this.#byKey.get(e.labels.key) === id) this.#byKey.delete(e.labels.key);
    this.#bytes -= e.bytes;
    const g = this.#groups.get(e.labels.name);
    if (g && --g.series === 0) this.#groups.delete(e.labels.name);
  }

  /** Never hand out ids at or below `id` (still referenced by stored samples). */
  reserve(id: number): void {
    if (id >= this.#nextId) this.#nextId = id + 1;
  }

  /** The stored value of an unsaved entry (computed once), or undefined for a forgotten id. */
  encodedFor(id: number): Uint8Array | undefined {
    const e = this.#byId.get(id);
    if (!e) return undefined;
    const v = e.encoded ?? encodeLabels(e.labels);
    e.encoded = undefined;
    return v;
  }

  takeUnsaved(): number[] {
    const out = [...this.#unsaved];
    this.#unsaved = new Set();
    return out;
  }

  /** A flush failed: its ids are unsaved again, ahead of any created meanwhile. */
  restoreUnsaved(ids: number[]): void {
    const next = new Set(ids.filter((id) => this.#byId.has(id)));
    for (const id of this.#unsaved) next.add(id);
    this.#unsaved = next;
  }

  takeRemoved(): number[] {
    const out = this.#removed;
    this.#removed = [];
    return out;
  }

  /** A flush failed: its deletes are owed again. */
  restoreRemoved(ids: number[]): void {
    this.#removed = ids.concat(this.#removed);
  }
}
