/**
 * Admission of queries: at most `maxConcurrent` run at once (Prometheus's
 * --query.max-concurrency), the rest wait in order. A query that times out or whose client
 * leaves while waiting fails like Prometheus's: "query timed out in query queue".
 */
import type { Clock } from '@edgeprom/shared';
import { ApiError } from './errors.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Why a query's signal fired. */
export type AbortCause = 'timeout' | 'canceled';

export interface QuerySignal {
  signal: AbortSignal;
  /** Set once the signal fired. */
  cause(): AbortCause | undefined;
  dispose(): void;
}

function queueError(cause: AbortCause): ApiError {
  return cause === 'timeout'
    ? new ApiError('timeout', 'query timed out in query queue')
    : new ApiError('canceled', 'query was canceled in query queue');
}

export class QueryGate {
  readonly #max: number;
  readonly #clock: Clock;
  #running = 0;
  readonly #queue: Waiter[] = [];

  constructor(maxConcurrent: number, clock: Clock) {
    this.#max = Math.max(1, maxConcurrent);
    this.#clock = clock;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A signal that fires after timeoutMs (reason: TimeoutError) or when the client leaves
   * (reason: AbortError), whichever comes first.
   */
  signalFor(client: AbortSignal, timeoutMs: number): QuerySignal {
    const ctl = new AbortController();
    let cause: AbortCause | undefined;
    const fire = (c: AbortCause) => {
      if (cause !== undefined) return;
      cause = c;
      const name = c === 'timeout' ? 'TimeoutError' : 'AbortError';
      ctl.abort(new DOMException(c === 'timeout' ? 'query timed out' : 'client closed the connection', name));
    };
    const onClient = () => fire('canceled');
    if (client.aborted) fire('canceled');
    else client.addEventListener('abort', onClient, { once: true });
    const timer = timeoutMs <= 0 ? undefined : this.#clock.setTimeout(() => fire('timeout'), timeoutMs);
    if (timeoutMs <= 0) fire('timeout');
    return {
      signal: ctl.signal,
      cause: () => cause,
      dispose: () => {
        if (timer) this.#clock.clearTimeout(timer);
        client.removeEventListener('abort', onClient);
      },
    };
  }

  /** Waits for a slot; returns its release function. */
  async acquire(q: QuerySignal): Promise<() => void> {
    const c = q.cause();
    if (c !== undefined) throw queueError(c);
    if (this.#running < this.#max) {
      this.#running++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      this.#queue.push(w);
      q.signal.addEventListener(
        'abort',
        () => {
          const i = this.#queue.indexOf(w);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            reject(queueError(q.cause() ?? 'canceled'));
          }
        },
        { once: true },
      );
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so running stays the same.
      if (next) next.resolve();
      else this.#running--;
    };
  }
}
