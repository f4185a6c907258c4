/**
 * Label sets: immutable, sorted by name, with a canonical string key that serves as a hash
 * map key and makes equality a single string comparison (V8 caches string hashes).
 *
 * As in Prometheus, a label with an empty value is the same as an absent label, so empty
 * values are dropped on construction. The metric name is the `__name__` label.
 */

export const METRIC_NAME = '__name__';

/** `n.toString(36) + ':'` for the usual lengths: radix conversion is slow on a hot path. */
const LENGTH_PREFIXES: readonly string[] = Array.from({ length: 1024 }, (_, n) => `${n.toString(36)}:`);
function lengthPrefix(n: number): string {
  return n < 1024 ? LENGTH_PREFIXES[n] : `${n.toString(36)}:`;
}

/**
 * A 30-bit hash of flat pairs: every name and value with its length (so no string can forge
 * a boundary), two characters at a time in two interleaved lanes, finished with murmur3's
 * fmix32. 30 bits so that it stays a small integer (Smi) in the object that caches it.
 */
function hashPairs(kv: readonly string[]): number {
  let a = 0x2f6b5e1d ^ kv.length;
  let b = 0x5bd1e995;
  for (let i = 0; i < kv.length; i++) {
    const s = kv[i];
    const n = s.length;
    a = Math.imul(a ^ n, 0x9e3779b1);
    a ^= a >>> 16;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      a = Math.imul(a ^ (s.charCodeAt(j) | (s.charCodeAt(j + 1) << 16)), 0x85ebca6b);
      b = Math.imul(b ^ (s.charCodeAt(j + 2) | (s.charCodeAt(j + 3) << 16)), 0xc2b2ae35);
      a ^= a >>> 15;
      b ^= b >>> 13;
    }
    for (; j < n; j++) {
      a = Math.imul(a ^ s.charCodeAt(j), 0x01000193);
      a ^= a >>> 15;
    }
  }
  let h = a ^ Math.imul(b, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 2;
}

export class Labels {
  /** Flat, name-sorted pairs: [name0, value0, name1, value1, ...]. */
  readonly #kv: readonly string[];
  #key: string | undefined;
  /** Cached `hash`; -1 until first used. */
  #hash = -1;

  private constructor(kv: readonly string[]) {
    this.#kv = kv;
  }

  /**
   * Canonical key: equal label sets have equal keys and vice versa. Built on first use:
   * parsers make label sets by the hundred thousand and most never need one.
   */
  get key(): string {
    let key = this.#key;
    if (key === undefined) {
      // Each string is length-prefixed, so no name or value can forge a separator. Joined,
      // not concatenated: `+=` leaves a tree of cons strings (32 B a node, two per string)
      // that lives as long as the key, which a scrape cache keeps per series; join builds
      // one flat string.
      const kv = this.#kv;
      const parts = new Array<string>(kv.length * 2);
      for (let i = 0; i < kv.length; i++) {
        parts[2 * i] = lengthPrefix(kv[i].length);
        parts[2 * i + 1] = kv[i];
      }
      key = parts.join('');
      this.#key = key;
    }
    return key;
  }

  /**
   * A 30-bit hash of the pairs, computed on first use and cached (a store that finds series
   * by it never builds the key string). Equal label sets have equal hashes; unequal ones may
   * collide, so a match must be confirmed by comparing the pairs.
   */
  get hash(): number {
    let h = this.#hash;
    if (h < 0) h = this.#hash = hashPairs(this.#kv);
    return h;
  }

  static readonly EMPTY = new Labels([]);

