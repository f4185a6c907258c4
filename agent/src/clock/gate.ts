/**
 * The gate between the collector and the buffer: every collection passes through it, and
 * it decides from the clock's trust (trust.ts) where the samples go.
 *
 *   collect cycle (wall, mono) ─► ClockTrust.observe ─┬─ trusted ──► [release held] ─► buffer.append
 *                                                     └─ untrusted ─► buffer.hold (boot-relative mono)
 *
 * On the first trusted cycle after untrusted ones, the held samples are re-based with
 * `t = wall_now − (mono_now − mono_sample)` and appended before that cycle's samples, so they
 * take the earlier seqs. The pusher reads only the normal buffer; the agent tells it
 * (`onRelease` → pusher.owe) when released samples include cycles nobody scraped.
 *
 * No I/O on the way of an ordinary cycle (a listener that waits delays the cycle's cache
 * update): the OS sync signal is read in the background after each cycle and used by the
 * next one (`start()` reads it once first), and a release happens only after untrusted time.
 */
import { FamilySet, type MetricFamily } from '@edgeprom/shared';
import type { SampleBuffer } from '../buffer/interface.js';
import { HELD_DROP_REASONS } from '../buffer/interface.js';
import type { Exporter } from '../exporter/interface.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BootMonotonic } from './boot-monotonic.js';
import type { OsSync } from './os-sync.js';
import type { ClockTrust } from './trust.js';

export interface ClockGateOptions {
  buffer: SampleBuffer;
  trust: ClockTrust;
  boot: BootMonotonic;
  /** The OS sync signal, read once a collection (os-sync.ts). */
  osSync?: () => Promise<OsSync>;
  logger?: Logger;
  /** After each append to the normal buffer, with the same families (the scrape window counts seqs). */
  onAppend?: (families: readonly MetricFamily[], timestampMs: number) => void;
  /** After a cycle's samples were held (the scrape window notes which held cycles were scraped). */
  onHold?: (timestampMs: number) => void;
  /** After `n` seqs were reserved for released held samples (before the cycle's own append). */
  onRelease?: (n: number) => void;
}

export class ClockGate {
  readonly #o: ClockGateOptions;
  readonly #logger: Logger;
  #held = 0;
  #os: OsSync = 'unknown';
  #reading: Promise<void> | undefined;
  /** Held samples may exist (from this run, or found in the store at start). */
  #mayHaveHeld: boolean;

  constructor(o: ClockGateOptions) {
    this.#o = o;
    this.#logger = o.logger ?? silentLogger();
    this.#mayHaveHeld = o.buffer.stats().held.samples > 0;
  }

  /** Reads the OS sync signal once, so the first cycle already has it. */
  async start(): Promise<void> {
    await this.#readOs();
  }

  /** Refreshes the OS signal for the next cycle; one read at a time; never throws. */
  #readOs(): Promise<void> {
    const read = this.#o.osSync;
    if (!read) return Promise.resolve();
    this.#reading ??= read()
      .then(
        (os) => {
          this.#os = os;
        },
        (err: unknown) => this.#logger.debug({ err: (err as Error).message }, 'cannot read the OS clock sync signal'),
      )
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  /** False until the first collection, and while the wall clock is untrusted. */
  get trusted(): boolean {
    return this.#o.trust.trusted;
  }

  /** A collect listener: records the cycle's samples (collector.onCollect). No I/O, no waiting. */
  record(families: readonly MetricFamily[], wallMs: number, monoMs: number): void {
    const { buffer, trust, boot } = this.#o;
    const before = trust.verdict;
    const v = trust.observe(wallMs, monoMs, this.#os);
    void this.#readOs();
    if (v.jumped) this.#logger.warn({ jump_ms: v.jumpMs, wall: new Date(wallMs).toISOString() }, 'wall clock jumped');
    if (!v.trusted) {
      if (before?.trusted !== false || before.reason !== v.reason) {
        this.#logger.warn({ reason: v.reason, wall: new Date(wallMs).toISOString() }, 'wall clock not trusted; holding samples with monotonic time until it is');
      }
      buffer.hold(families, wallMs, boot.toBoot(monoMs), boot.domain);
      this.#o.onHold?.(wallMs);
      this.#held++;
      this.#mayHaveHeld = true;
      return;
    }
    if (before && !before.trusted) this.#logger.info({ wall: new Date(wallMs).toISOString() }, 'wall clock trusted');
    if (this.#mayHaveHeld) {
      // Not awaited: a day of held samples takes seconds to move on a Pi, and a listener
      // that waits holds up the collector's next cycles. The seqs are reserved now, and the
      // append below waits inside the buffer until the release is done.
      this.#mayHaveHeld = false;
      const r = buffer.releaseHeld(boot.domain, wallMs - boot.toBoot(monoMs));
      if (r.seqs > 0) this.#o.onRelease?.(r.seqs);
      r.done.catch((err: unknown) => {
        // What is left stays held: the next trusted cycle tries again.
        this.#mayHaveHeld = true;
        this.#logger.error({ err: (err as Error).message }, 'cannot re-base the held samples yet');
      });
    }
    buffer.append(families, wallMs);
    this.#o.onAppend?.(families, wallMs);
  }

  /** The `edgeprom_clock_*` families. No I/O: live on every scrape. */
  exporter(): Exporter {
    return {
      name: 'clock',
      live: true,
      collect: async () => this.families(),
    };
  }

  families(): MetricFamily[] {
    const trust = this.#o.trust;
    const held = this.#o.buffer.stats().held;
    const fs = new FamilySet();
    fs.gauge('edgeprom_clock_trusted', 'Whether the agent trusts the wall clock (1) or holds samples with monotonic time until it does (0).', undefined, trust.trusted ? 1 : 0);
    fs.counter('edgeprom_clock_jumps_total', 'Wall-clock jumps (steps beyond clock.jump_tolerance against monotonic time) seen since start.', undefined, trust.jumps);
    fs.gauge('edgeprom_clock_untrusted_samples', 'Samples collected while the wall clock was untrusted, held until it is trusted.', undefined, held.samples);
    fs.counter('edgeprom_clock_rebased_samples_total', 'Held samples re-based onto the trusted wall clock and moved to the buffer, since start.', undefined, held.released);
    for (const reason of HELD_DROP_REASONS) {
      fs.counter('edgeprom_clock_dropped_samples_total', 'Held samples discarded before they could be re-based, since start, by reason (reboot: held before a reboot; size: buffer full; corrupt).', { reason }, held.dropped[reason]);
    }
    if (trust.os !== 'unknown') fs.gauge('edgeprom_clock_os_synchronized', 'Whether the OS reports its clock synchronised (systemd-timesyncd); absent when the OS gives no signal.', undefined, trust.os === 'synced' ? 1 : 0);
    return fs.list();
  }

  /** Collections held since start. */
  get heldCycles(): number {
    return this.#held;
  }
}
