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

/**
 * Copies len bytes between (or within) buffers without making a subarray view for
 * `set`: a view is an object of ~100 bytes, and chunks are copied (sealed, moved to a larger
 * region) some ten times per thousand samples.
 */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (src === dst) dst.copyWithin(dstOff, srcOff, srcOff + len);
  else for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i];
}

const DROPPED_PAGE = new Uint8Array(0);
const NO_LINKS = new Float64Array(0);
const NO_CLASSES = new Uint8Array(0);
/** No region (end of a free list). */
const NONE = -1;

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
  /**
   * Free regions: a doubly linked list per class, oldest first, its links kept in the free
   * regions' own first 16 bytes (next, prev: locations, NONE at the ends; allocRegion zeroes
   * them away), read through a Float64Array view of each region page. No Set or Map: their
   * hash tables grew, shrank and rehashed (allocating) as regions came and went, every scrape.
   */
  readonly #freeHead = new Float64Array(REGION_CLASSES).fill(NONE);
  readonly #freeTail = new Float64Array(REGION_CLASSES).fill(NONE);
  readonly #freeCount = new Int32Array(REGION_CLASSES);
  /** Per page: the links view of a region page (NO_LINKS for sealed-space pages). */
  readonly #links: Float64Array[] = [];
  /**
   * Per page: for a region page, per 32-byte granule, 1 + the class of the free region
   * starting there, else 0 (finds free buddies; 2 KiB a region page); NO_CLASSES otherwise.
   */
  readonly #classes: Uint8Array[] = [];
  #sealPage = -1;
  #sealOff = PAGE_SIZE;
  #sealedBytes = 0;
  #dropped = 0;
  #regionBytes = 0;
  #freeBytes = 0;

  /** A zeroed region of class `cls`; returns its location. */
  allocRegion(cls: number): number {
    let c = cls;
    while (c < REGION_CLASSES && this.#freeCount[c] === 0) c++;
    let loc: number;
    if (c === REGION_CLASSES) {
      loc = this.#newPage(true) * PAGE_SIZE;
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
    const classes = this.#classes[pageOf(loc)];
    while (c < TOP_CLASS) {
      const buddyOff = off ^ regionSize(c);
      if (classes[buddyOff >>> MIN_REGION_SHIFT] !== c + 1) break;
      this.#takeFreeAt(pageBase + buddyOff, c);
      off &= ~regionSize(c);
      c++;
    }
    if (c === TOP_CLASS && this.#freeCount[TOP_CLASS] > 0) {
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
    copyBytes(src, srcOff, this.pages[this.#sealPage], offsetOf(loc), len);
    this.#live[this.#sealPage] += len;
    this.#sealedBytes += len;
    return loc;
  }

  /** Takes `len` bytes of sealed space; the caller counts them as live. */
  #bump(len: number): number {
    if (len > PAGE_SIZE) throw new RangeError(`chunk of ${len} bytes exceeds a page`);
    if (this.#sealOff + len > PAGE_SIZE) {
      this.#sealPage = this.#newPage(false);
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
    this.#links[p] = NO_LINKS;
    this.#classes[p] = NO_CLASSES;
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

  /** Appends a region to its class's free list. */
  #addFree(loc: number, cls: number): void {
    const links = this.#links[pageOf(loc)];
    const i = offsetOf(loc) >>> 3;
    const tail = this.#freeTail[cls];
    links[i] = NONE;
    links[i + 1] = tail;
    if (tail === NONE) this.#freeHead[cls] = loc;
    else this.#links[pageOf(tail)][offsetOf(tail) >>> 3] = loc;
    this.#freeTail[cls] = loc;
    this.#freeCount[cls]++;
    this.#classes[pageOf(loc)][offsetOf(loc) >>> MIN_REGION_SHIFT] = cls + 1;
    this.#freeBytes += regionSize(cls);
  }

  /** Takes the oldest free region of a class (there is one). */
  #takeFree(cls: number): number {
    const loc = this.#freeHead[cls];
    this.#takeFreeAt(loc, cls);
    return loc;
  }

  /** Unlinks a free region from its class's list. */
  #takeFreeAt(loc: number, cls: number): void {
    const links = this.#links[pageOf(loc)];
    const i = offsetOf(loc) >>> 3;
    const next = links[i];
    const prev = links[i + 1];
    if (prev === NONE) this.#freeHead[cls] = next;
    else this.#links[pageOf(prev)][offsetOf(prev) >>> 3] = next;
    if (next === NONE) this.#freeTail[cls] = prev;
    else this.#links[pageOf(next)][(offsetOf(next) >>> 3) + 1] = prev;
    this.#freeCount[cls]--;
    this.#classes[pageOf(loc)][offsetOf(loc) >>> MIN_REGION_SHIFT] = 0;
    this.#freeBytes -= regionSize(cls);
  }

  /** Adds a page for regions (with its free-list bookkeeping) or for sealed space. */
  #newPage(regions: boolean): number {
    const page = new Uint8Array(PAGE_SIZE);
    this.pages.push(page);
    this.#links.push(regions ? new Float64Array(page.buffer) : NO_LINKS);
    this.#classes.push(regions ? new Uint8Array(PAGE_SIZE >>> MIN_REGION_SHIFT) : NO_CLASSES);
    this.#live.push(0);
    return this.pages.length - 1;
  }
}
