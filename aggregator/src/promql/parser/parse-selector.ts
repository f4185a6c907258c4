/**
 * Vector selectors: `name`, `name{matchers}`, `{matchers}`, with quoted names
 * (`{"metric.name", "label.name"="v"}`).
 */
import type { LabelMatcher, MatchType, VectorSelector } from './ast.js';
import { goQuote } from './go-text.js';
import { regexError, unquote } from './literals.js';
import { type ParserCore, rangeOf } from './parser-core.js';
import type { Token, TokenType } from './token.js';

const MATCH_OPS: Partial<Record<TokenType, MatchType>> = {
  EQL: '=',
  NEQ: '!=',
  EQL_REGEX: '=~',
  NEQ_REGEX: '!~',
};

/** The value of a STRING item; records Prometheus's error if it cannot be unquoted. */
export function unquoteToken(p: ParserCore, tok: Token): string {
  try {
    return unquote(tok.val);
  } catch (e) {
    p.addError(rangeOf(tok), `error unquoting string ${goQuote(tok.val)}: ${(e as Error).message}`);
    return '';
  }
}

function labelMatcher(p: ParserCore, name: string, namePos: number, op: Token, value: Token): LabelMatcher {
  const type = MATCH_OPS[op.type]!;
  const m: LabelMatcher = { type, name, value: unquoteToken(p, value) };
  if (type === '=~' || type === '!~') {
    const err = regexError(m.value);
    if (err !== undefined) p.addError({ start: namePos, end: value.end }, err);
  }
  return m;
}

/** One matcher; the lookahead is its first item. */
function parseMatcher(p: ParserCore): LabelMatcher {
  const first = p.inContext('label matching', 'identifier or "}"', () => {
    if (!p.is('IDENTIFIER', 'STRING')) p.unexpected();
    return p.next();
  });
  const name = first.type === 'STRING' ? unquoteToken(p, first) : first.val;
  if (first.type === 'STRING' && MATCH_OPS[p.peek().type] === undefined) {
    // A quoted name alone is the metric name.
    return { type: '=', name: '__name__', value: name };
  }
  const op = p.inContext('label matching', 'label matching operator', () => {
    if (MATCH_OPS[p.peek().type] === undefined) p.unexpected();
    return p.next();
  });
  const value = p.inContext('label matching', 'string', () => p.expect('STRING'));
  return labelMatcher(p, name, first.pos, op, value);
}

/** The matchers after `{`, through the closing `}`, which is returned. */
function parseMatchers(p: ParserCore, matchers: LabelMatcher[]): Token {
  if (p.is('RIGHT_BRACE')) return p.next();
  for (;;) {
    matchers.push(parseMatcher(p));
    const sep = p.inContext('label matching', '"," or "}"', () => {
      if (!p.is('COMMA', 'RIGHT_BRACE')) p.unexpected();
      return p.next();
    });
    if (sep.type === 'RIGHT_BRACE') return sep;
    if (p.is('RIGHT_BRACE')) return p.next();
  }
}

/**
 * A vector selector; `nameTok` is the metric name already consumed, or null when the
 * lookahead is `{`. A name given outside the braces becomes the last matcher.
 */
export function parseVectorSelector(p: ParserCore, nameTok: Token | null): VectorSelector {
  const matchers: LabelMatcher[] = [];
  let start = nameTok?.pos ?? 0;
  let end = nameTok?.end ?? 0;
  if (p.is('LEFT_BRACE')) {
    const lb = p.next();
    if (nameTok === null) start = lb.pos;
    end = parseMatchers(p, matchers).end;
  }
  const name = nameTok?.val ?? '';
  if (name !== '') matchers.push({ type: '=', name: '__name__', value: name });
  return p.track({
    type: 'VectorSelector',
    name,
    matchers,
    originalOffset: 0,
    originalOffsetExpr: null,
    timestamp: null,
    startOrEnd: null,
    anchored: false,
    smoothed: false,
    bypassEmptyMatcherCheck: false,
    positionRange: { start, end },
  });
}
