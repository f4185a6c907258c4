/**
 * Durations and the modifiers that take them: range selectors and subqueries (`[5m]`,
 * `[1h:5m]`, `[1h:]`), `offset`, and duration arithmetic (`[5m * 2]`, `offset -step()`,
 * `min_of(step(), 1h)`).
 */
import type { DurationExpr, DurationNode, DurationOp, NumberLiteral, PositionRange } from './ast.js';
import { nsToSeconds, parseDurationNs } from './duration.js';
import { goRound } from './go-text.js';
import { parseNumber } from './literals.js';
import { type ParserCore, rangeOf } from './parser-core.js';
import type { Token, TokenType } from './token.js';

/** Largest duration in seconds that fits Go's time.Duration. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

/** Seconds (a NumberLiteral's value) to milliseconds, rounded to whole nanoseconds as Go does. */
export function secondsToMs(seconds: number): number {
  return goRound(seconds * 1e9) / 1e6;
}

/** A NUMBER or DURATION item as a literal; durations are in seconds. */
export function numberLiteral(p: ParserCore, tok: Token): NumberLiteral {
  let value: number;
  if (tok.type === 'DURATION') {
    try {
      value = nsToSeconds(parseDurationNs(tok.val));
    } catch (e) {
      p.addError(rangeOf(tok), (e as Error).message);
      value = 0;
    }
  } else {
    const n = parseNumber(tok.val);
    if (typeof n === 'number') {
      value = n;
    } else {
      p.addError(rangeOf(tok), n.error);
      value = Infinity;
    }
  }
  return p.track({ type: 'NumberLiteral', value, duration: tok.type === 'DURATION', positionRange: rangeOf(tok) });
}

function zero(p: ParserCore): NumberLiteral {
  return p.track({ type: 'NumberLiteral', value: 0, duration: false, positionRange: { start: 0, end: 0 } });
}

function outOfRange(v: number): boolean {
  return v > MAX_DURATION_SECONDS || v < -MAX_DURATION_SECONDS;
}

/** A literal inside a duration: must fit a Go duration. */
function checkedLiteral(p: ParserCore, nl: NumberLiteral, errRange: PositionRange): NumberLiteral {
  if (outOfRange(nl.value)) {
    p.addError(errRange, 'duration out of range');
    return zero(p);
  }
  return nl;
}

function experimental(p: ParserCore, node: DurationNode): void {
  if (!p.options.experimentalDurationExpr) {
    p.addError(node.positionRange, 'experimental duration expression is not enabled');
  }
}

function durationExpr(
  p: ParserCore,
  op: DurationOp,
  lhs: DurationNode | null,
  rhs: DurationNode | null,
  positionRange: PositionRange,
  wrapped = false,
): DurationExpr {
  return p.track({ type: 'DurationExpr', op, lhs, rhs, wrapped, positionRange }, lhs, rhs);
}

const BINARY: Partial<Record<TokenType, { op: DurationOp; prec: number }>> = {
  ADD: { op: '+', prec: 1 },
  SUB: { op: '-', prec: 1 },
  MUL: { op: '*', prec: 2 },
  DIV: { op: '/', prec: 2 },
  MOD: { op: '%', prec: 2 },
  POW: { op: '^', prec: 3 },
};

/** min_of / max_of: keywords inside brackets, plain identifiers after `offset`. */
function minMaxOp(tok: Token): 'min_of' | 'max_of' | undefined {
  if (tok.type === 'MIN_OF' || tok.type === 'MAX_OF') return tok.type === 'MIN_OF' ? 'min_of' : 'max_of';
  if (tok.type === 'IDENTIFIER') {
    const v = tok.val.toLowerCase();
    if (v === 'min_of' || v === 'max_of') return v;
  }
  return undefined;
}

/** `step()` or `range()`; the lookahead is the keyword. */
function stepOrRange(p: ParserCore): DurationExpr {
  const kw = p.next();
  p.expect('LEFT_PAREN');
  const rp = p.expect('RIGHT_PAREN');
  const de = durationExpr(p, kw.type === 'STEP' ? 'step' : 'range', null, null, { start: kw.pos, end: rp.end });
  experimental(p, de);
  return de;
}

/** `min_of(a, b)` / `max_of(a, b)`; the lookahead is the name. */
function minMax(p: ParserCore): { de: DurationExpr; secondArgEnd: number } {
  const kw = p.next();
  const op = minMaxOp(kw)!;
  p.expect('LEFT_PAREN');
  const a = parseDurationExpr(p);
  p.expect('COMMA');
  const b = parseDurationExpr(p);
  const rp = p.expect('RIGHT_PAREN');
  const de = durationExpr(p, op, a, b, { start: kw.pos, end: rp.end });
  experimental(p, de);
  return { de, secondArgEnd: b.positionRange.end };
}

/** `( expr )` inside a duration: marks it as parenthesised (a bare number gets a unary-plus wrapper). */
function wrap(p: ParserCore, inner: DurationNode, range: PositionRange): DurationExpr {
  if (inner.type === 'DurationExpr') {
    inner.wrapped = true;
    return inner;
  }
  return durationExpr(p, '+', null, inner, range, true);
}

