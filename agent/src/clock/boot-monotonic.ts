/**
 * Monotonic time that means the same thing in every run of the agent within one kernel
 * boot, so samples held before an agent restart can still be re-based after it. The Clock's
 * monotonic reading counts from an arbitrary origin (process start for RealClock); the
 * kernel's uptime (`<procfs>/uptime`, seconds since boot, 10 ms resolution) read once at
 * start gives the offset to "ms since boot".
 *
 * The clock domain names the samples' monotonic origin: the buffer's boot id
 * (`<kernel boot id>.<store id>`), so after a reboot old held samples are recognised as
 * meaningless. Without a readable uptime (not Linux) the origin is this process, and the
 * domain gets a per-run suffix: held samples then survive only within one run.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@edgeprom/shared';

export interface BootMonotonic {
  /** Clock domain of held samples. */
  domain: string;
  /** Whether `toBoot` counts from the kernel's boot (uptime was readable). */
  sinceBoot: boolean;
  /** The Clock's monotonic reading as ms since the domain's origin. */
  toBoot(monotonicMs: number): number;
}

export async function bootMonotonic(clock: Clock, procfs: string, bufferBoot: string): Promise<BootMonotonic> {
  const mono = clock.monotonic();
  const uptime = await readUptimeMs(procfs);
  if (uptime === undefined) {
    return { domain: `${bufferBoot}/run-${randomBytes(4).toString('hex')}`, sinceBoot: false, toBoot: (m) => m };
  }
  const offset = uptime - mono;
  return { domain: bufferBoot, sinceBoot: true, toBoot: (m) => m + offset };
}

/** The first field of `<procfs>/uptime` in ms, or undefined when unreadable. */
export async function readUptimeMs(procfs: string): Promise<number | undefined> {
  try {
    const text = await readFile(join(procfs, 'uptime'), 'utf8');
    const m = /^(\d+(?:\.\d+)?)\s/.exec(text);
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}
