/**
 * The PromQL lexer: a state machine that produces one item per call, on demand, with the
 * same context tracking as Prometheus's lexer (open braces, brackets and parentheses), so
 * that the same inputs yield the same items and the same lexical errors at the same places.
 *
 * Positions are byte offsets into the UTF-8 encoding of the input, as in Prometheus.
 */
import { goQuote, goQuoteRune } from './go-text.js';
import { DECIMAL, EOF, isAlpha, isAlphaNumeric, isDigit, isRuneError, isSpace, Scanner } from './scanner.js';
import { KEYWORD_MAP, type Token } from './token.js';

export class Lexer extends Scanner {
  /** Returns the next item; after EOF or an ERROR item, returns EOF forever. */
  nextToken(): Token {
    for (;;) {
      let tok: Token | undefined;
      switch (this.state) {
        case 'done':
          this.start = this.pos = this.cps.length;
          return this.emit('EOF');
        case 'statements':
          tok = this.lexStatements();
          break;
        case 'braces':
          tok = this.lexInsideBraces();
          break;
        case 'duration':
          tok = this.lexDurationExpr();
          break;
      }
      if (tok !== undefined) return tok;
    }
  }

  private lexStatements(): Token | undefined {
    if (this.braceOpen) {
      this.state = 'braces';
      return undefined;
    }
    if (this.cps[this.pos] === 0x23) return this.lexLineComment();
    const r = this.next();
    switch (true) {
      case r === EOF:
        if (this.parenDepth !== 0) return this.errorf('unclosed left parenthesis');
        if (this.bracketOpen) return this.errorf('unclosed left bracket');
        this.state = 'done';
        return this.emit('EOF');
      case r === 0x2c:
        return this.emit('COMMA');
      case isSpace(r):
        this.skipSpaces();
        return undefined;
      case r === 0x2a:
        return this.emit('MUL');
      case r === 0x2f:
        return this.emit('DIV');
      case r === 0x25:
        return this.emit('MOD');
      case r === 0x2b:
        return this.emit('ADD');
      case r === 0x2d:
        return this.emit('SUB');
      case r === 0x5e:
        return this.emit('POW');
      case r === 0x3d: {
        const t = this.peek();
        if (t === 0x3d) {
          this.next();
          return this.emit('EQLC');
        }
        if (t === 0x7e) return this.errorf(`unexpected character after '=': ${goQuoteRune(t)}`);
        return this.emit('EQL');
      }
      case r === 0x21: {
        const t = this.next();
        if (t !== 0x3d) return this.errorf(`unexpected character after '!': ${goQuoteRune(t)}`);
        return this.emit('NEQ');
      }
      case r === 0x3c || r === 0x3e: {
        // <, <=, </ (trim upper); >, >=, >/ (trim lower).
        const t = this.peek();
        if (t === 0x3d || t === 0x2f) this.next();
        if (r === 0x3c) return this.emit(t === 0x3d ? 'LTE' : t === 0x2f ? 'TRIM_UPPER' : 'LSS');
        return this.emit(t === 0x3d ? 'GTE' : t === 0x2f ? 'TRIM_LOWER' : 'GTR');
      }
      case isDigit(r) || (r === 0x2e && isDigit(this.peek())):
        this.backup();
        return this.lexNumberOrDuration();
      case r === 0x22 || r === 0x27:
        this.stringOpen = r;
        return this.lexString();
      case r === 0x60:
        this.stringOpen = r;
        return this.lexRawString();
      case isAlpha(r) || r === 0x3a:
        if (!this.bracketOpen) {
          this.backup();
          return this.lexKeywordOrIdentifier();
        }
        if (r === 0x3a) {
          if (this.gotColon) return this.errorf(`unexpected colon ${goQuoteRune(r)}`);
          this.gotColon = true;
          return this.emit('COLON');
        }
        if (this.startsDurationKeyword(r)) {
          const kw = this.scanDurationKeyword();
          if (kw !== undefined) return kw;
        }
        return this.errorf(`unexpected character: ${goQuoteRune(r)}, expected ${goQuoteRune(0x3a)}`);
      case r === 0x28:
        this.parenDepth++;
        return this.emit('LEFT_PAREN');
      case r === 0x29: {
        const tok = this.emit('RIGHT_PAREN');
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(`unexpected right parenthesis ${goQuoteRune(r)}`);
        return tok;
      }
      case r === 0x7b:
        this.braceOpen = true;
        this.state = 'braces';
        return this.emit('LEFT_BRACE');
      case r === 0x5b: {
        if (this.bracketOpen) return this.errorf(`unexpected left bracket ${goQuoteRune(r)}`);
        this.gotColon = false;
        const tok = this.emit('LEFT_BRACKET');
        if (isSpace(this.peek())) this.skipSpaces();
        this.bracketOpen = true;
        this.state = 'duration';
        return tok;
      }
      case r === 0x5d:
        if (!this.bracketOpen) return this.errorf(`unexpected right bracket ${goQuoteRune(r)}`);
        this.bracketOpen = false;
        return this.emit('RIGHT_BRACKET');
      case r === 0x40:
        return this.emit('AT');
      default:
        return this.errorf(`unexpected character: ${goQuoteRune(r)}`);
    }
  }

