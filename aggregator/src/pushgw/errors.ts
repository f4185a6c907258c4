/**
 * Push API errors. Each is created here with a stable code and the HTTP status it answers
 * with; the message is Pushgateway's wording where Pushgateway has one, so clients and
 * scripts written against the Pushgateway see the same text.
 */
import { EdgepromError } from '@edgeprom/shared';

export type PushErrorCode =
  /** The URL path is not a valid grouping key (odd components, bad label name, bad base64). */
  | 'ERR_PUSH_BAD_PATH'
  /** The body does not parse as the text format or OpenMetrics. */
  | 'ERR_PUSH_BAD_BODY'
  /** Pushed samples carry timestamps, which the Pushgateway refuses. */
  | 'ERR_PUSH_TIMESTAMP'
  /** The push would make the pushed metrics inconsistent (type clash, duplicate series). */
  | 'ERR_PUSH_INCONSISTENT'
  /** A limit (series per group, number of groups) would be exceeded. */
  | 'ERR_PUSH_LIMIT'
  /** The body is larger than maxBodyBytes (after decompression). */
  | 'ERR_PUSH_BODY_TOO_LARGE'
  /** The X-Edgeprom-TTL header is not a valid duration. */
  | 'ERR_PUSH_BAD_TTL'
  /** Missing or wrong credentials. */
  | 'ERR_PUSH_UNAUTHORIZED'
  /** The options are unusable (enabled without auth and without `insecure`, bad numbers). */
  | 'ERR_PUSH_CONFIG';

export const PUSH_ERROR_CODES: readonly PushErrorCode[] = [
  'ERR_PUSH_BAD_PATH',
  'ERR_PUSH_BAD_BODY',
  'ERR_PUSH_TIMESTAMP',
  'ERR_PUSH_INCONSISTENT',
  'ERR_PUSH_LIMIT',
  'ERR_PUSH_BODY_TOO_LARGE',
  'ERR_PUSH_BAD_TTL',
  'ERR_PUSH_UNAUTHORIZED',
  'ERR_PUSH_CONFIG',
];

const STATUS: Record<PushErrorCode, number> = {
  ERR_PUSH_BAD_PATH: 400,
  ERR_PUSH_BAD_BODY: 400,
  ERR_PUSH_TIMESTAMP: 400,
  ERR_PUSH_INCONSISTENT: 400,
  ERR_PUSH_LIMIT: 400,
  ERR_PUSH_BODY_TOO_LARGE: 413,
  ERR_PUSH_BAD_TTL: 400,
  ERR_PUSH_UNAUTHORIZED: 401,
  ERR_PUSH_CONFIG: 500,
};

export class PushError extends EdgepromError {
  declare readonly code: PushErrorCode;
  /** The HTTP status this error answers with. */
  readonly status: number;
  constructor(code: PushErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PushError';
    this.status = STATUS[code];
  }
}

/** Prefix Pushgateway puts before every error found while applying a push to the store. */
export const INVALID_PUSH_PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: ';

export function badPath(message: string): PushError {
  return new PushError('ERR_PUSH_BAD_PATH', message);
}

export function inconsistent(detail: string): PushError {
  return new PushError('ERR_PUSH_INCONSISTENT', INVALID_PUSH_PREFIX + detail);
}

export function timestampsPresent(): PushError {
  return new PushError('ERR_PUSH_TIMESTAMP', INVALID_PUSH_PREFIX + 'pushed metrics must not have timestamps');
}

export function limitExceeded(detail: string): PushError {
  return new PushError('ERR_PUSH_LIMIT', INVALID_PUSH_PREFIX + detail);
}

export function configError(message: string): PushError {
  return new PushError('ERR_PUSH_CONFIG', message);
}
