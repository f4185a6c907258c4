/**
 * API errors: each carries Prometheus's errorType, which decides the HTTP status exactly as
 * api.go's respondError does. Note that Prometheus has no case for `unavailable`, so it
 * answers 500 like `internal`; we do the same.
 */
import { EdgepromError } from '@edgeprom/shared';

export type ErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

export type ApiErrorCode =
  | 'ERR_API_BAD_DATA'
  | 'ERR_API_EXECUTION'
  | 'ERR_API_TIMEOUT'
  | 'ERR_API_CANCELED'
  | 'ERR_API_INTERNAL'
  | 'ERR_API_UNAVAILABLE'
  | 'ERR_API_NOT_FOUND'
  | 'ERR_API_NOT_ACCEPTABLE';

const CODES: Readonly<Record<ErrorType, ApiErrorCode>> = {
  bad_data: 'ERR_API_BAD_DATA',
  execution: 'ERR_API_EXECUTION',
  timeout: 'ERR_API_TIMEOUT',
  canceled: 'ERR_API_CANCELED',
  internal: 'ERR_API_INTERNAL',
  unavailable: 'ERR_API_UNAVAILABLE',
  not_found: 'ERR_API_NOT_FOUND',
  not_acceptable: 'ERR_API_NOT_ACCEPTABLE',
};

/** nginx's "client closed request", which Prometheus uses for canceled queries. */
export const STATUS_CLIENT_CLOSED_REQUEST = 499;

const STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  canceled: STATUS_CLIENT_CLOSED_REQUEST,
  timeout: 503,
  internal: 500,
  not_found: 404,
  not_acceptable: 406,
  unavailable: 500,
};

export function statusOf(type: ErrorType): number {
  return STATUS[type];
}

export class ApiError extends EdgepromError {
  declare readonly code: ApiErrorCode;
  readonly errorType: ErrorType;
  constructor(errorType: ErrorType, message: string, options?: { cause?: unknown }) {
    super(CODES[errorType], message, options);
    this.name = 'ApiError';
    this.errorType = errorType;
  }
  get status(): number {
    return statusOf(this.errorType);
  }
}

export function badData(message: string, cause?: unknown): ApiError {
  return new ApiError('bad_data', message, { cause });
}

export function isErrorType(s: unknown): s is ErrorType {
  return typeof s === 'string' && Object.hasOwn(CODES, s);
}

/** An error an engine raised because its AbortSignal fired. */
function isAbort(e: unknown): boolean {
  return (
    e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError') ||
    (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ABORT_ERR')
  );
}

export interface EngineErrorContext {
  /** Why the signal passed to the engine fired, if it did. */
  aborted?: 'timeout' | 'canceled';
}

/**
 * Maps what an engine or store threw to an ApiError, like api.go's returnAPIError: typed
 * errors keep their errorType (PromQLError carries one); parse errors are bad_data; an abort
 * we caused is a timeout or a cancellation; anything else is an execution error.
 */
export function toApiError(e: unknown, ctx: EngineErrorContext = {}): ApiError {
  if (e instanceof ApiError) return e;
  const typed = e as { errorType?: unknown; name?: unknown; message?: unknown } | null;
  if (typed && isErrorType(typed.errorType)) {
    return new ApiError(typed.errorType, String(typed.message), { cause: e });
  }
  if (typed && typed.name === 'PromQLParseError') return badData(String(typed.message), e);
  if (ctx.aborted !== undefined && (isAbort(e) || e === undefined)) {
    return ctx.aborted === 'timeout'
      ? new ApiError('timeout', 'query timed out in expression evaluation', { cause: e })
      : new ApiError('canceled', 'query was canceled in expression evaluation', { cause: e });
  }
  return new ApiError('execution', e instanceof Error ? e.message : String(e), { cause: e });
}