  private lexInsideBraces(): Token | undefined {
    if (this.cps[this.pos] === 0x23) return this.lexLineComment();
    const r = this.next();
    switch (true) {
      case r === EOF:
        return this.errorf('unexpected end of input inside braces');
      case isSpace(r):
        this.skipSpaces();
        return undefined;
      case isAlpha(r):
        while (isAlphaNumeric(this.next())) {
          // Absorb.
        }
        this.backup();
        return this.emit('IDENTIFIER');
      case r === 0x2c:
        return this.emit('COMMA');
      case r === 0x22 || r === 0x27:
        this.stringOpen = r;
        return this.lexString();
      case r === 0x60:
        this.stringOpen = r;
        return this.lexRawString();
      case r === 0x3d:
        if (this.next() === 0x7e) return this.emit('EQL_REGEX');
        this.backup();
        return this.emit('EQL');
      case r === 0x21: {
        const nr = this.next();
        if (nr === 0x7e) return this.emit('NEQ_REGEX');
        if (nr === 0x3d) return this.emit('NEQ');
        return this.errorf(`unexpected character after '!' inside braces: ${goQuoteRune(nr)}`);
      }
      case r === 0x7b:
        return this.errorf(`unexpected left brace ${goQuoteRune(r)}`);
      case r === 0x7d:
        this.braceOpen = false;
        this.state = 'statements';
        return this.emit('RIGHT_BRACE');
      default:
        return this.errorf(`unexpected character inside braces: ${goQuoteRune(r)}`);
    }
  }

  /** Inside `[...]` until the first number: arithmetic on durations. */
  private lexDurationExpr(): Token | undefined {
    const r = this.next();
    switch (true) {
      case r === EOF:
        return this.errorf('unexpected end of input in duration expression');
      case r === 0x5d:
        this.bracketOpen = false;
        this.gotColon = false;
        this.state = 'statements';
        return this.emit('RIGHT_BRACKET');
      case r === 0x3a: {
        const tok = this.emit('COLON');
        if (!this.gotDuration) return this.errorf('unexpected colon before duration in duration expression');
        if (this.gotColon) return this.errorf('unexpected repeated colon in duration expression');
        this.gotColon = true;
        return tok;
      }
      case r === 0x28:
        this.parenDepth++;
        return this.emit('LEFT_PAREN');
      case r === 0x29: {
        const tok = this.emit('RIGHT_PAREN');
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(`unexpected right parenthesis ${goQuoteRune(r)}`);
        return tok;
      }
      case isSpace(r):
        this.skipSpaces();
        return undefined;
      case r === 0x2b:
        return this.emit('ADD');
      case r === 0x2d:
        return this.emit('SUB');
      case r === 0x2a:
        return this.emit('MUL');
      case r === 0x2f:
        return this.emit('DIV');
      case r === 0x25:
        return this.emit('MOD');
      case r === 0x5e:
        return this.emit('POW');
      case r === 0x2c:
        return this.emit('COMMA');
      case this.startsDurationKeyword(r): {
        const kw = this.scanDurationKeyword();
        if (kw !== undefined) return kw;
        return this.errorf(`unexpected character in duration expression: ${goQuoteRune(r)}`);
      }
      case isDigit(r) || (r === 0x2e && isDigit(this.peek())):
        this.backup();
        this.gotDuration = true;
        this.state = 'statements';
        return this.lexNumberOrDuration();
      default:
        return this.errorf(`unexpected character in duration expression: ${goQuoteRune(r)}`);
    }
  }

