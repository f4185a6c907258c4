/**
 * "When was I last scraped?" The /metrics handler records every scrape here; the pusher
 * reads it to decide when nobody is pulling and it should push instead, using monotonic
 * time so a wall-clock jump on an RTC-less board cannot trigger or suppress a push, and
 * listens (`onScrape`) to learn which collection each scrape delivered.
 */
import type { Clock } from '@edgeprom/shared';
import type { Exporter } from '../exporter/interface.js';
import { FamilySet } from '@edgeprom/shared';

export class ScrapeStats {
  readonly #clock: Clock;
  #scrapes = 0;
  #lastWallMs: number | undefined;
  #lastMonotonicMs: number | undefined;
  readonly #listeners = new Set<(previousSinceMs: number | undefined) => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Called by the /metrics handler for each scrape it serves. */
  record(): void {
    const previous = this.sinceLastScrapeMs();
    this.#scrapes++;
    this.#lastWallMs = this.#clock.now();
    this.#lastMonotonicMs = this.#clock.monotonic();
    for (const l of this.#listeners) l(previous);
  }

  /**
   * Calls `listener` on every scrape, with the monotonic ms since the scrape before it
   * (undefined for the first). Returns the unsubscribe function.
   */
  onScrape(listener: (previousSinceMs: number | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get scrapes(): number {
    return this.#scrapes;
  }

  /** Wall time (ms) of the last scrape, for display; undefined if never scraped. */
  get lastScrapeMs(): number | undefined {
    return this.#lastWallMs;
  }

  /** Monotonic ms since the last scrape, or undefined if never scraped. */
  sinceLastScrapeMs(): number | undefined {
    return this.#lastMonotonicMs === undefined ? undefined : this.#clock.monotonic() - this.#lastMonotonicMs;
  }

  /** A live exporter of these numbers, so the buffer records them and scrapes see them current. */
  exporter(): Exporter {
    return {
      name: 'scrape',
      live: true,
      collect: async () =>
        new FamilySet()
          .gauge('edgeprom_agent_last_scrape_timestamp_seconds', 'When /metrics was last scraped, in unixtime; 0 if never.', undefined, (this.#lastWallMs ?? 0) / 1000)
          .counter('edgeprom_agent_scrapes_total', 'Scrapes of /metrics served.', undefined, this.#scrapes)
          .list(),
    } satisfies Exporter;
  }
}
