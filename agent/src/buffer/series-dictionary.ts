/**
 * The series dictionary: label sets ↔ small integer ids, so a stored sample holds a 1–3
 * byte id instead of its label text. Persisted as 's' entries (codec.ts); each series also
 * belongs to a family group (its `__name__`), the unit of drop fairness (policy.ts).
 */
import type { Labels } from '@edgeprom/shared';
import { encodeLabels } from './codec.js';

export class SeriesDictionary {
  readonly #byId = new Map<number, Labels>();
  readonly #byKey = new Map<string, number>();
  readonly #bytes = new Map<number, number>();
  readonly #group = new Map<number, number>();
  readonly #groups = new Map<string, number>();
  #nextId = 1;
  /** Ids created since the last flush took them: their entries are not stored yet. */
  #unsaved: number[] = [];

  get size(): number {
    return this.#byId.size;
  }

  /** Stored bytes of all entries (key + value). */
  get bytes(): number {
    let n = 0;
    for (const b of this.#bytes.values()) n += b;
    return n;
  }

  labels(id: number): Labels | undefined {
    return this.#byId.get(id);
  }

  /** Family group of a series; unknown ids share one group. */
  group(id: number): number {
    return this.#group.get(id) ?? 0xffffffff;
  }

  ids(): IterableIterator<number> {
    return this.#byId.keys();
  }

  /** The id of `labels`, creating one (to be saved by the next flush) if new. Hot path. */
  idFor(labels: Labels): number {
    const id = this.#byKey.get(labels.key);
    if (id !== undefined) return id;
    const created = this.#nextId++;
    this.add(created, labels, 5 + encodeLabels(labels).length);
    this.#unsaved.push(created);
    return created;
  }

  /** Adds a loaded entry. */
  add(id: number, labels: Labels, bytes: number): void {
    this.#byId.set(id, labels);
    this.#byKey.set(labels.key, id);
    this.#bytes.set(id, bytes);
    let g = this.#groups.get(labels.name);
    if (g === undefined) this.#groups.set(labels.name, (g = this.#groups.size));
    this.#group.set(id, g);
    if (id >= this.#nextId) this.#nextId = id + 1;
  }

  remove(id: number): void {
    const labels = this.#byId.get(id);
    if (labels) this.#byKey.delete(labels.key);
    this.#byId.delete(id);
    this.#bytes.delete(id);
    this.#group.delete(id);
  }

  /** Never hand out ids at or below `id` (still referenced by stored samples). */
  reserve(id: number): void {
    if (id >= this.#nextId) this.#nextId = id + 1;
  }

  takeUnsaved(): number[] {
    const out = this.#unsaved;
    this.#unsaved = [];
    return out;
  }

  /** A flush failed: its ids are unsaved again, ahead of any created meanwhile. */
  restoreUnsaved(ids: number[]): void {
    this.#unsaved = ids.concat(this.#unsaved);
  }
}
