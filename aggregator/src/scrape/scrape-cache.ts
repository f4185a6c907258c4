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
 * Known series before parsing: the scrape sink answers the parser's `knownSeries` (see
 * ExpositionSink) from here, so a cached series' labels are not even read. Each entry
 * remembers the entry that followed it in the last scrape (`follow`): bodies list their
 * series in the same order scrape after scrape, so the guess for the next line is one
 * comparison of its text (no hashing, no Map); when the guess fails,
 * the text up to the first space outside quotes is looked up in the text map.
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
  /** Next entry whose labels have the same hash (ScrapeCache's tracked set). */
  next: StaleEntry | undefined = undefined;
  constructor(lset: Labels) {
    this.lset = lset;
  }
}

export class Entry {
  /** Flat pairs of the parsed label set, to tell hash collisions apart ([] when keyed by text). */
  readonly raw: readonly string[];
  /** The series text it is keyed by; undefined when keyed by `raw`. */
  readonly text: string | undefined;
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
  next: Entry | undefined = undefined;
  /** The entry whose sample came next in the last scrape that had this one: a guess. */
  follow: Entry | undefined = undefined;
  /** Forgotten by the cache (no longer a valid guess). */
  gone = false;
  /**
   * The metric name of `text`, the parser's string (seriesName()), handed back with a known
   * series (ExpositionSink.knownName) so that the parser does not read it again.
   */
  name: string | undefined = undefined;

  constructor(raw: readonly string[], text: string | undefined, lset: Labels | undefined, lastIter: number, stale: StaleEntry | undefined, ref: number) {
    this.raw = raw;
    this.text = text;
    this.lset = lset;
    this.lastIter = lastIter;
    this.stale = stale;
    this.ref = ref;
  }
}

