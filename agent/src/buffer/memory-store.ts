/**
 * A BufferStore in a Map. Keeping the same instance across `open()`/`close()` simulates a
 * restart, so the contract suite checks restart continuity against memory too.
 */
import type { BufferStore, StoreOp } from './store.js';

/** Latin-1 strings of the key bytes compare like the bytes do. */
function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

export class MemoryStore implements BufferStore {
  readonly location = 'memory';
  readonly repaired = false;
  readonly #entries = new Map<string, [Uint8Array, Uint8Array]>();
  #open = false;

  async open(): Promise<void> {
    this.#open = true;
  }
  async close(): Promise<void> {
    this.#open = false;
  }
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#check();
    return this.#entries.get(keyString(key))?.[1];
  }
  async *scan(prefix: number): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#check();
    const p = String.fromCharCode(prefix);
    const keys = [...this.#entries.keys()].filter((k) => k[0] === p).sort();
    for (const k of keys) {
      const e = this.#entries.get(k);
      if (e) yield e;
    }
  }
  async write(ops: StoreOp[]): Promise<void> {
    this.#check();
    for (const op of ops) {
      if (op.type === 'put') this.#entries.set(keyString(op.key), [op.key.slice(), op.value.slice()]);
      else this.#entries.delete(keyString(op.key));
    }
  }
  async reset(): Promise<void> {
    this.#entries.clear();
  }
  /** Number of entries (tests). */
  get size(): number {
    return this.#entries.size;
  }
  #check(): void {
    if (!this.#open) throw new Error('memory store is not open');
  }
}
