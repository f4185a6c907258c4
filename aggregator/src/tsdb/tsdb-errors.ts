/**
 * Errors of the on-disk TSDB (lock file, WAL, blocks), each created here once with a stable code.
 * Sample and API-misuse errors live in ../storage/errors.ts.
 */
import { EdgepromError } from '@edgeprom/shared';

export type TsdbErrorCode =
  /** Another process, or another open store in this process, holds the directory's lock. */
  | 'ERR_TSDB_LOCKED'
  /** The store was closed; appenders of it can no longer commit. */
  | 'ERR_TSDB_CLOSED'
  /** Writing or syncing the WAL failed; the store refuses further commits (see docs/tsdb.md). */
  | 'ERR_WAL_WRITE'
  /** A WAL segment that must be whole (read for a checkpoint) is not. */
  | 'ERR_WAL_CORRUPT'
  /** A block file is unreadable: bad meta.json, index, chunk segment or chunk checksum. */
  | 'ERR_BLOCK_CORRUPT'
  /**
   * A block's tombstones file is unreadable: the store refuses to open rather than serve the
   * samples deleted from that block again (as Prometheus). The block itself is left as it is.
   */
  | 'ERR_BLOCK_TOMBSTONES'
  /**
   * The head's tombstones file (`head-tombstones.json`) is unreadable: the store refuses to
   * open rather than serve the samples deleted from the head again (as for blocks).
   */
  | 'ERR_HEAD_TOMBSTONES';

export const TSDB_ERROR_CODES: readonly TsdbErrorCode[] = [
  'ERR_TSDB_LOCKED',
  'ERR_TSDB_CLOSED',
  'ERR_WAL_WRITE',
  'ERR_WAL_CORRUPT',
  'ERR_BLOCK_CORRUPT',
  'ERR_BLOCK_TOMBSTONES',
  'ERR_HEAD_TOMBSTONES',
];

export class TsdbError extends EdgepromError {
  declare readonly code: TsdbErrorCode;
  constructor(code: TsdbErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'TsdbError';
  }
}

/** The directory is locked; `pid` is the holder's process id as written in the lock file. */
export class TsdbLockedError extends TsdbError {
  declare readonly code: 'ERR_TSDB_LOCKED';
  readonly dir: string;
  readonly pid: number;
  constructor(dir: string, pid: number, sameProcess: boolean) {
    super(
      'ERR_TSDB_LOCKED',
      sameProcess
        ? `TSDB directory ${dir} is already open in this process (pid ${pid})`
        : `TSDB directory ${dir} is locked by process ${pid}; stop it or use another directory`,
    );
    this.name = 'TsdbLockedError';
    this.dir = dir;
    this.pid = pid;
  }
}

export function tsdbClosed(): TsdbError {
  return new TsdbError('ERR_TSDB_CLOSED', 'TSDB is closed');
}

export function walWriteFailed(cause: unknown): TsdbError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new TsdbError('ERR_WAL_WRITE', `WAL write failed, commits are refused until restart: ${why}`, { cause });
}

export function walCorrupt(message: string): TsdbError {
  return new TsdbError('ERR_WAL_CORRUPT', message);
}

/**
 * A block's `tombstones` file cannot be read (bad checksum, truncated, not a file, no
 * permission). Tombstones are the only record of a deletion: opening the block without them
 * would serve deleted samples again, so the store does not open (Prometheus's OpenBlock fails
 * the same way). `why` is the reader's reason, `file` the tombstones file.
 */
export class BlockTombstonesError extends TsdbError {
  declare readonly code: 'ERR_BLOCK_TOMBSTONES';
  readonly block: string;
  readonly file: string;
  readonly why: string;
  constructor(block: string, file: string, why: string) {
    super(
      'ERR_BLOCK_TOMBSTONES',
      `block ${block}: tombstones file ${file} is unreadable (${why}); the store does not open rather than ` +
        `serve the samples deleted from this block again. Restore the file; or move it aside to serve the block ` +
        `without its deletions (then delete those series again); or move the block directory aside`,
    );
    this.name = 'BlockTombstonesError';
    this.block = block;
    this.file = file;
    this.why = why;
  }
}

/**
 * The head's tombstones file cannot be read (not JSON, truncated, bad fields, a directory in
 * its place, no permission). Like a block's tombstones file it is the only record of a
 * deletion (the head's samples are replayed from the WAL without it), so the store does not
 * open rather than serve deleted samples again. `why` is the reader's reason.
 */
export class HeadTombstonesError extends TsdbError {
  declare readonly code: 'ERR_HEAD_TOMBSTONES';
  readonly file: string;
  readonly why: string;
  constructor(file: string, why: string, options?: { cause?: unknown }) {
    super(
      'ERR_HEAD_TOMBSTONES',
      `head tombstones file ${file} is unreadable (${why}); the store does not open rather than serve the ` +
        `samples deleted from the head again. Restore the file; or move it aside (mv ${file} ${file}.damaged) to ` +
        `open with the head's deletions lost (then delete those series again)`,
      options,
    );
    this.name = 'HeadTombstonesError';
    this.file = file;
    this.why = why;
  }
}
