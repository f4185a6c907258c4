import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import { ScrapeCache } from './scrape-cache.js';

// Two label sets whose 30-bit hashes collide (found by search; the first test checks it).
const A = Labels.from({ __name__: 'm', i: '26225' });
const B = Labels.from({ __name__: 'm', i: '47202' });

/** One scrape that appended `series`; returns the label sets the next stale() walk reports. */
function scrape(cache: ScrapeCache, series: Labels[]): string[] {
  for (const l of series) cache.trackStaleness(l);
  const stale = [...cache.stale()].map((l) => l.get('i') ?? '');
  cache.iterDone(true);
  return stale;
}

describe('ScrapeCache staleness tracking by label hash', () => {
  it('uses a colliding pair', () => {
    expect(A.hash).toBe(B.hash);
    expect(A.equals(B)).toBe(false);
  });

  it('keeps series with equal hashes apart', () => {
    const cache = new ScrapeCache();
    expect(scrape(cache, [A, B])).toEqual([]);
    expect(cache.trackStaleness(A)).not.toBe(cache.trackStaleness(B));
    cache.resetCurrent();
    // B vanished: only B goes stale; A, tracked under the same hash, does not.
    expect(scrape(cache, [A])).toEqual(['47202']);
    // A vanished, B came back: only A goes stale.
    expect(scrape(cache, [B])).toEqual(['26225']);
    expect(scrape(cache, [A, B])).toEqual([]);
    expect(scrape(cache, [])).toEqual(['26225', '47202']);
  });

  it('finds the same entry again after a failed scrape re-added it', () => {
    const cache = new ScrapeCache();
    scrape(cache, [A, B]);
    const a = cache.trackStaleness(A);
    cache.resetCurrent(); // the scrape failed: its entries are marked, not removed
    cache.track(a);
    cache.track(a);
    expect(cache.trackStaleness(A)).toBe(a);
    expect(cache.trackStaleness(B)).not.toBe(a);
    expect([...cache.stale()]).toEqual([]);
  });
});
