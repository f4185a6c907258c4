/**
 * The per-target scrape cache, as Prometheus keeps one per scrape loop.
 *
 * It maps a series as the target exposes it to the final
 * label set (target labels added, metric relabeling applied), so a series seen in the last
 * scrape is neither relabeled nor rebuilt again: the same Labels object goes to the
 * appender each time, with the SeriesRef the store returned for it last time, so the store
 * does no lookup by labels at all. Series metric relabeling dropped are remembered too.
 *
 * Keys, as in Prometheus's scrapeCache: the series text as the body writes it
 * (`name{a="x"}`, from the parser's fast path), looked up in a Map<string> whose hashing
 * and comparison are native; lines the parser's general code read (escapes, exemplars...)
 * are keyed by their parsed pairs instead. A body that reorders a series's labels misses,
 * and the miss maps to the same final Labels (and stale entry) through the label lookup.
 *
 * Staleness: each final series appended without an explicit timestamp has a StaleEntry,
 * stamped with the number of the scrape that last appended it. The previous scrape's entries
 * not stamped by the current one are the series that disappeared. A cached series reaches
 * its entry through a reference, so the hot path does no Map operation for staleness
 * (Prometheus keeps two hash maps and swaps them).
 */
import type { Labels } from '@edgeprom/shared';

export class StaleEntry {
  readonly lset: Labels;
  /** Number of the last scrape that appended the series; -1: not in the current one. */
  seen = -1;
  constructor(lset: Labels) {
    this.lset = lset;
  }
}

export interface Entry {
  /** Flat pairs of the parsed label set, to tell hash collisions apart ([] when keyed by text). */
  readonly raw: readonly string[];
  /** Final labels; undefined for a series metric relabeling dropped. */
  readonly lset: Labels | undefined;
  lastIter: number;
  stale: StaleEntry | undefined;
  /**
   * The store's SeriesRef for `lset`, as the last append returned it (0: none yet), passed
   * back on the next append so the store skips its lookup by labels.
   */
  ref: number;
  /** Next entry with the same hash. */
  next: Entry | undefined;
}

/**
 * 32-bit FNV-1a over names and values. Cheaper than building the label set's canonical key
 * string per sample (allocating, then flattening and hashing it for the Map): that was about
 * a quarter of a cached scrape's CPU.
 */
function hashPairs(kv: readonly string[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < kv.length; i++) {
    const s = kv[i];
    for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
  }
  return h >>> 0;
}

const NO_PAIRS: readonly string[] = [];

