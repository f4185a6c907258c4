/**
 * Typed errors with stable codes. Every error edgeprom raises on purpose is an
 * EdgepromError (or subclass) whose `code` is part of the public contract: callers and the
 * HTTP API switch on codes, never on message text.
 */
export class EdgepromError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EdgepromError';
    this.code = code;
  }
}

/** A position in a text input: 1-based line and column. */
export interface TextPosition {
  line: number;
  column: number;
}

/**
 * Bad input to one of our parsers. The message starts with where (`source:line:column`) and
 * says why, so it can be shown to a user as is.
 */
export class ParseError extends EdgepromError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly source: string | undefined;
  constructor(reason: string, pos: TextPosition, source?: string, code = 'ERR_PARSE') {
    const where = `${source ? `${source}:` : ''}${pos.line}:${pos.column}`;
    super(code, `${where}: ${reason}`);
    this.name = 'ParseError';
    this.line = pos.line;
    this.column = pos.column;
    this.reason = reason;
    this.source = source;
  }
}

/** An input exceeded a configured limit (body size, line length, label count, ...). */
export class LimitError extends EdgepromError {
  readonly limit: string;
  readonly max: number;
  constructor(limit: string, max: number, message: string) {
    super('ERR_LIMIT_EXCEEDED', message);
    this.name = 'LimitError';
    this.limit = limit;
    this.max = max;
  }
}