  private startsDurationKeyword(r: number): boolean {
    // s(tep), m(in_of|ax_of), r(ange), in either case.
    return r === 0x73 || r === 0x53 || r === 0x6d || r === 0x4d || r === 0x72 || r === 0x52;
  }

  /** The first letter has been read; reads the rest of a word allowed inside durations. */
  private scanDurationKeyword(): Token | undefined {
    while (isAlpha(this.next())) {
      // Absorb.
    }
    this.backup();
    const word = this.input.slice(this.unitAt[this.start], this.unitAt[this.pos]).toLowerCase();
    const type = ({ step: 'STEP', range: 'RANGE', min_of: 'MIN_OF', max_of: 'MAX_OF' } as const)[word];
    return type === undefined ? undefined : this.emit(type);
  }

  private lexLineComment(): Token {
    this.pos++;
    let r = this.next();
    while (r !== 0x0a && r !== 0x0d && r !== EOF) r = this.next();
    this.backup();
    return this.emit('COMMENT');
  }

  private lexNumberOrDuration(): Token {
    this.state = this.braceOpen ? 'braces' : 'statements';
    if (this.scanNumber()) return this.emit('NUMBER');
    if (this.acceptRemainingDuration()) {
      this.backup();
      return this.emit('DURATION');
    }
    const text = this.input.slice(this.unitAt[this.start], this.unitAt[this.pos]);
    return this.errorf(`bad number or duration syntax: ${goQuote(text)}`);
  }

  private lexKeywordOrIdentifier(): Token {
    let r = this.next();
    while (isAlphaNumeric(r) || r === 0x3a) r = this.next();
    this.backup();
    const word = this.input.slice(this.unitAt[this.start], this.unitAt[this.pos]);
    const kw = KEYWORD_MAP.get(word.toLowerCase());
    if (kw !== undefined) {
      // fill* are keywords only when a '(' follows, so metrics may keep those names.
      if ((kw === 'FILL' || kw === 'FILL_LEFT' || kw === 'FILL_RIGHT') && !this.followedByLeftParen()) {
        return this.emit('IDENTIFIER');
      }
      return this.emit(kw);
    }
    return this.emit(word.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER');
  }

  private lexString(): Token {
    for (;;) {
      const r = this.next();
      if (r === 0x5c) {
        const err = this.lexEscape();
        if (err !== undefined) return err;
        continue;
      }
      if (r !== EOF && isRuneError(r)) return this.errorf('invalid UTF-8 rune');
      if (r === EOF || r === 0x0a) return this.errorf('unterminated quoted string');
      if (r === this.stringOpen) break;
    }
    this.state = this.braceOpen ? 'braces' : 'statements';
    return this.emit('STRING');
  }

  private lexRawString(): Token {
    for (;;) {
      const r = this.next();
      if (r !== EOF && isRuneError(r)) return this.errorf('invalid UTF-8 rune');
      if (r === EOF) return this.errorf('unterminated raw string');
      if (r === this.stringOpen) break;
    }
    this.state = this.braceOpen ? 'braces' : 'statements';
    return this.emit('STRING');
  }
}
