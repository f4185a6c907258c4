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

  /** `boot` and `highWater`: the buffer's current boot and the last seq it handed out. */
  constructor(boot: string, highWater: number) {
    this.#boot = boot;
    this.#high = highWater;
    this.startHighWater = highWater;
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

  /** The cycle a scrape served, given the collector's `lastCollectionMs` at that scrape. */
  served(lastCollectionMs: number | undefined): CycleSeqs | undefined {
    if (lastCollectionMs === undefined) return undefined;
    for (let i = this.#cycles.length - 1; i >= 0; i--) if (this.#cycles[i].timestampMs === lastCollectionMs) return this.#cycles[i];
    return undefined;
  }
}
