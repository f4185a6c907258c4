/**
 * What may follow an expression: `[range]`, `[range:step]`, `offset d`, `@ t`,
 * `@ start()`, `@ end()`, `anchored`, `smoothed`. Any order, any number; misplaced ones are
 * reported with Prometheus's messages.
 */
import type { DurationExpr, DurationNode, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './ast.js';
import { formatFixed, goRound } from './go-text.js';
import { numberLiteral, parseDurationExpr, parseOffsetDuration, positiveDuration, secondsToMs } from './parse-duration.js';
import type { ParserCore } from './parser-core.js';
import type { Token } from './token.js';

const NOT_SELECTOR = 'instant vector selector or range vector selector or a subquery';

function durationFields(d: DurationNode): { ms: number; expr: DurationExpr | null } {
  return d.type === 'NumberLiteral' ? { ms: secondsToMs(d.value), expr: null } : { ms: 0, expr: d };
}

function matrixOrSubquery(p: ParserCore, e: Expr, lb: Token): Expr {
  const range = p.inContext('subquery or range selector', 'number, duration, step(), or range()', () =>
    positiveDuration(p, parseDurationExpr(p)),
  );
  const r = durationFields(range);
  const sep = p.inContext('subquery or range', '":" or "]"', () => {
    if (!p.is('RIGHT_BRACKET', 'COLON')) p.unexpected();
    return p.next();
  });
  if (sep.type === 'RIGHT_BRACKET') {
    let err = '';
    if (e.type !== 'VectorSelector') err = 'ranges only allowed for vector selectors';
    else if (e.originalOffset !== 0 || e.originalOffsetExpr !== null) err = 'no offset modifiers allowed before range';
    else if (e.timestamp !== null || e.startOrEnd !== null) err = 'no @ modifiers allowed before range';
    if (err !== '') p.addError({ start: lb.pos, end: sep.end }, err);
    const m: MatrixSelector = {
      type: 'MatrixSelector',
      vectorSelector: e as VectorSelector,
      range: r.ms,
      rangeExpr: r.expr,
      positionRange: { start: e.positionRange.start, end: sep.end },
    };
    return p.track(m, e, r.expr);
  }
  const step = p.inContext('subquery selector', 'number, duration, step(), range(), or "]"', () =>
    p.is('RIGHT_BRACKET') ? null : positiveDuration(p, parseDurationExpr(p)),
  );
  const rb = p.inContext('subquery selector', '"]"', () => p.expect('RIGHT_BRACKET'));
  const s = step === null ? { ms: 0, expr: null } : durationFields(step);
  const sq: SubqueryExpr = {
    type: 'SubqueryExpr',
    expr: e,
    range: r.ms,
    rangeExpr: r.expr,
    step: s.ms,
    stepExpr: s.expr,
    originalOffset: 0,
    originalOffsetExpr: null,
    timestamp: null,
    startOrEnd: null,
    positionRange: { start: e.positionRange.start, end: rb.end },
  };
  return p.track(sq, e, r.expr, s.expr);
}

/** The node that holds offset and @ for e, or undefined after reporting why there is none. */
function modifierTarget(p: ParserCore, e: Expr, what: string): VectorSelector | SubqueryExpr | undefined {
  switch (e.type) {
    case 'VectorSelector':
    case 'SubqueryExpr':
      return e;
    case 'MatrixSelector':
      if (e.vectorSelector.type === 'VectorSelector') return e.vectorSelector;
      p.addError(e.positionRange, 'ranges only allowed for vector selectors');
      return undefined;
    default:
      p.addError(e.positionRange, `${what} modifier must be preceded by an ${NOT_SELECTOR}`);
      return undefined;
  }
}

function parseOffset(p: ParserCore, e: Expr): void {
  p.next();
  const d = p.inContext('offset', 'number, duration, step(), or range()', () => parseOffsetDuration(p));
  const target = modifierTarget(p, e, 'offset');
  if (target === undefined) return;
  if (target.originalOffset !== 0 || target.originalOffsetExpr !== null) {
    p.addError(e.positionRange, 'offset may not be set multiple times');
  } else {
    const f = durationFields(d);
    target.originalOffset = f.ms;
    target.originalOffsetExpr = f.expr;
    if (f.expr !== null) p.track(e, f.expr);
  }
  e.positionRange.end = p.lastConsumedEnd;
}

function atTarget(p: ParserCore, e: Expr): VectorSelector | SubqueryExpr | undefined {
  const target = modifierTarget(p, e, '@');
  if (target === undefined) return undefined;
  if (target.timestamp !== null || target.startOrEnd !== null) {
    p.addError(e.positionRange, '@ <timestamp> may not be set multiple times');
    return undefined;
  }
  return target;
}

function parseAt(p: ParserCore, e: Expr): void {
  p.next();
  type AtArg = { startOrEnd: 'start' | 'end'; end: number } | { seconds: number; end: number };
  const arg = p.inContext('@', 'timestamp', (): AtArg => {
    const t = p.peek();
    if (t.type === 'START' || t.type === 'END') {
      p.next();
      p.expect('LEFT_PAREN');
      const rp = p.expect('RIGHT_PAREN');
      return { startOrEnd: t.type === 'START' ? 'start' : 'end', end: rp.end };
    }
    let sign = 1;
    if (t.type === 'ADD' || t.type === 'SUB') {
      p.next();
      sign = t.type === 'SUB' ? -1 : 1;
    }
    if (!p.is('NUMBER', 'DURATION')) p.unexpected();
    const nl = numberLiteral(p, p.next());
    return { seconds: sign * nl.value, end: nl.positionRange.end };
  });
  if ('seconds' in arg) {
    const ts = arg.seconds;
    if (!Number.isFinite(ts) || ts >= 2 ** 63 || ts <= -(2 ** 63)) {
      p.addError(e.positionRange, `timestamp out of bounds for @ modifier: ${formatFixed(ts, 6)}`);
    }
    const target = atTarget(p, e);
    if (target === undefined) return;
    target.timestamp = goRound(ts * 1000);
  } else {
    const target = atTarget(p, e);
    if (target === undefined) return;
    target.startOrEnd = arg.startOrEnd;
  }
  e.positionRange.end = arg.end;
}

function setExtended(p: ParserCore, e: Expr, kind: 'anchored' | 'smoothed'): void {
  p.next();
  if (!p.options.enableExtendedRangeSelectors) {
    p.addError(e.positionRange, `${kind} modifier is experimental and not enabled`);
    return;
  }
  let vs: VectorSelector;
  switch (e.type) {
    case 'VectorSelector':
      vs = e;
      break;
    case 'MatrixSelector':
      if (e.vectorSelector.type !== 'VectorSelector') return;
      vs = e.vectorSelector;
      break;
    case 'SubqueryExpr':
      p.addError(e.positionRange, `${kind} modifier is not supported for subqueries`);
      return;
    default:
      p.addError(e.positionRange, `${kind} modifier not implemented`);
      return;
  }
  vs[kind] = true;
  if (vs.anchored && vs.smoothed) p.addError(e.positionRange, 'anchored and smoothed modifiers cannot be used together');
}

/** Applies every modifier that follows e. */
export function parseModifiers(p: ParserCore, e: Expr): Expr {
  for (;;) {
    switch (p.peek().type) {
      case 'LEFT_BRACKET':
        e = matrixOrSubquery(p, e, p.next());
        break;
      case 'OFFSET':
        parseOffset(p, e);
        break;
      case 'AT':
        parseAt(p, e);
        break;
      case 'ANCHORED':
      case 'SMOOTHED':
        setExtended(p, e, p.peek().type === 'ANCHORED' ? 'anchored' : 'smoothed');
        break;
      default:
        return e;
    }
  }
}