const SP = 32;
const QUOTE = 34;
const BACKSLASH = 92;
const LF = 10;

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
  /** Entries marked used by the current iteration: when all are, a flush has nothing to sweep. */
  #used = 0;
  #lastHash = 0;
  /** The entry of the first sample of the last scrape: the guess for the next one's first line. */
  first: Entry | undefined;
  /** Length of the text findText last looked up in vain. */
  missedLength = 0;
  /**
   * Stale entries of the series in `cur` or `prev`, by the final labels' hash, equal hashes
   * chained through `next`. Keyed by hash, not by Labels.key, so no key string is built and
   * kept per series (about 140 B each).
   */
  readonly #tracked = new Map<number, StaleEntry>();
  /**
   * The stale entries the current and the previous scrape appended: the first #curN and
   * #prevN of two arrays swapped every scrape and refilled in place (`length = 0` would
   * drop the backing store, regrown by pushes every scrape: measured 28 KB of a 1,000-series
   * scrape's 266 KB).
   */
  #cur: StaleEntry[] = [];
  #curN = 0;
  #prev: StaleEntry[] = [];
  #prevN = 0;
  /**
   * How many entries of #prev the current scrape appended again: when all of them (the usual
   * case), neither stale() nor iterDone() need to walk #prev (100,000 entries across 100
   * targets, each a cache miss: measured ~0.2 ms a 1,000-series scrape).
   */
  #reseen = 0;
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
    if (e !== undefined) this.#use(e);
    return e;
  }

  #use(e: Entry): void {
    if (e.lastIter !== this.iter) {
      e.lastIter = this.iter;
      this.#used++;
    }
  }

  /** The entry of a series by its text in the body (marked used), or undefined when unknown. */
  getText(text: string): Entry | undefined {
    const e = this.#byText.get(text);
    if (e !== undefined) this.#use(e);
    return e;
  }

  /**
   * The entry of the series text s has at p, followed by a space, for the parser's
   * `knownSeries` (the line ends at the next newline or at `end`): `guess` when s has its
   * text there, else the one keyed by the text up to the first space outside quotes. Marks
   * it used. null: looked up, unknown (`missedLength` is the text's length); undefined: no
   * text to look up (an escape, no space).
   */
  findText(guess: Entry | undefined, s: string, p: number, end: number): Entry | null | undefined {
    if (guess !== undefined && !guess.gone) {
      const t = guess.text;
      const q = p + (t === undefined ? 0 : t.length);
      // slice and === (a native compare) beat startsWith (a builtin call, char by char) by far,
      // and a JS loop of charCodeAt too: measured 0.07 against 0.3 us a 60-char line. The
      // slice is 20-odd bytes of young garbage, cheaper than the loop (tried, 2026-11-26).
      if (t !== undefined && q < end && s.charCodeAt(q) === SP && s.slice(p, q) === t) {
        this.#use(guess);
        return guess;
      }
    }
    let q = p;
    let quoted = false;
    for (; q < end; q++) {
      const c = s.charCodeAt(q);
      if (c === QUOTE) quoted = !quoted;
      else if (c === SP) {
        if (!quoted) break;
      } else if (c === BACKSLASH || c === LF) return undefined;
    }
    if (q >= end) return undefined;
    const e = this.#byText.get(s.slice(p, q));
    if (e === undefined) {
      this.missedLength = q - p;
      return null;
    }
    this.#use(e);
    return e;
  }

  /** Adds the series `getText` just missed; lset undefined records a dropped series. */
  addText(text: string, lset: Labels | undefined, stale: StaleEntry | undefined, ref = 0, name?: string): Entry {
    // A copy: the parser's text is a slice of the whole decoded chunk, which a kept slice
    // would keep alive.
    const key = Buffer.from(text, 'utf8').toString('utf8');
    const e = new Entry(NO_PAIRS, key, lset, this.iter, stale, ref);
    e.name = name;
    this.#byText.set(key, e);
    this.#size++;
    this.#used++;
    return e;
  }

  /** Adds the series `get` just missed; lset undefined records a dropped series. */
  add(raw: Labels, lset: Labels | undefined, stale: StaleEntry | undefined, ref = 0): Entry {
    const h = this.#lastHash;
    // An exact-size copy: the parser's array grew by pushes and has spare capacity, kept
    // for as long as the series is (measured: ~60 B a series).
    const e = new Entry(raw.pairs().slice(), undefined, lset, this.iter, stale, ref);
    e.next = this.#series.get(h);
    this.#series.set(h, e);
    this.#size++;
    this.#used++;
    return e;
  }

  #sweep(): void {
    for (const [k, e] of this.#byText) {
      if (e.lastIter !== this.iter) {
        this.#byText.delete(k);
        this.#size--;
        e.gone = true;
        e.follow = undefined;
      }
    }
    for (const [h, first] of this.#series) {
      let head: Entry | undefined;
      let tail: Entry | undefined;
      for (let e: Entry | undefined = first; e !== undefined; e = e.next) {
        if (e.lastIter !== this.iter) {
          this.#size--;
          e.gone = true;
          e.follow = undefined;
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

  /** Adds e to the tracked set unless it is there (a failed scrape marks entries -1 and keeps them). */
  #addTracked(e: StaleEntry): void {
    const h = e.lset.hash;
    const first = this.#tracked.get(h);
    for (let p = first; p !== undefined; p = p.next) if (p === e) return;
    e.next = first;
    this.#tracked.set(h, e);
  }

  #removeTracked(e: StaleEntry): void {
    const h = e.lset.hash;
    const first = this.#tracked.get(h);
    if (first === e) {
      if (e.next === undefined) this.#tracked.delete(h);
      else this.#tracked.set(h, e.next);
    } else {
      for (let p = first; p !== undefined; p = p.next) {
        if (p.next === e) {
          p.next = e.next;
          break;
        }
      }
    }
    e.next = undefined;
  }

  /** Records that this scrape appended the series (found by its labels). */
  trackStaleness(lset: Labels): StaleEntry {
    const h = lset.hash;
    let e = this.#tracked.get(h);
    while (e !== undefined && !e.lset.equals(lset)) e = e.next;
    if (e === undefined) {
      e = new StaleEntry(lset);
      this.#addTracked(e);
    }
    this.track(e);
    return e;
  }

  /** Records that this scrape appended the series of a known entry. */
  track(e: StaleEntry): void {
    const no = this.#scrapeNo;
    if (e.seen === no) return;
    // An entry that left (seen -1) was removed from #tracked: put it back.
    if (e.seen === -1) this.#addTracked(e);
    else if (e.seen === no - 1) this.#reseen++; // it is in #prev
    e.seen = no;
    this.#cur[this.#curN++] = e;
  }

  /** Series of the previous scrape that the current one did not append. */
  *stale(): IterableIterator<Labels> {
    if (this.#reseen === this.#prevN) return;
    const no = this.#scrapeNo;
    const prev = this.#prev;
    for (let i = 0; i < this.#prevN; i++) if (prev[i].seen !== no) yield prev[i].lset;
  }

  /** Forgets what the current scrape appended (it failed: all previous series go stale). */
  resetCurrent(): void {
    const cur = this.#cur;
    for (let i = 0; i < this.#curN; i++) cur[i].seen = -1;
    this.#curN = 0;
    this.#reseen = 0;
  }

  /** Final label sets appended by the last completed scrape. */
  lastScrapeSeries(): Labels[] {
    return this.#prev.slice(0, this.#prevN).map((e) => e.lset);
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
      // Every entry used by this scrape (the usual case): nothing to forget.
      if (this.#used < this.#size) this.#sweep();
      this.iter++;
      this.#used = 0;
    }
    const no = this.#scrapeNo;
    const prev = this.#prev;
    if (this.#reseen !== this.#prevN) {
      for (let i = 0; i < this.#prevN; i++) {
        const e = prev[i];
        if (e.seen !== no) {
          e.seen = -1;
          this.#removeTracked(e);
        }
      }
    }
    this.#reseen = 0;
    // The scrape's entries become #prev; entries past them (a shrunk target) are let go.
    const cur = this.#cur;
    if (cur.length > this.#curN) cur.length = this.#curN;
    this.#prev = cur;
    this.#prevN = this.#curN;
    this.#cur = prev;
    this.#curN = 0;
    this.#scrapeNo++;
  }
}
