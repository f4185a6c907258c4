/**
 * Wire format errors. Receivers switch on `code`; `path` names the offending field in the
 * spec's terms (`series[3].l[2]`), so a device developer can find the bug in their encoder.
 */
import { EdgepromError } from '../errors.js';

export const WIRE_ERROR_CODES = {
  /** The message's `v` is not a version this receiver speaks. */
  VERSION: 'ERR_WIRE_VERSION',
  /** Not CBOR, or not a valid message of its type; the message says which field and why. */
  MALFORMED: 'ERR_WIRE_MALFORMED',
  /** The encoded message is larger than the configured maximum. */
  TOO_LARGE: 'ERR_WIRE_TOO_LARGE',
  /** An agent id (or alert receiver name) that cannot be one MQTT topic level. */
  AGENT_ID: 'ERR_WIRE_AGENT_ID',
  /** A topic prefix that would break the topic scheme (wildcards, no trailing `/`). */
  TOPIC_PREFIX: 'ERR_WIRE_TOPIC_PREFIX',
} as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[keyof typeof WIRE_ERROR_CODES];

export class WireError extends EdgepromError {
  /** The field at fault, e.g. `series[3].l`; '' for the message as a whole. */
  readonly path: string;
  constructor(code: WireErrorCode, path: string, reason: string, options?: { cause?: unknown }) {
    super(code, path === '' ? reason : `${path}: ${reason}`, options);
    this.name = 'WireError';
    this.path = path;
  }
}

/** Throws ERR_WIRE_MALFORMED for `path`. */
export function malformed(path: string, reason: string, cause?: unknown): never {
  throw new WireError(WIRE_ERROR_CODES.MALFORMED, path, reason, cause === undefined ? undefined : { cause });
}
