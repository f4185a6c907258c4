/**
 * Why a scrape failed. Each error is made here, once, with a stable code; the message is
 * Prometheus's text where Prometheus has one, since it is what users see as the target's
 * `lastError` and search for.
 */
import { EdgepromError } from '@edgeprom/shared';

export type ScrapeErrorCode =
  | 'ERR_SCRAPE_HTTP_STATUS'
  | 'ERR_SCRAPE_TIMEOUT'
  | 'ERR_SCRAPE_NETWORK'
  | 'ERR_BODY_SIZE_LIMIT'
  | 'ERR_SAMPLE_LIMIT'
  | 'ERR_LABEL_LIMIT'
  | 'ERR_INVALID_SERIES'
  | 'ERR_TARGET_LIMIT';

export class ScrapeError extends EdgepromError {
  declare readonly code: ScrapeErrorCode;
  constructor(code: ScrapeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ScrapeError';
  }
}

export const httpStatus = (status: string) => new ScrapeError('ERR_SCRAPE_HTTP_STATUS', `server returned HTTP status ${status}`);
export const scrapeTimeout = (url: string) => new ScrapeError('ERR_SCRAPE_TIMEOUT', `Get ${JSON.stringify(url)}: context deadline exceeded`);
export const network = (url: string, cause: unknown) =>
  new ScrapeError('ERR_SCRAPE_NETWORK', `Get ${JSON.stringify(url)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
export const bodySizeLimit = () => new ScrapeError('ERR_BODY_SIZE_LIMIT', 'body size limit exceeded');
export const sampleLimit = () => new ScrapeError('ERR_SAMPLE_LIMIT', 'sample limit exceeded');
export const missingName = () => new ScrapeError('ERR_INVALID_SERIES', 'missing metric name (__name__ label)');
export const invalidSeries = (lset: string) => new ScrapeError('ERR_INVALID_SERIES', `invalid metric name or label names: ${lset}`);
export const labelLimit = (message: string) => new ScrapeError('ERR_LABEL_LIMIT', message);
export const targetLimit = (n: number, limit: number) =>
  new ScrapeError('ERR_TARGET_LIMIT', `target_limit exceeded (number of targets: ${n}, limit: ${limit})`);
