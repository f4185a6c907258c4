/**
 * What every part of the parser shares: the item stream with one item of lookahead, the
 * list of errors, and the "error context" stack.
 *
 * Prometheus's yacc grammar reports a syntax error through the innermost rule that can
 * absorb an `error` token, which gives messages like
 * `unexpected "}" in label matching, expected string`. The recursive-descent parser pushes a
 * context wherever the grammar has such a rule and pops it when that rule is complete, so
 * the same input yields the same message.
 */
import type { DurationExpr, Expr, PositionRange } from './ast.js';
import type { ParseErrorDetail } from './errors.js';
import { FUNCTIONS, type FunctionDef } from './functions.js';
import { Lexer } from './lexer.js';
import { describeToken, type Token, type TokenType } from './token.js';

export interface ParseOptions {
  /** Experimental functions, and the limitk / limit_ratio aggregations. */
  enableExperimentalFunctions?: boolean;
  /** Arithmetic in durations: `[5m * 2]`, `offset (1h + step())`, step(), range(), min_of(), max_of(). */
  experimentalDurationExpr?: boolean;
  /** The `anchored` and `smoothed` modifiers of selectors. */
  enableExtendedRangeSelectors?: boolean;
  /** `fill(v)`, `fill_left(v)`, `fill_right(v)` on binary operators. */
  enableBinopFillModifiers?: boolean;
  /** The functions accepted; replaces the default set (FUNCTIONS). */
  functions?: ReadonlyMap<string, FunctionDef>;
  /**
   * Deepest nesting of the syntax tree accepted (default 1000). Deeper queries fail with a
   * parse error rather than exhausting the stack here or in whatever walks the tree later.
   */
  maxDepth?: number;
}

/** Thrown inside the parser to stop at the first syntax error; never escapes parse(). */
export class SyntaxAbort {
  readonly abort = true;
}

interface ErrorContext {
  context: string;
  expected: string;
}

export const DEFAULT_MAX_DEPTH = 1000;

export class ParserCore {
  readonly errors: ParseErrorDetail[] = [];
  readonly functions: ReadonlyMap<string, FunctionDef>;
  readonly maxDepth: number;
  private readonly lexer: Lexer;
  private lookahead: Token | undefined;
  /** End of the last item consumed. */
  lastConsumedEnd = 0;
  private readonly contexts: ErrorContext[] = [];
  private depth = 0;
  private readonly heights = new WeakMap<object, number>();
  private bytes: Uint8Array | undefined;

  constructor(
    readonly input: string,
    readonly options: ParseOptions,
  ) {
    this.lexer = new Lexer(input);
    this.functions = options.functions ?? FUNCTIONS;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** The next item, without consuming it. Comments are skipped; a lexical error is recorded once. */
  peek(): Token {
    if (this.lookahead === undefined) {
      let tok = this.lexer.nextToken();
      while (tok.type === 'COMMENT') tok = this.lexer.nextToken();
      if (tok.type === 'ERROR') this.addError({ start: tok.pos, end: tok.end }, tok.val);
      this.lookahead = tok;
    }
    return this.lookahead;
  }

  is(...types: TokenType[]): boolean {
    return types.includes(this.peek().type);
  }

  /** Consumes and returns the next item. */
  next(): Token {
    const tok = this.peek();
    // After EOF or a lexical error the lexer yields EOF forever; keep the item so errors point at it.
    if (tok.type !== 'EOF' && tok.type !== 'ERROR') {
      this.lookahead = undefined;
      this.lastConsumedEnd = tok.end;
    }
    return tok;
  }

  /** Consumes an item of the given type, or fails with a syntax error. */
  expect(type: TokenType): Token {
    if (this.peek().type !== type) this.unexpected();
    return this.next();
  }

  addError(positionRange: PositionRange, message: string): void {
    this.errors.push({ positionRange: { start: positionRange.start, end: positionRange.end }, message });
  }

  pushContext(context: string, expected: string): void {
    this.contexts.push({ context, expected });
  }

  popContext(): void {
    this.contexts.pop();
  }

  /** Parses with an error context active, as the grammar rule that has an `error` alternative. */
  inContext<T>(context: string, expected: string, parse: () => T): T {
    this.pushContext(context, expected);
    const result = parse();
    this.popContext();
    return result;
  }

  /** Reports the lookahead item as unexpected (unless the lexer already reported an error) and stops. */
  unexpected(): never {
    const tok = this.peek();
    if (tok.type !== 'ERROR') {
      const ctx = this.contexts[this.contexts.length - 1];
      let msg = `unexpected ${describeToken(tok)}`;
      if (ctx !== undefined && ctx.context !== '') msg += ` in ${ctx.context}`;
      if (ctx !== undefined && ctx.expected !== '') msg += `, expected ${ctx.expected}`;
      this.addError({ start: tok.pos, end: tok.end }, msg);
    }
    throw new SyntaxAbort();
  }

  /** Guards recursion: call around anything that parses a nested expression. */
  enter(): void {
    if (++this.depth > this.maxDepth) this.tooDeep({ start: this.peek().pos, end: this.peek().end });
  }

  leave(): void {
    this.depth--;
  }

  private tooDeep(range: PositionRange): never {
    this.addError(range, `expression nesting too deep (more than ${this.maxDepth} levels)`);
    throw new SyntaxAbort();
  }

  /** Records a node's height in the tree (again, when it gains children), failing past maxDepth. */
  track<T extends Expr | DurationExpr>(node: T, ...kids: ReadonlyArray<Expr | DurationExpr | null>): T {
    let h = (this.heights.get(node) ?? 1) - 1;
    for (const k of kids) if (k !== null) h = Math.max(h, this.heights.get(k) ?? 1);
    this.heights.set(node, h + 1);
    if (h + 1 > this.maxDepth) this.tooDeep(node.positionRange);
    return node;
  }

  /** The byte at a byte offset of the UTF-8 input. */
  byteAt(pos: number): number {
    this.bytes ??= new TextEncoder().encode(this.input);
    return this.bytes[pos] ?? 0;
  }

  get inputByteLength(): number {
    return this.lexer.byteLength;
  }
}

export function rangeOf(tok: Token): PositionRange {
  return { start: tok.pos, end: tok.end };
}
