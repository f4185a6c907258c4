/**
 * The head's inverted index: for every label name=value, the sorted list of series refs
 * carrying it (Prometheus's MemPostings). Refs are handed out in increasing order, so adding
 * a series appends to each of its lists and they stay sorted without any work.
 *
 * It also interns label strings: the head rebuilds each new series' Labels from the
 * index's own copies, so a value shared by ten thousand series (`job="node"`) is one string
 * in memory however many times scrapes parsed it anew.
 */
import type { Labels } from '@edgeprom/shared';
import { EMPTY_POSTINGS, type Postings, type PostingsIndex } from './postings.js';

/**
 * Makes V8 store s as one flat string. Strings built by `+` are trees of pieces (cons
 * strings) that stay trees until something needs the characters in a row; a label key
 * built pair by pair costs about twice its flat size as a tree (measured: ~960 vs ~465
 * bytes per Labels with its key). Converting to a number reads the characters, which
 * flattens the string in place, so everything that holds it sees the flat form.
 */
export function flatten(s: string): string {
  // Stored so that the optimizing compiler cannot drop the conversion as dead code.
  flattenSink = Number(s);
  return s;
}
let flattenSink = 0;

export class HeadIndex implements PostingsIndex {
  readonly #byName = new Map<string, Map<string, number[]>>();
  #all: number[] = [];
  readonly #strings = new Map<string, string>();

  /** The canonical copy of s. */
  intern(s: string): string {
    const seen = this.#strings.get(s);
    if (seen !== undefined) return seen;
    flatten(s);
    this.#strings.set(s, s);
    return s;
  }

  /** Indexes a new series; refs must be added in increasing order. */
  add(ref: number, labels: Labels): void {
    const all = this.#all;
    if (all.length > 0 && all[all.length - 1] >= ref) {
      throw new RangeError(`series ref ${ref} added out of order`);
    }
    all.push(ref);
    const kv = labels.pairs();
    for (let i = 0; i < kv.length; i += 2) {
      let values = this.#byName.get(kv[i]);
      if (!values) {
        values = new Map();
        this.#byName.set(kv[i], values);
      }
      const list = values.get(kv[i + 1]);
      if (list) list.push(ref);
      else values.set(kv[i + 1], [ref]);
    }
  }

  /**
   * Unindexes garbage-collected series (`labels[i]` of `refs[i]`; `gone(ref)` true for each).
   * Each list that loses entries is replaced by a filtered copy (once, however many of its
   * series go), so a caller still holding the old list sees it unchanged. Interned strings
   * no live series uses any more are forgotten too.
   */
  remove(refs: readonly number[], labels: readonly Labels[], gone: (ref: number) => boolean): void {
    if (refs.length === 0) return;
    const touched = new Map<string, Set<string>>();
    for (let i = 0; i < refs.length; i++) {
      const kv = labels[i].pairs();
      for (let j = 0; j < kv.length; j += 2) {
        let vs = touched.get(kv[j]);
        if (vs === undefined) touched.set(kv[j], (vs = new Set()));
        vs.add(kv[j + 1]);
      }
    }
    const keep = (ref: number): boolean => !gone(ref);
    for (const [name, vs] of touched) {
      const values = this.#byName.get(name);
      if (values === undefined) continue;
      for (const value of vs) {
        const list = values.get(value);
        if (list === undefined) continue;
        const left = list.filter(keep);
        if (left.length > 0) values.set(value, left);
        else values.delete(value);
      }
      if (values.size === 0) this.#byName.delete(name);
    }
    this.#all = this.#all.filter(keep);
    // Every string a live series uses is a name or value in #byName: keep those only.
    const strings = this.#strings;
    const used = new Set<string>();
    for (const [name, values] of this.#byName) {
      used.add(name);
      for (const v of values.keys()) used.add(v);
    }
    for (const s of strings.keys()) if (!used.has(s)) strings.delete(s);
  }

  postings(name: string, value: string): Postings {
    return this.#byName.get(name)?.get(value) ?? EMPTY_POSTINGS;
  }

  allPostings(): Postings {
    return this.#all;
  }

  labelValues(name: string): Iterable<string> {
    return this.#byName.get(name)?.keys() ?? [];
  }

  /** Sorted label names. */
  labelNames(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** Sorted values of `name`. */
  sortedLabelValues(name: string): string[] {
    return [...this.labelValues(name)].sort();
  }

  /** Distinct label pairs and the total of list entries, for stats. */
  size(): { pairs: number; entries: number; strings: number } {
    let pairs = 0;
    let entries = this.#all.length;
    for (const values of this.#byName.values()) {
      pairs += values.size;
      for (const list of values.values()) entries += list.length;
    }
    return { pairs, entries, strings: this.#strings.size };
  }
}
