/**
 * The kernel's boot id, so that a reboot starts a new seq space and an agent restart within
 * one boot continues the old one (wire-format §4: seqs never reused within a boot). The
 * buffer adds its store id to it (load.ts): `<kernel boot id>.<store id>`, ≤ 49 characters.
 */
import { readFile } from 'node:fs/promises';

export const DEFAULT_BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** Kernel boot ids are UUIDs; anything else (a broken file) is ignored. */
function isValidKernelBootId(id: string): boolean {
  return /^[A-Za-z0-9-]{1,36}$/.test(id);
}

/** The kernel boot id at `path`, or undefined when it is absent or unusable (not Linux). */
export async function readBootId(path: string = DEFAULT_BOOT_ID_PATH): Promise<string | undefined> {
  try {
    const id = (await readFile(path, 'utf8')).trim();
    return isValidKernelBootId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
