/**
 * The cursor under the PromQL lexer: code points of the input with their byte and UTF-16
 * offsets, the primitives Prometheus's lexer is written in (next, backup, accept, emit),
 * and the scanners for numbers, durations and escape sequences.
 */
import { goUnicode, utf8Len } from './go-text.js';
import type { Token, TokenType } from './token.js';

export const EOF = -1;

export type State = 'statements' | 'braces' | 'duration' | 'done';

export function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09 || r === 0x0a || r === 0x0d;
}
export function isDigit(r: number): boolean {
  return r >= 0x30 && r <= 0x39;
}
export function isAlpha(r: number): boolean {
  return r === 0x5f || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a);
}
export function isAlphaNumeric(r: number): boolean {
  return isAlpha(r) || isDigit(r);
}
export function digitVal(r: number): number {
  if (r >= 0x30 && r <= 0x39) return r - 0x30;
  if (r >= 0x61 && r <= 0x66) return r - 0x61 + 10;
  if (r >= 0x41 && r <= 0x46) return r - 0x41 + 10;
  return 16;
}
/** What Go's utf8 decoding reports as RuneError: U+FFFD itself, or bytes that are not UTF-8. */
export function isRuneError(r: number): boolean {
  return r === 0xfffd || (r >= 0xd800 && r <= 0xdfff);
}

export const DECIMAL = '0123456789';
export const HEX = '0123456789abcdefABCDEF';

export class Scanner {
  /** Code points of the input. */
  protected readonly cps: number[];
  /** Byte offset of each code point, plus the total length at the end. */
  protected readonly byteAt: number[];
  /** UTF-16 offset of each code point, plus the total length at the end. */
  protected readonly unitAt: number[];
  protected pos = 0;
  protected start = 0;
  protected width = 0;
  protected state: State = 'statements';
  protected parenDepth = 0;
  protected braceOpen = false;
  protected bracketOpen = false;
  protected gotColon = false;
  protected gotDuration = false;
  protected stringOpen = 0;

  constructor(protected readonly input: string) {
    this.cps = [];
    this.byteAt = [];
    this.unitAt = [];
    let b = 0;
    let u = 0;
    for (const ch of input) {
      const cp = ch.codePointAt(0)!;
      this.cps.push(cp);
      this.byteAt.push(b);
      this.unitAt.push(u);
      b += utf8Len(cp);
      u += ch.length;
    }
    this.byteAt.push(b);
    this.unitAt.push(u);
  }

  /** Length of the input in bytes. */
  get byteLength(): number {
    return this.byteAt[this.cps.length]!;
  }

  protected next(): number {
    if (this.pos >= this.cps.length) {
      this.width = 0;
      return EOF;
    }
    this.width = 1;
    return this.cps[this.pos++]!;
  }

  protected backup(): void {
    this.pos -= this.width;
  }

  protected peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  protected accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  protected is(valid: string): boolean {
    const r = this.peek();
    return r !== EOF && valid.includes(String.fromCodePoint(r));
  }

  protected acceptRun(valid: string): void {
    while (this.accept(valid)) {
      // Consume.
    }
  }

  protected emit(type: TokenType): Token {
    const tok: Token = {
      type,
      pos: this.byteAt[this.start]!,
      end: this.byteAt[this.pos]!,
      val: this.input.slice(this.unitAt[this.start], this.unitAt[this.pos]),
    };
    this.start = this.pos;
    return tok;
  }

  protected errorf(message: string): Token {
    this.state = 'done';
    return { type: 'ERROR', pos: this.byteAt[this.start]!, end: this.byteLength, val: message };
  }

  protected ignore(): void {
    this.start = this.pos;
  }

  protected skipSpaces(): void {
    while (isSpace(this.peek())) this.next();
    this.ignore();
  }

  protected acceptRemainingDuration(): boolean {
    if (!this.accept('smhdwy')) return false;
    this.accept('s');
    while (this.accept(DECIMAL)) {
      while (this.accept(DECIMAL)) {
        // Consume.
      }
      if (!this.accept('smhdw')) return false;
      this.accept('s');
    }
    return !isAlphaNumeric(this.next());
  }

  /** Scans the forms of number Prometheus's lexer accepts; the parser validates the value. */
  protected scanNumber(): boolean {
    const initialPos = this.pos;
    let digits = DECIMAL;
    if (this.accept('0') && this.accept('xX')) {
      this.accept('_');
      digits = HEX;
    }
    this.accept('.');
    this.accept(digits);
    let dotConsumed = false;
    let exponentConsumed = false;
    while (this.is(digits + '._eE')) {
      if (this.is('.') && dotConsumed) {
        this.accept('.');
        return false;
      }
      if (this.is('eE') && exponentConsumed) {
        this.accept('eE');
        return false;
      }
      if (this.accept('.')) {
        dotConsumed = true;
        if (this.accept('_.')) return false;
        if (digits === HEX) return false;
        continue;
      }
      if (this.accept('eE')) {
        exponentConsumed = true;
        this.accept('+-');
        if (this.accept('._eE') || this.peek() === EOF) return false;
        continue;
      }
      if (this.accept('_')) {
        if (this.accept('._eE') || this.peek() === EOF) return false;
        continue;
      }
      this.acceptRun(digits);
    }
    if (this.pos === initialPos) return false;
    return !isAlphaNumeric(this.peek());
  }

  /** Validates an escape sequence; the backslash has been read. Returns an ERROR item or nothing. */
  protected lexEscape(): Token | undefined {
    let ch = this.next();
    let n: number;
    let base: number;
    let max: number;
    switch (ch) {
      case 0x61:
      case 0x62:
      case 0x66:
      case 0x6e:
      case 0x72:
      case 0x74:
      case 0x76:
      case 0x5c:
      case this.stringOpen:
        return undefined;
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
        [n, base, max] = [3, 8, 255];
        break;
      case 0x78:
        ch = this.next();
        [n, base, max] = [2, 16, 255];
        break;
      case 0x75:
        ch = this.next();
        [n, base, max] = [4, 16, 0x10ffff];
        break;
      case 0x55:
        ch = this.next();
        [n, base, max] = [8, 16, 0x10ffff];
        break;
      case EOF:
        return this.errorf('escape sequence not terminated');
      default:
        return this.errorf(`unknown escape sequence ${goUnicode(ch)}`);
    }
    let x = 0;
    while (n > 0) {
      const d = ch === EOF ? 16 : digitVal(ch);
      if (d >= base) {
        if (ch === EOF) return this.errorf('escape sequence not terminated');
        return this.errorf(`illegal character ${goUnicode(ch)} in escape sequence`);
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) return this.errorf('escape sequence is an invalid Unicode code point');
    return undefined;
  }

  protected followedByLeftParen(): boolean {
    for (let i = this.pos; i < this.cps.length; i++) {
      if (!isSpace(this.cps[i]!)) return this.cps[i] === 0x28;
    }
    return false;
  }
}
