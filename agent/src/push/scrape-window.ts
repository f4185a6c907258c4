/**
 * Which buffered samples a scrape has delivered. The collector hands every cycle to the
 * buffer (which gives its samples the next seqs) and then to this tracker, which notes the
 * seq range of the cycle. A scrape serves the cycle that was cached when it ran (the one
 * that started at `collector.lastCollectionMs`), so on each scrape we know exactly which
 * seqs it showed: `served = {boot, first, last}`.
 *
 * The pusher uses that to decide what scraping already delivered (see pusher.ts, "What gets
 * pushed"). A scrape whose cycle cannot be identified (the very first scrape, which waits
 * for the first cycle) counts as having delivered nothing, so nothing is trimmed for it,
 * and as resuming after everything collected so far, so nothing before it is skipped.
 *
 * Cycles collected while the wall clock is untrusted are held (clock/gate.ts) and take no
 * seqs until the clock is trusted; then they take the next seqs at once, in no cycle a
 * scrape served (`release`). The window remembers whether every held cycle was scraped:
 * if one was not (or held samples predate this run), the pusher owes the released seqs
 * (pusher.owe), or the next local trim would drop samples nobody has.
 */
import type { MetricFamily } from '@edgeprom/shared';

export interface CycleSeqs {
  timestampMs: number;
  boot: string;
  /** First and last seq of the cycle's samples; first > last for an empty cycle. */
  first: number;
  last: number;
}

const KEEP = 8;

export class ScrapeWindow {
  readonly #boot: string;
  #high: number;
  /** The high-water mark when the agent started: samples up to it are the start backlog. */
  readonly startHighWater: number;
  readonly #cycles: CycleSeqs[] = [];
  /** Since the last release: a held cycle went by without a scrape serving it. */
  #heldUnscraped: boolean;
  /** The latest held cycle (its timestamp) and whether a scrape served it. */
  #lastHeld: { timestampMs: number; scraped: boolean } | undefined;
  #releasedSinceHeld = false;

  /**
   * `boot` and `highWater`: the buffer's current boot and the last seq it handed out.
   * `heldAtStart`: the buffer holds samples from before this start (nobody knows who scraped them).
   */
  constructor(boot: string, highWater: number, heldAtStart = false) {
    this.#boot = boot;
    this.#high = highWater;
    this.startHighWater = highWater;
    this.#heldUnscraped = heldAtStart;
  }

  get boot(): string {
    return this.#boot;
  }

  /** The last seq handed out so far (appended, maybe not durable yet). */
  get highWater(): number {
    return this.#high;
  }

  /** A collect listener, registered after the buffer's append (same families, same order). */
  onCycle(families: readonly MetricFamily[], timestampMs: number): void {
    let n = 0;
    for (const f of families) n += f.samples.length;
    const first = this.#high + 1;
    this.#high += n;
    this.#cycles.push({ timestampMs, boot: this.#boot, first, last: this.#high });
    if (this.#cycles.length > KEEP) this.#cycles.shift();
  }

  /** A collect listener for a cycle the clock gate held (no seqs yet). */
  onHeld(timestampMs: number): void {
    if (this.#releasedSinceHeld) {
      // A new untrusted period: the previous one's release is done with.
      this.#releasedSinceHeld = false;
      this.#heldUnscraped = false;
      this.#lastHeld = undefined;
    }
    if (this.#lastHeld && !this.#lastHeld.scraped) this.#heldUnscraped = true;
    this.#lastHeld = { timestampMs, scraped: false };
  }

  /**
   * `n` seqs went to released held samples (before the next cycle's own). Returns whether
   * some of them may not have been scraped: then they are owed to the aggregator.
   */
  release(n: number): boolean {
    this.#high += n;
    this.#releasedSinceHeld = true;
    return this.#heldUnscraped || (this.#lastHeld !== undefined && !this.#lastHeld.scraped);
  }

  /**
   * The cycle a scrape served, given the collector's `lastCollectionMs` at that scrape;
   * undefined for a held cycle (no seqs yet; noted as scraped) or one out of sight.
   */
  served(lastCollectionMs: number | undefined): CycleSeqs | undefined {
    if (lastCollectionMs === undefined) return undefined;
    if (this.#lastHeld?.timestampMs === lastCollectionMs) {
      this.#lastHeld.scraped = true;
      return undefined;
    }
    for (let i = this.#cycles.length - 1; i >= 0; i--) if (this.#cycles[i].timestampMs === lastCollectionMs) return this.#cycles[i];
    return undefined;
  }
}