  /** Builds from a record or pairs; sorts, drops empty values; a repeated name keeps the last value. */
  static from(input: Record<string, string> | Iterable<readonly [string, string]>): Labels {
    const pairs: [string, string][] = [];
    const it: Iterable<readonly [string, string]> =
      Symbol.iterator in (input as object)
        ? (input as Iterable<readonly [string, string]>)
        : Object.entries(input as Record<string, string>);
    for (const [n, v] of it) if (v !== '') pairs.push([n, v]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kv: string[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const [n, v] = pairs[i];
      if (i + 1 < pairs.length && pairs[i + 1][0] === n) continue; // last one wins
      kv.push(n, v);
    }
    return kv.length === 0 ? Labels.EMPTY : new Labels(kv);
  }

  /**
   * Builds from flat pairs already sorted by name with unique names and no empty values.
   * The caller guarantees the invariants (hot paths: parsers, decoders that sorted already).
   */
  static fromSortedPairs(kv: readonly string[]): Labels {
    return kv.length === 0 ? Labels.EMPTY : new Labels(kv);
  }

  /** Number of labels. */
  get size(): number {
    return this.#kv.length >> 1;
  }

  /** The metric name (`__name__`), or '' when absent. */
  get name(): string {
    return this.get(METRIC_NAME);
  }

  /** The value of `name`, or '' when absent (Prometheus semantics). */
  get(name: string): string {
    const kv = this.#kv;
    // Label sets are small: linear scan beats binary search below ~16 labels.
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] === name) return kv[i + 1];
      if (kv[i] > name) break;
    }
    return '';
  }

  has(name: string): boolean {
    return this.get(name) !== '';
  }

  nameAt(i: number): string {
    return this.#kv[i * 2];
  }

  valueAt(i: number): string {
    return this.#kv[i * 2 + 1];
  }

  /** Flat sorted pairs (read-only view). */
  pairs(): readonly string[] {
    return this.#kv;
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const kv = this.#kv;
    for (let i = 0; i < kv.length; i += 2) yield [kv[i], kv[i + 1]];
  }

  equals(other: Labels): boolean {
    return this === other || this.key === other.key;
  }

  /** Returns a copy with `name` set to `value` (an empty value removes it). */
  with(name: string, value: string): Labels {
    const out: [string, string][] = [];
    for (const p of this) if (p[0] !== name) out.push(p);
    out.push([name, value]);
    return Labels.from(out);
  }

  /** Returns a copy without the given names. */
  without(...names: string[]): Labels {
    const drop = new Set(names);
    const kv: string[] = [];
    const src = this.#kv;
    for (let i = 0; i < src.length; i += 2) if (!drop.has(src[i])) kv.push(src[i], src[i + 1]);
    return kv.length === src.length ? this : Labels.fromSortedPairs(kv);
  }

  /** Returns a copy keeping only the given names. */
  keep(...names: string[]): Labels {
    const want = new Set(names);
    const kv: string[] = [];
    const src = this.#kv;
    for (let i = 0; i < src.length; i += 2) if (want.has(src[i])) kv.push(src[i], src[i + 1]);
    return kv.length === src.length ? this : Labels.fromSortedPairs(kv);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [n, v] of this) o[n] = v;
    return o;
  }

  /** Prometheus notation: `name{a="b", c="d"}`, or `{...}` without a name. */
  toString(): string {
    let body = '';
    for (const [n, v] of this) {
      if (n === METRIC_NAME) continue;
      body += `${body ? ', ' : ''}${n}="${escapeLabelValue(v)}"`;
    }
    const name = this.name;
    return body === '' && name !== '' ? name : `${name}{${body}}`;
  }

  /** Orders label sets like Prometheus's labels.Compare: by pairs, then by length. */
  static compare(a: Labels, b: Labels): number {
    const x = a.#kv;
    const y = b.#kv;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return x.length - y.length;
  }
}

/**
 * Interns label sets so that equal sets share one object (and its strings): a long-lived
 * store keeps one copy per series however many times it is parsed again.
 */
export class LabelsInterner {
  readonly #byKey = new Map<string, Labels>();
  intern(labels: Labels): Labels {
    const seen = this.#byKey.get(labels.key);
    if (seen) return seen;
    this.#byKey.set(labels.key, labels);
    return labels;
  }
  delete(labels: Labels): void {
    this.#byKey.delete(labels.key);
  }
  get size(): number {
    return this.#byKey.size;
  }
}

/** Escapes a label value for the text exposition format and PromQL display. */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A legacy (ASCII) Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}

/** A legacy (ASCII) Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** Names starting with `__` are reserved for internal use (relabeling, `__name__`). */
export function isReservedLabelName(name: string): boolean {
  return name.startsWith('__');
}
