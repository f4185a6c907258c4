/**
 * A label set under edit, with the exact semantics of Prometheus's labels.Builder, which
 * relabeling results depend on: `range` walks a snapshot (base labels not deleted or
 * overwritten, in name order, then added labels in the order they were first set), so a
 * labelmap writing two sources to one target keeps the last one walked, as Prometheus does.
 */
import { Labels } from '@edgeprom/shared';

export class LabelsBuilder {
  #base: Labels;
  /** Added or overwritten labels, in order of first set: [name, value] pairs. */
  #add: [string, string][] = [];
  #del: string[] = [];

  constructor(base: Labels) {
    this.#base = base;
  }

  reset(base: Labels): void {
    this.#base = base;
    this.#add.length = 0;
    this.#del.length = 0;
  }

  get(name: string): string {
    const add = this.#add;
    for (let i = 0; i < add.length; i++) if (add[i][0] === name) return add[i][1];
    if (this.#del.includes(name)) return '';
    return this.#base.get(name);
  }

  /** Sets a label; an empty value deletes it, as an empty label is an absent one. */
  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    const add = this.#add;
    for (let i = 0; i < add.length; i++) {
      if (add[i][0] === name) {
        add[i][1] = value;
        return;
      }
    }
    add.push([name, value]);
  }

  del(name: string): void {
    const add = this.#add;
    for (let i = add.length - 1; i >= 0; i--) if (add[i][0] === name) add.splice(i, 1);
    this.#del.push(name);
  }

  /** Calls f on a snapshot of the current labels (see the file comment for the order). */
  range(f: (name: string, value: string) => void): void {
    const add = this.#add.map((p) => [p[0], p[1]] as const);
    const del = this.#del.slice();
    const kv = this.#base.pairs();
    for (let i = 0; i < kv.length; i += 2) {
      const n = kv[i];
      if (del.includes(n) || add.some((p) => p[0] === n)) continue;
      f(n, kv[i + 1]);
    }
    for (const [n, v] of add) f(n, v);
  }

  /** The result; the base object itself when nothing changed. */
  labels(): Labels {
    const add = this.#add;
    const del = this.#del;
    if (add.length === 0 && del.length === 0) return this.#base;
    const pairs: [string, string][] = [];
    const kv = this.#base.pairs();
    for (let i = 0; i < kv.length; i += 2) {
      const n = kv[i];
      if (del.includes(n) || add.some((p) => p[0] === n)) continue;
      pairs.push([n, kv[i + 1]]);
    }
    for (const p of add) pairs.push(p);
    return Labels.from(pairs);
  }
}