function parenthesised(p: ParserCore): { inner: DurationNode; range: PositionRange } {
  const lp = p.expect('LEFT_PAREN');
  const inner = parseDurationExpr(p);
  const rp = p.expect('RIGHT_PAREN');
  experimental(p, inner);
  return { inner, range: { start: lp.pos, end: rp.end } };
}

function parsePrimary(p: ParserCore): DurationNode {
  const t = p.peek();
  switch (t.type) {
    case 'NUMBER':
    case 'DURATION': {
      const nl = numberLiteral(p, p.next());
      return checkedLiteral(p, nl, nl.positionRange);
    }
    case 'STEP':
    case 'RANGE':
      return stepOrRange(p);
    case 'LEFT_PAREN': {
      const { inner, range } = parenthesised(p);
      return wrap(p, inner, range);
    }
    default:
      if (minMaxOp(t) !== undefined) return minMax(p).de;
      return p.unexpected();
  }
}

function parseUnary(p: ParserCore): DurationNode {
  const t = p.peek();
  if (t.type !== 'ADD' && t.type !== 'SUB') return parsePrimary(p);
  const op = p.next();
  const operand = parseBinary(p, BINARY.POW!.prec);
  if (operand.type === 'NumberLiteral') {
    if (op.type === 'SUB') operand.value = -operand.value;
    if (outOfRange(operand.value)) {
      p.addError(rangeOf(op), 'duration out of range');
      return zero(p);
    }
    operand.positionRange.start = op.pos;
    return operand;
  }
  if (op.type === 'SUB') {
    return durationExpr(p, '-', null, operand, { start: op.pos, end: operand.positionRange.end });
  }
  return operand;
}

function parseBinary(p: ParserCore, minPrec: number): DurationNode {
  p.enter();
  let lhs = parseUnary(p);
  for (;;) {
    const opTok = p.peek();
    const info = BINARY[opTok.type];
    if (info === undefined || info.prec < minPrec) break;
    p.next();
    const rhs = parseBinary(p, info.op === '^' ? info.prec : info.prec + 1);
    experimental(p, lhs);
    if ((info.op === '/' || info.op === '%') && rhs.type === 'NumberLiteral' && rhs.value === 0) {
      p.addError(rangeOf(opTok), info.op === '/' ? 'division by zero' : 'modulo by zero');
      lhs = zero(p);
      continue;
    }
    lhs = durationExpr(p, info.op, lhs, rhs, { start: lhs.positionRange.start, end: rhs.positionRange.end });
  }
  p.leave();
  return lhs;
}

/** A full duration expression (inside brackets, or inside parentheses after `offset`). */
export function parseDurationExpr(p: ParserCore): DurationNode {
  return parseBinary(p, 1);
}

/** A range or step: a literal must be positive. */
export function positiveDuration(p: ParserCore, d: DurationNode): DurationNode {
  if (d.type === 'NumberLiteral' && !(d.value > 0) && !Number.isNaN(d.value)) {
    p.addError(d.positionRange, 'duration must be greater than 0');
    return zero(p);
  }
  return d;
}

/**
 * What may follow `offset`: a (signed) number or duration, (signed) step(), range(),
 * min_of(), max_of(), or a parenthesised duration expression. An operator after a plain
 * number is not part of the offset: `foo offset 5m - 1` subtracts 1 from `foo offset 5m`.
 */
export function parseOffsetDuration(p: ParserCore): DurationNode {
  const t = p.peek();
  if (t.type === 'NUMBER' || t.type === 'DURATION') {
    const nl = numberLiteral(p, p.next());
    return checkedLiteral(p, nl, nl.positionRange);
  }
  if (t.type === 'STEP' || t.type === 'RANGE') return stepOrRange(p);
  if (minMaxOp(t) !== undefined) return minMax(p).de;
  if (t.type === 'LEFT_PAREN') {
    const { inner, range } = parenthesised(p);
    return wrap(p, inner, range);
  }
  if (t.type !== 'ADD' && t.type !== 'SUB') return p.unexpected();
  const op = p.next();
  const sign: DurationOp = op.type === 'SUB' ? '-' : '+';
  const t2 = p.peek();
  if (t2.type === 'NUMBER' || t2.type === 'DURATION') {
    const nl = numberLiteral(p, p.next());
    if (op.type === 'SUB') nl.value = -nl.value;
    const checked = checkedLiteral(p, nl, rangeOf(op));
    if (checked === nl) nl.positionRange.start = op.pos;
    return checked;
  }
  if (t2.type === 'STEP' || t2.type === 'RANGE') {
    const sr = stepOrRange(p);
    return durationExpr(p, sign, null, sr, { start: op.pos, end: sr.positionRange.end });
  }
  if (minMaxOp(t2) !== undefined) {
    // Prometheus ends both nodes at the second argument here, not at the parenthesis.
    const { de, secondArgEnd } = minMax(p);
    de.positionRange.end = secondArgEnd;
    return durationExpr(p, sign, null, de, { start: op.pos, end: secondArgEnd });
  }
  if (t2.type === 'LEFT_PAREN') {
    const { inner } = parenthesised(p);
    const wrapped = wrap(p, inner, { ...inner.positionRange });
    if (op.type === 'SUB') return durationExpr(p, '-', null, wrapped, { start: op.pos, end: wrapped.positionRange.end });
    return wrapped;
  }
  return p.unexpected();
}
