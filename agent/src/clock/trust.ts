/**
 * Whether the device's wall clock can be believed, decided once per collection from the
 * wall and monotonic readings of the cycle and the OS's sync signal. A pure state machine:
 * tests drive it with any readings they like.
 *
 * The wall clock is trusted when all of:
 * 1. **plausible**: it is at or after `notBeforeMs` (the release date, release-date.ts);
 * 2. **steady**: no jump for `stableForMs` of monotonic time. A jump is a change of the wall
 *    clock between two observations that differs from the monotonic time elapsed by more
 *    than `jumpToleranceMs` (an NTP step, someone running `date -s`, an RTC read late);
 * 3. **OS-synchronised**, where the OS says (os-sync.ts): 'unsynced' vetoes, 'unknown' does
 *    not count.
 */
import { EdgepromError } from '@edgeprom/shared';
import type { OsSync } from './os-sync.js';
import { RELEASE_DATE_MS } from './release-date.js';

export const DEFAULT_JUMP_TOLERANCE_MS = 1_000;
export const DEFAULT_STABLE_FOR_MS = 30_000;

export interface ClockTrustOptions {
  /** Default RELEASE_DATE_MS. */
  notBeforeMs?: number;
  /** Default 1 s. */
  jumpToleranceMs?: number;
  /** Default 30 s. */
  stableForMs?: number;
}

/** Why the clock is not trusted (the first that applies). */
export type UntrustedReason = 'implausible' | 'jump' | 'os_unsynced';

export interface TrustVerdict {
  trusted: boolean;
  reason?: UntrustedReason;
  /** This observation saw a jump; `jumpMs` is its size (wall step minus monotonic step). */
  jumped: boolean;
  jumpMs?: number;
}

export class ClockTrust {
  readonly notBeforeMs: number;
  readonly jumpToleranceMs: number;
  readonly stableForMs: number;
  #last: { wall: number; mono: number } | undefined;
  #lastJumpMono: number | undefined;
  #jumps = 0;
  #verdict: TrustVerdict | undefined;
  #os: OsSync = 'unknown';

  constructor(opts: ClockTrustOptions = {}) {
    this.notBeforeMs = opts.notBeforeMs ?? RELEASE_DATE_MS;
    this.jumpToleranceMs = opts.jumpToleranceMs ?? DEFAULT_JUMP_TOLERANCE_MS;
    this.stableForMs = opts.stableForMs ?? DEFAULT_STABLE_FOR_MS;
    for (const [what, v, min] of [['notBeforeMs', this.notBeforeMs, -Infinity], ['jumpToleranceMs', this.jumpToleranceMs, Number.MIN_VALUE], ['stableForMs', this.stableForMs, 0]] as const) {
      if (!Number.isFinite(v) || v < min) throw new EdgepromError('ERR_INVALID_ARGUMENT', `clock trust: ${what} must be a finite number${min > 0 ? ' > 0' : min === 0 ? ' >= 0' : ''}, got ${v}`);
    }
  }

  /** The last verdict; undefined before the first observation. */
  get verdict(): TrustVerdict | undefined {
    return this.#verdict;
  }

  get trusted(): boolean {
    return this.#verdict?.trusted ?? false;
  }

  /** Jumps seen since start. */
  get jumps(): number {
    return this.#jumps;
  }

  /** The OS signal of the last observation. */
  get os(): OsSync {
    return this.#os;
  }

  observe(wallMs: number, monoMs: number, os: OsSync = 'unknown'): TrustVerdict {
    this.#os = os;
    let jumped = false;
    let jumpMs: number | undefined;
    if (this.#last) {
      const drift = wallMs - this.#last.wall - (monoMs - this.#last.mono);
      if (Math.abs(drift) > this.jumpToleranceMs) {
        jumped = true;
        jumpMs = drift;
        this.#jumps++;
        this.#lastJumpMono = monoMs;
      }
    }
    this.#last = { wall: wallMs, mono: monoMs };
    let reason: UntrustedReason | undefined;
    if (wallMs < this.notBeforeMs) reason = 'implausible';
    else if (this.#lastJumpMono !== undefined && monoMs - this.#lastJumpMono < this.stableForMs) reason = 'jump';
    else if (os === 'unsynced') reason = 'os_unsynced';
    this.#verdict = { trusted: reason === undefined, reason, jumped, jumpMs };
    return this.#verdict;
  }
}
