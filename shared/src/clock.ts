/**
 * Time, injected. Code that waits or stamps (tsdb, scrape, rules, notifier, agent buffer,
 * pusher) takes a Clock instead of calling Date.now() or setTimeout, so tests can run hours
 * of scenario in milliseconds with a ManualClock.
 */

export interface TimerHandle {
  /** Opaque; pass back to clearTimeout. */
  readonly id: number;
}

export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. May jump (NTP, no RTC). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin; never goes backwards. */
  monotonic(): number;
  /** Calls fn once after ms (monotonic) milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Calls fn every ms (monotonic) milliseconds until cleared. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or interval; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after ms; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(abortReason(signal!));
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The system clock. Timers are unref'd so a pending timer never keeps a process alive. */
export class RealClock implements Clock {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #next = 1;

  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    t.unref();
    this.#timers.set(id, t);
    return { id };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    const t = this.#timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.#timers.delete(handle.id);
    }
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
  every: number; // 0 for a one-shot timeout
  seq: number; // tie-break: timers due at the same time fire in creation order
}

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order and lets
 * promise chains settle between them, so async code driven by timers runs as it would in
 * real time, only instantly.
 */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #seq = 0;
  #nextId = 1;
  readonly #timers = new Map<number, ManualTimer>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.#wall = startWallMs;
  }

  now(): number {
    return this.#wall;
  }
  monotonic(): number {
    return this.#mono;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, 0);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, Math.max(1, ms));
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle.id);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Number of pending timers (useful to assert nothing leaks). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Sets the wall clock without moving monotonic time (an NTP step, a device without RTC). */
  setWallTime(ms: number): void {
    this.#wall = ms;
  }

  /**
   * Moves both clocks forward by ms, firing every timer that falls due on the way, in order.
   * Awaits pending promise callbacks before and after each timer.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be >= 0, got ${ms}`);
    const target = this.#mono + ms;
    await settle();
    for (;;) {
      const t = this.#earliest();
      if (!t || t.at > target) break;
      this.#wall += t.at - this.#mono;
      this.#mono = t.at;
      if (t.every > 0) {
        t.at += t.every;
        t.seq = this.#seq++;
      } else {
        this.#timers.delete(t.id);
      }
      t.fn();
      await settle();
    }
    this.#wall += target - this.#mono;
    this.#mono = target;
    await settle();
  }

  #add(fn: () => void, ms: number, every: number): TimerHandle {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, at: this.#mono + delay, fn, every, seq: this.#seq++ });
    return { id };
  }

  #earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers.values()) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets queued promise callbacks (and callbacks they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}
