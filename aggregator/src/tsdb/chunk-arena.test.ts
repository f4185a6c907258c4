import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChunkArena, offsetOf, PAGE_SIZE, pageOf, regionSize } from './chunk-arena.js';

describe('ChunkArena', () => {
  it('hands out zeroed, non-overlapping regions, leaves live ones untouched, and merges them back into whole pages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 }), fc.nat()), { maxLength: 200 }),
        (ops) => {
          const arena = new ChunkArena();
          const live: [number, number, number][] = [];
          let n = 0;
          for (const [alloc, cls, pick] of ops) {
            if (alloc || live.length === 0) {
              const loc = arena.allocRegion(cls);
              const page = arena.page(loc);
              const off = offsetOf(loc);
              expect(off % regionSize(cls)).toBe(0); // buddies are aligned to their size
              expect(page.subarray(off, off + regionSize(cls)).every((b) => b === 0)).toBe(true);
              const tag = (++n % 255) + 1;
              page.fill(tag, off, off + regionSize(cls)); // dirty it, as a chunk would
              for (const [l, c] of live) {
                const disjoint = l + regionSize(c) <= loc || loc + regionSize(cls) <= l;
                expect(disjoint).toBe(true);
              }
              live.push([loc, cls, tag]);
            } else {
              const [loc, c] = live.splice(pick % live.length, 1)[0];
              arena.freeRegion(loc, c);
            }
            // Free-list bookkeeping must never touch a live region's bytes.
            for (const [l, c, tag] of live) {
              const o = offsetOf(l);
              expect(arena.page(l).subarray(o, o + regionSize(c)).every((b) => b === tag)).toBe(true);
            }
          }
          for (const [loc, c] of live) arena.freeRegion(loc, c);
          const st = arena.stats();
          expect(st.regionBytes).toBe(0);
          expect(st.freeRegionBytes).toBe(st.pageBytes);
        },
      ),
    );
  });

  it('reuses freed space: regions grown in step do not leak their smaller predecessors', () => {
    const arena = new ChunkArena();
    let locs = Array.from({ length: 1000 }, () => arena.allocRegion(0));
    for (let cls = 1; cls <= 5; cls++) {
      locs = locs.map((loc) => {
        const next = arena.allocRegion(cls);
        arena.freeRegion(loc, cls - 1);
        return next;
      });
    }
    const st = arena.stats();
    expect(st.regionBytes).toBe(1000 * regionSize(5));
    expect(st.pageBytes).toBeLessThanOrEqual(st.regionBytes * 1.5);
  });

  it('seals reservations in place, gives back their tails, and drops pages left without live bytes', () => {
    const arena = new ChunkArena();
    const a = arena.reserve(400);
    const b = arena.reserve(300);
    expect(offsetOf(b)).toBe(offsetOf(a) + 400);
    expect(arena.stats()).toMatchObject({ regionBytes: 700, sealedBytes: 0 });
    arena.sealReserved(a, 400, 350);
    expect(arena.stats()).toMatchObject({ regionBytes: 300, sealedBytes: 350 });
    // Filling the page moves sealing to a new one; the first then goes once it holds nothing.
    const c = arena.seal(new Uint8Array(PAGE_SIZE - 700), 0, PAGE_SIZE - 700);
    expect(pageOf(c)).toBe(pageOf(a));
    const d = arena.reserve(64);
    expect(pageOf(d)).not.toBe(pageOf(a));
    arena.releaseSealed(a, 350);
    arena.releaseSealed(c, PAGE_SIZE - 700);
    expect(arena.page(a).length).toBe(PAGE_SIZE); // the open reservation b still lives there
    arena.unreserve(b, 300);
    expect(arena.page(a).length).toBe(0);
    expect(arena.stats()).toMatchObject({ pages: 1, regionBytes: 64, sealedBytes: 0 });
  });

  it('copies sealed chunks into bump-allocated pages', () => {
    const arena = new ChunkArena();
    const src = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const a = arena.seal(src, 10, 100);
    const b = arena.seal(src, 0, 300);
    expect(Array.from(arena.page(a).subarray(offsetOf(a), offsetOf(a) + 100))).toEqual(Array.from(src.subarray(10, 110)));
    expect(offsetOf(b)).toBe(offsetOf(a) + 100);
    const full = arena.seal(new Uint8Array(PAGE_SIZE - 300), 0, PAGE_SIZE - 300);
    expect(pageOf(full)).not.toBe(pageOf(a));
    expect(arena.stats().sealedBytes).toBe(400 + PAGE_SIZE - 300);
  });
});