function samePairs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ScrapeCache {
  iter = 0;
  #scrapeNo = 0;
  #successfulCount = 0;
  /** Parsed series by hash of their pairs (collisions chained); dropped ones included. */
  readonly #series = new Map<number, Entry>();
  /** Parsed series by their text in the body (the parser's fast path). */
  readonly #byText = new Map<string, Entry>();
  #size = 0;
  #lastHash = 0;
  /** Stale entries of the series in `cur` or `prev`, by final labels key. */
  readonly #tracked = new Map<string, StaleEntry>();
  #cur: StaleEntry[] = [];
  #prev: StaleEntry[] = [];
  /** Report series (`up`, ...) labels, built once per target. */
  readonly report = new Map<string, Labels>();

  /** Number of parsed series remembered (kept and dropped). */
  get size(): number {
    return this.#size;
  }

  /**
   * The entry of a parsed series (marked used by this scrape), or undefined when unknown;
   * an entry without `lset` is a series relabeling dropped. Remembers the hash for `add`.
   */
  get(raw: Labels): Entry | undefined {
    const kv = raw.pairs();
    const h = hashPairs(kv);
    this.#lastHash = h;
    let e = this.#series.get(h);
    while (e !== undefined && !samePairs(e.raw, kv)) e = e.next;
    if (e !== undefined) e.lastIter = this.iter;
    return e;
  }

  /** The entry of a series by its text in the body (marked used), or undefined when unknown. */
  getText(text: string): Entry | undefined {
    const e = this.#byText.get(text);
    if (e !== undefined) e.lastIter = this.iter;
    return e;
  }

  /** Adds the series `getText` just missed; lset undefined records a dropped series. */
  addText(text: string, lset: Labels | undefined, stale: StaleEntry | undefined, ref = 0): void {
    // A copy: the parser's text is a slice of the whole decoded chunk, which a kept slice
    // would keep alive.
    const key = Buffer.from(text, 'utf8').toString('utf8');
    this.#byText.set(key, { raw: NO_PAIRS, lset, lastIter: this.iter, stale, ref, next: undefined });
    this.#size++;
  }

  /** Adds the series `get` just missed; lset undefined records a dropped series. */
  add(raw: Labels, lset: Labels | undefined, stale: StaleEntry | undefined, ref = 0): void {
    const h = this.#lastHash;
    // An exact-size copy: the parser's array grew by pushes and has spare capacity, kept
    // for as long as the series is (measured: ~60 B a series).
    const e: Entry = { raw: raw.pairs().slice(), lset, lastIter: this.iter, stale, ref, next: this.#series.get(h) };
    this.#series.set(h, e);
    this.#size++;
  }

  #sweep(): void {
    for (const [k, e] of this.#byText) {
      if (e.lastIter !== this.iter) {
        this.#byText.delete(k);
        this.#size--;
      }
    }
    for (const [h, first] of this.#series) {
      let head: Entry | undefined;
      let tail: Entry | undefined;
      for (let e: Entry | undefined = first; e !== undefined; e = e.next) {
        if (e.lastIter !== this.iter) {
          this.#size--;
          continue;
        }
        if (tail === undefined) head = e;
        else tail.next = e;
        tail = e;
      }
      if (tail !== undefined) tail.next = undefined;
      if (head === undefined) this.#series.delete(h);
      else if (head !== first) this.#series.set(h, head);
    }
  }

  /** Records that this scrape appended the series (found by its labels). */
  trackStaleness(lset: Labels): StaleEntry {
    let e = this.#tracked.get(lset.key);
    if (e === undefined) {
      e = new StaleEntry(lset);
      this.#tracked.set(lset.key, e);
    }
    this.track(e);
    return e;
  }

  /** Records that this scrape appended the series of a known entry. */
  track(e: StaleEntry): void {
    if (e.seen === this.#scrapeNo) return;
    // An entry that left (seen -1) was removed from #tracked: put it back.
    if (e.seen === -1) this.#tracked.set(e.lset.key, e);
    e.seen = this.#scrapeNo;
    this.#cur.push(e);
  }

  /** Series of the previous scrape that the current one did not append. */
  *stale(): IterableIterator<Labels> {
    const no = this.#scrapeNo;
    for (const e of this.#prev) if (e.seen !== no) yield e.lset;
  }

  /** Forgets what the current scrape appended (it failed: all previous series go stale). */
  resetCurrent(): void {
    for (const e of this.#cur) e.seen = -1;
    this.#cur.length = 0;
  }

  /** Final label sets appended by the last completed scrape. */
  lastScrapeSeries(): Labels[] {
    return this.#prev.map((e) => e.lset);
  }

  /**
   * Ends a scrape. After a successful, non-empty one (`flush`), entries not seen in it are
   * forgotten; a failing target whose caches keep growing is flushed anyway.
   */
  iterDone(flush: boolean): void {
    const count = this.#size;
    if (flush) this.#successfulCount = count;
    else if (count > this.#successfulCount * 2 + 1000) flush = true;
    if (flush) {
      this.#sweep();
      this.iter++;
    }
    const no = this.#scrapeNo;
    for (const e of this.#prev) {
      if (e.seen !== no) {
        e.seen = -1;
        if (this.#tracked.get(e.lset.key) === e) this.#tracked.delete(e.lset.key);
      }
    }
    const t = this.#prev;
    this.#prev = this.#cur;
    this.#cur = t;
    this.#cur.length = 0;
    this.#scrapeNo++;
  }
}
