/**
 * Where the head keeps chunk bytes: a few large pages instead of one typed array per chunk.
 *
 * A small typed array costs V8 some 150-250 bytes of bookkeeping (the view, its buffer, the
 * backing-store record) before its data. A series holds several chunks of ~150 bytes, so
 * per-chunk arrays alone would spend the 1 KiB-per-series budget. Here a chunk is a number,
 * its location `page * PAGE_SIZE + offset`, and its bytes live in shared 64 KiB pages.
 *
 * Two kinds of space, on separate pages because they live differently:
 *  - regions: the open (still growing) chunk of each series, from a buddy allocator with
 *    power-of-two classes from 32 bytes to a page. A series keeps its region from chunk to
 *    chunk and trades it for the next class up only when a chunk outgrows it. Freed regions
 *    merge with their free buddy: series grow in step (every series of a scrape gets one
 *    sample), so without merging the small regions they all left behind would never be used
 *    again (measured: ~1 KiB per series wasted).
 *  - sealed chunks (of a head without a chunks directory: with one, they go to files, see
 *    head-chunks-file.ts): exact-size copies of full chunks, bump-allocated. They die by
 *    age, so whole pages empty out together at truncation (each page counts live bytes).
 *    An open chunk may also take a reservation here (reserve), sized from its series'
 *    previous chunk, and be sealed in place (sealReserved), its unused tail given back, or
 *    copied to files and the reservation given back (unreserve).
 */

export const PAGE_SHIFT = 16;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const MIN_REGION_SHIFT = 5;
/** Size classes: 32 << c bytes for c in [0, REGION_CLASSES). The largest is one page. */
export const REGION_CLASSES = PAGE_SHIFT - MIN_REGION_SHIFT + 1;
const TOP_CLASS = REGION_CLASSES - 1;

export function regionSize(cls: number): number {
  return 1 << (cls + MIN_REGION_SHIFT);
}

export function pageOf(loc: number): number {
  return Math.floor(loc / PAGE_SIZE);
}

export function offsetOf(loc: number): number {
  return loc % PAGE_SIZE;
}

const DROPPED_PAGE = new Uint8Array(0);

export interface ArenaStats {
  pages: number;
  /** Bytes of all pages (what the process holds). */
  pageBytes: number;
  /** Bytes held by sealed chunks. */
  sealedBytes: number;
  /** Bytes of regions in use by open chunks (capacity, not fill). */
  regionBytes: number;
  /** Bytes of free regions on region pages. */
  freeRegionBytes: number;
}

export class ChunkArena {
  readonly pages: Uint8Array[] = [];
  /** Live bytes per page: regions in use or sealed chunks (for freeing pages later). */
  readonly #live: number[] = [];
  /** Free regions per class, and the class of every free region (to find free buddies). */
  readonly #free: Set<number>[] = Array.from({ length: REGION_CLASSES }, () => new Set());
  readonly #freeClass = new Map<number, number>();
  #sealPage = -1;
  #sealOff = PAGE_SIZE;
  #sealedBytes = 0;
  #dropped = 0;
  #regionBytes = 0;
  #freeBytes = 0;

