/**
 * The presence boot sequence number (wire-format §6 `bootSeq`): counts the agent's starts on
 * this device, persisted in `<storage.path>/boot-seq`, so a receiver can order the online and
 * offline messages of different starts and recognise a late last will of an earlier one.
 *
 * Why a file of its own and not the buffer's boot ordinal: the ordinal counts kernel boots
 * (the buffer continues its boot id across agent restarts within one kernel boot), while two
 * agent starts in one kernel boot are two MQTT connections whose wills must be told apart.
 * One small write per start; written to a temporary file, synced, then renamed, so power
 * loss leaves either the old or the new number.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';

export const BOOT_SEQ_FILE = 'boot-seq';

/**
 * Reads the last boot seq, stores and returns the next one. `floor` (e.g. the buffer's boot
 * ordinal) is a lower bound, so a lost file cannot send the count backwards below it.
 * If the file cannot be written the agent still runs (the log says so).
 */
export async function nextBootSeq(dir: string, logger: Logger, floor = 0): Promise<number> {
  const path = join(dir, BOOT_SEQ_FILE);
  let last = 0;
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= 0) last = n;
    else logger.warn({ path, content: text.slice(0, 40) }, 'boot-seq file is not a number; starting over from the buffer boot ordinal');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ path, err: (err as Error).message }, 'cannot read boot-seq file');
  }
  const next = Math.max(last + 1, floor);
  const tmp = `${path}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${next}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    logger.error({ path, err: (err as Error).message }, 'cannot store boot-seq; a later start may repeat this number');
  }
  return next;
}
