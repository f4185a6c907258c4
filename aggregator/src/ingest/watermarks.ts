/**
 * The per-(agent, boot) committed-seq watermark W (docs/wire-format.md §8), made durable in
 * the same WAL commit as the samples it covers, through the only write seam there is: W is
 * appended, in the batch's own appender, as a sample of the internal series
 *
 *   edgeprom_ingest_watermark{agent="<agent>", boot="<boot>"}  value W, at the aggregator's time
 *
 * so either both the samples and the new W are in the WAL, or neither is. At start, the
 * watermarks are rebuilt from the store with one Querier select (the last sample of each
 * series). The series is also queryable, which helps when debugging a device's delivery.
 *
 * Timestamps of a watermark series must increase: t = max(clock.now(), previous t + 1).
 */
import { Labels, type Clock } from '@edgeprom/shared';
import { Matcher } from '../storage/matcher.js';
import type { Appender, Queryable, SampleIterator } from '../storage/interface.js';

export const WATERMARK_METRIC = 'edgeprom_ingest_watermark';

export interface Watermark {
  /** Highest committed seq of this (agent, boot). */
  seq: number;
  /** Timestamp of the last watermark sample written (ms). */
  t: number;
  labels: Labels;
}

export class Watermarks {
  readonly #byKey = new Map<string, Watermark>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Reads every stored watermark; returns how many (agent, boot) pairs were found. */
  load(store: Queryable): number {
    const q = store.querier(-Infinity, Infinity);
    let n = 0;
    try {
      let it: SampleIterator | undefined;
      for (const s of q.select([Matcher.create('=', '__name__', WATERMARK_METRIC)])) {
        const agent = s.labels.get('agent');
        const boot = s.labels.get('boot');
        if (agent === '' || boot === '') continue;
        it = s.iterator(it);
        let seq = -1;
        let t = -Infinity;
        while (it.next()) {
          seq = Math.max(seq, it.atV());
          t = it.atT();
        }
        if (seq < 0) continue;
        const prev = this.#byKey.get(key(agent, boot));
        if (prev === undefined || prev.seq < seq) this.#byKey.set(key(agent, boot), { seq, t, labels: s.labels });
        n++;
      }
    } finally {
      q.close();
    }
    return n;
  }

  get(agent: string, boot: string): Watermark | undefined {
    return this.#byKey.get(key(agent, boot));
  }

  /**
   * Appends W = seq for (agent, boot) to `app` (the batch's appender) and returns what to
   * `set` once the commit is durable. Throws the store's SampleError if it refuses.
   */
  stage(app: Appender, agent: string, boot: string, seq: number): Watermark {
    const prev = this.get(agent, boot);
    const labels = prev?.labels ?? Labels.from({ __name__: WATERMARK_METRIC, agent, boot });
    const t = Math.max(Math.floor(this.#clock.now()), prev === undefined ? -Infinity : prev.t + 1);
    app.append(labels, t, seq);
    return { seq, t, labels };
  }

  set(agent: string, boot: string, w: Watermark): void {
    const prev = this.get(agent, boot);
    if (prev === undefined || prev.seq <= w.seq) this.#byKey.set(key(agent, boot), w);
  }

  get size(): number {
    return this.#byKey.size;
  }
}

const key = (agent: string, boot: string) => `${agent}\u0000${boot}`;
