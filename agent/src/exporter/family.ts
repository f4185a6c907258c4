/**
 * Small helpers shared by exporters for reading the files of procfs/sysfs trees (absent
 * files are normal there: a board without sensors). Families are built with FamilySet
 * from @edgeprom/shared.
 */
import { readFile, stat } from 'node:fs/promises';

/** True for "no such file" style errors: the source simply is not there on this board. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads a text file, or returns undefined when it does not exist. Other errors throw. */
export async function readOptional(path: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Reads a one-value sysfs file, trimmed (devicetree strings end in NUL), or undefined. */
export async function readValue(path: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const s = await readFile(path, { encoding: 'utf8', signal });
    return s.replace(/\0+$/, '').trim();
  } catch {
    // sysfs reports sensor faults as read errors (EIO, ENODATA, EAGAIN): treat as absent.
    return undefined;
  }
}

/** Splits a line on runs of spaces/tabs without a regex allocation per character class. */
export function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    if (c === 32 || c === 9) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  return out;
}

/** Throws the signal's reason if it was aborted: exporters call it between steps. */
export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

/** Whether a path exists (any error counts as absent: probing optional OS state). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
