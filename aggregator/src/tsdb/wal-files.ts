/**
 * Names and directory syncs shared by the WAL writer, reader and checkpoint:
 *
 *   <dir>/wal/00000001             segments, numbered upwards, 8 decimal digits
 *   <dir>/wal/checkpoint.00000004  the newest checkpoint (covers segments <= 4)
 *   <dir>/wal/checkpoint.00000004.tmp   one being written; deleted at open
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

export const SEGMENT_RE = /^\d{8}$/;
export const CHECKPOINT_RE = /^checkpoint\.(\d{8})$/;

export function segmentName(index: number): string {
  return String(index).padStart(8, '0');
}

export function checkpointName(through: number): string {
  return `checkpoint.${segmentName(through)}`;
}

/** Makes the directory's entries (new, renamed or deleted files) survive a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function syncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
