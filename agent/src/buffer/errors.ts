/** Errors of the sample buffer, each code created here once (docs/agent.md lists them). */
import { EdgepromError } from '@edgeprom/shared';

export type BufferErrorCode =
  /** A method other than open() was called before open() resolved. */
  | 'ERR_BUFFER_NOT_OPEN'
  /** The buffer was closed. */
  | 'ERR_BUFFER_CLOSED'
  /** A stored entry does not decode; the caller drops it and counts `reason="corrupt"`. */
  | 'ERR_BUFFER_CORRUPT'
  /** The store could not be opened even after repair and moving the old one aside. */
  | 'ERR_BUFFER_OPEN'
  /** A bad argument (negative seq, zero bound, ...). */
  | 'ERR_INVALID_ARGUMENT';

export class BufferError extends EdgepromError {
  declare readonly code: BufferErrorCode;
  constructor(code: BufferErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'BufferError';
  }
}