  /** A zeroed region of class `cls`; returns its location. */
  allocRegion(cls: number): number {
    let c = cls;
    while (c < REGION_CLASSES && this.#free[c].size === 0) c++;
    let loc: number;
    if (c === REGION_CLASSES) {
      loc = this.#newPage() * PAGE_SIZE;
      c = TOP_CLASS;
    } else {
      loc = this.#takeFree(c);
    }
    // Split down to the wanted class; the upper halves become free buddies.
    while (c > cls) {
      c--;
      this.#addFree(loc + regionSize(c), c);
    }
    const size = regionSize(cls);
    const off = offsetOf(loc);
    this.pages[pageOf(loc)].fill(0, off, off + size);
    this.#live[pageOf(loc)] += size;
    this.#regionBytes += size;
    return loc;
  }

  /** Returns a region, merging it with its buddy while that is free too. */
  freeRegion(loc: number, cls: number): void {
    const size = regionSize(cls);
    this.#live[pageOf(loc)] -= size;
    this.#regionBytes -= size;
    const pageBase = pageOf(loc) * PAGE_SIZE;
    let off = offsetOf(loc);
    let c = cls;
    while (c < TOP_CLASS) {
      const buddy = pageBase + (off ^ regionSize(c));
      if (this.#freeClass.get(buddy) !== c) break;
      this.#takeFreeAt(buddy, c);
      off &= ~regionSize(c);
      c++;
    }
    if (c === TOP_CLASS && this.#free[TOP_CLASS].size > 0) {
      // A second whole free page: give it back (open chunks now mostly live in reservations,
      // so region pages empty out once the first chunks of new series are sealed).
      this.#dropPage(pageOf(loc));
      return;
    }
    this.#addFree(pageBase + off, c);
  }

  /**
   * Reserves `size` bytes (zeroed: bump space is never reused) in sealed space for an open
   * chunk expected to end at about that size, so that sealing it needs no copy
   * (sealReserved). Returns the location.
   */
  reserve(size: number): number {
    const loc = this.#bump(size);
    this.#live[pageOf(loc)] += size;
    this.#regionBytes += size;
    return loc;
  }

  /** Gives back a reservation that its chunk outgrew, or that truncation dropped. */
  unreserve(loc: number, size: number): void {
    const p = pageOf(loc);
    this.#live[p] -= size;
    this.#regionBytes -= size;
    this.#maybeDrop(p);
  }

  /** Makes the first `len` bytes of a reservation a sealed chunk; the rest is given back. */
  sealReserved(loc: number, size: number, len: number): void {
    this.#live[pageOf(loc)] -= size - len;
    this.#regionBytes -= size;
    this.#sealedBytes += len;
  }

  /** Copies `len` bytes from `src` at `srcOff` into sealed space; returns the location. */
  seal(src: Uint8Array, srcOff: number, len: number): number {
    const loc = this.#bump(len);
    this.pages[this.#sealPage].set(src.subarray(srcOff, srcOff + len), offsetOf(loc));
    this.#live[this.#sealPage] += len;
    this.#sealedBytes += len;
    return loc;
  }

  /** Takes `len` bytes of sealed space; the caller counts them as live. */
  #bump(len: number): number {
    if (len > PAGE_SIZE) throw new RangeError(`chunk of ${len} bytes exceeds a page`);
    if (this.#sealOff + len > PAGE_SIZE) {
      this.#sealPage = this.#newPage();
      this.#sealOff = 0;
    }
    const loc = this.#sealPage * PAGE_SIZE + this.#sealOff;
    this.#sealOff += len;
    return loc;
  }

  /**
   * Gives back a sealed chunk's bytes (head truncation). A sealed page whose live bytes reach
   * zero is dropped from the arena, never reused: a query snapshot may still reference it, and
   * keeps it alive until it is done. Locations are never reused either (pages only grow).
   */
  releaseSealed(loc: number, len: number): void {
    const p = pageOf(loc);
    this.#live[p] -= len;
    this.#sealedBytes -= len;
    this.#maybeDrop(p);
  }

  #maybeDrop(p: number): void {
    if (this.#live[p] === 0 && p !== this.#sealPage && this.pages[p].length > 0) this.#dropPage(p);
  }

  #dropPage(p: number): void {
    this.pages[p] = DROPPED_PAGE;
    this.#dropped++;
  }

  page(loc: number): Uint8Array {
    return this.pages[Math.floor(loc / PAGE_SIZE)];
  }

  stats(): ArenaStats {
    return {
      pages: this.pages.length - this.#dropped,
      pageBytes: (this.pages.length - this.#dropped) * PAGE_SIZE,
      sealedBytes: this.#sealedBytes,
      regionBytes: this.#regionBytes,
      freeRegionBytes: this.#freeBytes,
    };
  }

  #addFree(loc: number, cls: number): void {
    this.#free[cls].add(loc);
    this.#freeClass.set(loc, cls);
    this.#freeBytes += regionSize(cls);
  }

  #takeFree(cls: number): number {
    // Sets iterate in insertion order: the oldest free region first.
    const loc = this.#free[cls].values().next().value as number;
    this.#takeFreeAt(loc, cls);
    return loc;
  }

  #takeFreeAt(loc: number, cls: number): void {
    this.#free[cls].delete(loc);
    this.#freeClass.delete(loc);
    this.#freeBytes -= regionSize(cls);
  }

  #newPage(): number {
    this.pages.push(new Uint8Array(PAGE_SIZE));
    this.#live.push(0);
    return this.pages.length - 1;
  }
}
