/**
 * Writing pushed groups into the TSDB, as Prometheus scraping a Pushgateway with
 * `honor_labels: true` would: every series of every group gets a sample with the current
 * time at each tick (and right after a push), and a series that goes away (deleted or
 * expired group, a PUT that drops it) gets a stale marker. One appender per batch.
 *
 * Batches get strictly increasing timestamps (a batch in the same millisecond as the
 * previous one, or after the wall clock stepped back, is written 1 ms after it), so a change
 * and a stale marker never collide with an earlier sample of the same millisecond. Samples
 * the store still refuses are counted and skipped: the next tick writes them again.
 */
import type { Labels } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { isSampleError } from '../storage/errors.js';
import { STALE_NAN } from '../storage/value.js';
import { groupSeries, type Group } from './group.js';
import type { PushLogger } from './options.js';

export class TsdbWriter {
  readonly #storage: Appendable;
  readonly #logger: PushLogger;
  /** Samples the store refused, by error code. */
  readonly refused = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();
  #lastT = -Infinity;

  constructor(storage: Appendable, logger: PushLogger) {
    this.#storage = storage;
    this.#logger = logger;
  }

  /**
   * Appends the current samples of `live` groups and stale markers for `gone` groups at t,
   * updating each live group's set of written series (a series it no longer has gets a stale
   * marker too). The group state is read now, synchronously; the commit is queued behind
   * earlier ones so batches reach the store in order.
   */
  write(now: number, live: Iterable<Group>, gone: Iterable<Group> = []): Promise<void> {
    const t = now > this.#lastT ? now : this.#lastT + 1;
    const app = this.#storage.appender();
    let n = 0;
    try {
      for (const g of live) {
        const next = new Map<string, Labels>();
        for (const s of groupSeries(g)) {
          next.set(s.labels.key, s.labels);
          this.#append(app, s.labels, t, s.value);
          n++;
        }
        for (const [key, labels] of g.live) {
          if (next.has(key)) continue;
          this.#append(app, labels, t, STALE_NAN);
          n++;
        }
        g.live = next;
      }
      for (const g of gone) {
        for (const labels of g.live.values()) {
          this.#append(app, labels, t, STALE_NAN);
          n++;
        }
        g.live = new Map();
      }
    } catch (e) {
      app.rollback();
      this.#logger.error({ err: e }, 'push API: appending failed');
      return this.#chain;
    }
    if (n === 0) {
      app.rollback();
      return this.#chain;
    }
    this.#lastT = t;
    const done = this.#chain.then(() => app.commit());
    this.#chain = done.catch((err: unknown) => {
      this.#logger.error({ err }, 'push API: commit failed');
    });
    return this.#chain;
  }

  /** Resolves when every queued commit has finished. */
  flush(): Promise<void> {
    return this.#chain;
  }

  #append(app: ReturnType<Appendable['appender']>, labels: Labels, t: number, v: number): void {
    try {
      app.append(labels, t, v);
    } catch (e) {
      if (!isSampleError(e)) throw e;
      this.refused.set(e.code, (this.refused.get(e.code) ?? 0) + 1);
    }
  }
}
