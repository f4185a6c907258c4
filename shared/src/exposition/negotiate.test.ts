import { describe, expect, it } from 'vitest';
import {
  OPENMETRICS_CONTENT_TYPE,
  SCRAPE_ACCEPT_HEADER,
  TEXT_CONTENT_TYPE,
  formatOfContentType,
  negotiate,
} from './negotiate.js';

describe('negotiate', () => {
  it.each([
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/plain', 'text'],
    ['text/plain;version=0.0.4', 'text'],
    ['application/json', 'text'],
    ['garbage;;;,,', 'text'],
    // Prometheus's own scrape header prefers OpenMetrics 1.0.0.
    [SCRAPE_ACCEPT_HEADER, 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'openmetrics'],
    ['Application/OpenMetrics-Text; Version="1.0.0"', 'openmetrics'],
    // q-values rank clauses, whatever their order in the header.
    ['text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;version=1.0.0;q=0.3,text/plain;version=0.0.4;q=0.5', 'text'],
    ['text/plain;q=0.2,application/openmetrics-text;q=0.2', 'text'], // tie: header order
    // q=0 means not acceptable.
    ['application/openmetrics-text;q=0,text/plain;q=0.1', 'text'],
    ['application/openmetrics-text;q=0', 'text'],
    // Versions we do not speak are skipped, not guessed.
    ['application/openmetrics-text;version=2.0.0,text/plain;q=0.1', 'text'],
    ['text/plain;version=1.0.0,application/openmetrics-text;q=0.5', 'openmetrics'],
    ['application/openmetrics-text;version=1.0.0;q=bogus,text/plain;q=0.1', 'text'],
  ] as [string | undefined, string][])('%s → %s', (accept, format) => {
    const got = negotiate(accept);
    expect(got.format).toBe(format);
    expect(got.contentType).toBe(format === 'text' ? TEXT_CONTENT_TYPE : OPENMETRICS_CONTENT_TYPE);
  });

  it('uses the exact content types client_golang sends', () => {
    expect(TEXT_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });

  it('maps a response Content-Type to the parser to use', () => {
    expect(formatOfContentType(OPENMETRICS_CONTENT_TYPE)).toBe('openmetrics');
    expect(formatOfContentType(' Application/OpenMetrics-Text')).toBe('openmetrics');
    expect(formatOfContentType(TEXT_CONTENT_TYPE)).toBe('text');
    expect(formatOfContentType('application/json')).toBe('text');
    expect(formatOfContentType(undefined)).toBe('text');
  });
});
