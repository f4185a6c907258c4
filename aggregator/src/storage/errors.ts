/**
 * Storage errors. Each is created here, once, with a stable code; callers (scrape, ingest,
 * the HTTP API) switch on `code`, never on the message. Sample errors carry the series and
 * the timestamp so a scrape report or an ingest reply can say which sample was refused.
 */
import { EdgepromError, type Labels } from '@edgeprom/shared';

/** Why a single sample was refused. */
export type SampleErrorCode =
  /** Older than the newest sample of its series (and no out-of-order window takes it). */
  | 'ERR_OUT_OF_ORDER_SAMPLE'
  /** Same series and timestamp as a stored sample, but a different value (bit pattern). */
  | 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP'
  /** Older than the store accepts at all, whatever the series (before its appendable window). */
  | 'ERR_TOO_OLD_SAMPLE'
  /** Newer than the store's clock plus its tolerance: the device's clock is wrong. */
  | 'ERR_TOO_FAR_IN_FUTURE'
  /** Not a sample: empty label set, or a timestamp that is not an integer in range. */
  | 'ERR_INVALID_SAMPLE';

/** Misuse of the storage API or a feature not built yet. */
export type StorageErrorCode =
  | 'ERR_APPENDER_CLOSED'
  | 'ERR_QUERIER_CLOSED'
  | 'ERR_INVALID_MATCHER'
  | 'ERR_UNSUPPORTED';

/** Every code this module can raise; a test checks each one is produced somewhere. */
export const SAMPLE_ERROR_CODES: readonly SampleErrorCode[] = [
  'ERR_OUT_OF_ORDER_SAMPLE',
  'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP',
  'ERR_TOO_OLD_SAMPLE',
  'ERR_TOO_FAR_IN_FUTURE',
  'ERR_INVALID_SAMPLE',
];
export const STORAGE_ERROR_CODES: readonly StorageErrorCode[] = [
  'ERR_APPENDER_CLOSED',
  'ERR_QUERIER_CLOSED',
  'ERR_INVALID_MATCHER',
  'ERR_UNSUPPORTED',
];

const SAMPLE_MESSAGES: Record<SampleErrorCode, string> = {
  ERR_OUT_OF_ORDER_SAMPLE: 'out of order sample',
  ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP: 'duplicate sample for timestamp',
  ERR_TOO_OLD_SAMPLE: 'too old sample',
  ERR_TOO_FAR_IN_FUTURE: 'sample timestamp too far in the future',
  ERR_INVALID_SAMPLE: 'invalid sample',
};

/** A refused sample: which series, which timestamp, and why (`code`). */
export class SampleError extends EdgepromError {
  declare readonly code: SampleErrorCode;
  readonly labels: Labels;
  /** The refused sample's timestamp (ms). */
  readonly t: number;
  constructor(code: SampleErrorCode, labels: Labels, t: number, detail?: string) {
    const what = SAMPLE_MESSAGES[code];
    super(code, `${what}${detail ? ` (${detail})` : ''}: ${labels.toString()} @${t}`);
    this.name = 'SampleError';
    this.labels = labels;
    this.t = t;
  }
}

/** Misuse of the API (closed appender or querier), a bad matcher, or an unbuilt feature. */
export class StorageError extends EdgepromError {
  declare readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}

export function appenderClosed(): StorageError {
  return new StorageError('ERR_APPENDER_CLOSED', 'appender already committed or rolled back');
}

export function querierClosed(): StorageError {
  return new StorageError('ERR_QUERIER_CLOSED', 'querier is closed');
}

export function invalidMatcher(message: string, cause?: unknown): StorageError {
  return new StorageError('ERR_INVALID_MATCHER', message, { cause });
}

export function unsupported(what: string): StorageError {
  return new StorageError('ERR_UNSUPPORTED', `not supported yet: ${what}`);
}

/** True when e is a SampleError, optionally with the given code. */
export function isSampleError(e: unknown, code?: SampleErrorCode): e is SampleError {
  return e instanceof SampleError && (code === undefined || e.code === code);
}
