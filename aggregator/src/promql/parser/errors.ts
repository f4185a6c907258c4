/**
 * The one error the parser throws. Its message is exactly Prometheus's
 * (`1:14: parse error: unexpected <op:+>`): line and column of the first error, in bytes of
 * the UTF-8 query as Prometheus counts them. All errors found are kept in `errors`, in the
 * order Prometheus reports them.
 */
import { ParseError } from '@edgeprom/shared';
import type { PositionRange } from './ast.js';
import { utf8Len } from './go-text.js';

export interface ParseErrorDetail {
  positionRange: PositionRange;
  /** The reason alone, without position (`unexpected end of input`). */
  message: string;
}

/** Line and column (1-based, column in bytes) of a byte offset, as Prometheus's StartPosInput. */
export function positionOf(query: string, pos: number): { line: number; column: number } | string {
  if (query === '') return 'unknown position';
  let bytes = 0;
  let line = 1;
  let lastLineBreak = -1;
  for (const ch of query) {
    if (bytes >= pos) break;
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0a) {
      lastLineBreak = bytes;
      line++;
    }
    bytes += utf8Len(cp);
  }
  if (pos < 0 || pos > bytes) return 'invalid position';
  return { line, column: pos - lastLineBreak };
}

/** Prometheus's ParseErr.Error() for one error. */
export function formatParseError(query: string, detail: ParseErrorDetail): string {
  const where = positionOf(query, detail.positionRange.start);
  const at = typeof where === 'string' ? where : `${where.line}:${where.column}`;
  return `${at}: parse error: ${detail.message}`;
}

export class PromQLParseError extends ParseError {
  /** Where the first error is, in bytes of the query. */
  readonly positionRange: PositionRange;
  readonly errors: readonly ParseErrorDetail[];
  readonly query: string;

  constructor(query: string, errors: readonly ParseErrorDetail[], cause?: unknown) {
    const first = errors[0] ?? { positionRange: { start: 0, end: 0 }, message: 'error contains no error message' };
    const where = positionOf(query, first.positionRange.start);
    const pos = typeof where === 'string' ? { line: 0, column: 0 } : where;
    super(`parse error: ${first.message}`, pos, undefined, 'ERR_PROMQL_PARSE');
    this.name = 'PromQLParseError';
    // Prometheus says "unknown position" rather than a line for an empty query.
    this.message = formatParseError(query, first);
    this.positionRange = first.positionRange;
    this.errors = errors;
    this.query = query;
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause });
  }
}
