/**
 * Errors of query evaluation. Each has a stable code; `errorType` is the Prometheus HTTP API
 * errorType the code maps to, so the API layer needs no table of its own.
 */
import { EdgepromError } from '@edgeprom/shared';

export type PromQLErrorCode =
  /** The query does not parse or has the wrong type for the request (HTTP 400, bad_data). */
  | 'ERR_PROMQL_BAD_DATA'
  /** Evaluation failed: matching errors, duplicate series, bad function arguments. */
  | 'ERR_PROMQL_EXECUTION'
  /** More samples than maxSamples would be held in memory. */
  | 'ERR_PROMQL_TOO_MANY_SAMPLES'
  /** Something we do not evaluate yet (native histograms). */
  | 'ERR_PROMQL_UNSUPPORTED'
  | 'ERR_PROMQL_TIMEOUT'
  | 'ERR_PROMQL_CANCELED';

export type PrometheusErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled';

export const PROMQL_ERROR_TYPES: Readonly<Record<PromQLErrorCode, PrometheusErrorType>> = {
  ERR_PROMQL_BAD_DATA: 'bad_data',
  ERR_PROMQL_EXECUTION: 'execution',
  ERR_PROMQL_TOO_MANY_SAMPLES: 'execution',
  ERR_PROMQL_UNSUPPORTED: 'execution',
  ERR_PROMQL_TIMEOUT: 'timeout',
  ERR_PROMQL_CANCELED: 'canceled',
};

export class PromQLError extends EdgepromError {
  declare readonly code: PromQLErrorCode;
  readonly errorType: PrometheusErrorType;
  constructor(code: PromQLErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PromQLError';
    this.errorType = PROMQL_ERROR_TYPES[code];
  }
}

export function executionError(message: string): PromQLError {
  return new PromQLError('ERR_PROMQL_EXECUTION', message);
}

export function tooManySamples(): PromQLError {
  return new PromQLError(
    'ERR_PROMQL_TOO_MANY_SAMPLES',
    'query processing would load too many samples into memory in query execution',
  );
}

export function unsupported(what: string): PromQLError {
  return new PromQLError('ERR_PROMQL_UNSUPPORTED', `unsupported: ${what}`);
}

export function timeoutError(where: string): PromQLError {
  return new PromQLError('ERR_PROMQL_TIMEOUT', `query timed out in ${where}`);
}

export function canceledError(where: string): PromQLError {
  return new PromQLError('ERR_PROMQL_CANCELED', `query was canceled in ${where}`);
}

export function duplicateLabelset(): PromQLError {
  return executionError('vector cannot contain metrics with the same labelset');
}
