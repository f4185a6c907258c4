import { describe, expect, it } from 'vitest';
import { FamilySet } from '@edgeprom/shared';
import { ScrapeWindow } from './scrape-window.js';

const cycle = (n: number) => {
  const fs = new FamilySet();
  for (let i = 0; i < n; i++) fs.gauge('x', 'X.', { i: String(i) }, i);
  return fs.list();
};

describe('ScrapeWindow', () => {
  it('maps a scrape to the seqs of the cycle it served; released held samples take seqs in no cycle', () => {
    const w = new ScrapeWindow('b', 10);
    w.onCycle(cycle(3), 1000);
    expect(w.served(1000)).toEqual({ timestampMs: 1000, boot: 'b', first: 11, last: 13 });
    w.onHeld(2000);
    expect(w.served(2000)).toBeUndefined(); // held: no seqs yet
    expect(w.release(5)).toBe(false); // the only held cycle was scraped
    w.onCycle(cycle(2), 3000);
    expect(w.highWater).toBe(20);
    expect(w.served(3000)).toMatchObject({ first: 19, last: 20 });
  });

  it('owes the released seqs when a held cycle went unscraped, or held samples predate the start', () => {
    const w = new ScrapeWindow('b', 0);
    w.onHeld(1000);
    w.served(1000);
    w.onHeld(2000); // nobody scraped this one
    w.onHeld(3000);
    w.served(3000);
    expect(w.release(9)).toBe(true);
    // A release that failed and is retried (no held cycle in between) still owes.
    expect(w.release(0)).toBe(true);
    // A new untrusted period starts afresh.
    w.onHeld(4000);
    w.served(4000);
    expect(w.release(3)).toBe(false);
    w.onHeld(5000);
    expect(w.release(3)).toBe(true); // its last held cycle was never scraped

    const restarted = new ScrapeWindow('b', 0, true);
    restarted.onHeld(1000);
    restarted.served(1000);
    expect(restarted.release(4)).toBe(true);
  });
});
