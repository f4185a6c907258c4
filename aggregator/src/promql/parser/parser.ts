/**
 * The PromQL parser: a hand-written precedence-climbing parser for Prometheus 3's grammar.
 *
 *   parseExpr('sum by (job) (rate(http_requests_total[5m]))') -> AggregateExpr
 *
 * Pure: a string in, a typed syntax tree out (see ast.ts), or a PromQLParseError whose
 * message is exactly Prometheus's. It never throws anything else, whatever the input.
 *
 * Binary operators, lowest precedence first: `or`; `and` `unless`; comparisons; `+` `-`;
 * `*` `/` `%` `atan2`; `^` (right-associative). Unary minus binds like `*`, so `-a^b` is
 * `-(a^b)` and `-a*b` is `(-a)*b`. Modifiers (`[..]`, offset, @) bind tightest.
 */
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  LabelMatcher,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import { Checker } from './check.js';
import { PromQLParseError } from './errors.js';
import type { FunctionDef } from './functions.js';
import { goQuote } from './go-text.js';
import { numberLiteral } from './parse-duration.js';
import { parseModifiers } from './parse-modifiers.js';
import { parseVectorSelector, unquoteToken } from './parse-selector.js';
import { type ParseOptions, ParserCore, rangeOf, SyntaxAbort } from './parser-core.js';
import { AGGREGATORS, type Token, type TokenType } from './token.js';

const BINARY_OPS: Partial<Record<TokenType, { op: BinaryOp; prec: number }>> = {
  LOR: { op: 'or', prec: 1 },
  LAND: { op: 'and', prec: 2 },
  LUNLESS: { op: 'unless', prec: 2 },
  EQLC: { op: '==', prec: 3 },
  NEQ: { op: '!=', prec: 3 },
  LTE: { op: '<=', prec: 3 },
  LSS: { op: '<', prec: 3 },
  GTE: { op: '>=', prec: 3 },
  GTR: { op: '>', prec: 3 },
  ADD: { op: '+', prec: 4 },
  SUB: { op: '-', prec: 4 },
  MUL: { op: '*', prec: 5 },
  DIV: { op: '/', prec: 5 },
  MOD: { op: '%', prec: 5 },
  ATAN2: { op: 'atan2', prec: 5 },
  TRIM_UPPER: { op: '</', prec: 5 },
  TRIM_LOWER: { op: '>/', prec: 5 },
  POW: { op: '^', prec: 6 },
};
const PREC_POW = 6;

/** Keywords that may also name a metric (Prometheus's metric_identifier). */
const METRIC_KEYWORDS = new Set<TokenType>([
  'BY',
  'WITHOUT',
  'LAND',
  'LOR',
  'LUNLESS',
  'OFFSET',
  'ANCHORED',
  'SMOOTHED',
]);

/** Items that may be a label name in a grouping list (Prometheus's maybe_label). */
const LABEL_ITEMS = new Set<TokenType>([
  ...AGGREGATORS,
  'IDENTIFIER',
  'METRIC_IDENTIFIER',
  'BOOL',
  'BY',
  'GROUP_LEFT',
  'GROUP_RIGHT',
  'IGNORING',
  'LAND',
  'LOR',
  'LUNLESS',
  'OFFSET',
  'ON',
  'START',
  'END',
  'ATAN2',
  'STEP',
  'RANGE',
  'ANCHORED',
  'SMOOTHED',
]);

const PARAM_AGGREGATORS = new Set<AggregateOp>(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);
const EXPERIMENTAL_AGGREGATORS = new Set<AggregateOp>(['limitk', 'limit_ratio']);

function isValidUtf8Label(s: string): boolean {
  return s !== '' && !/[\ud800-\udfff]/u.test(s);
}

class ExprParser extends ParserCore {
  /** A lone selector, as the `match[]` parameters of the HTTP API are. */
  parseSelectorOnly(): VectorSelector {
    const t = this.peek();
    let vs: VectorSelector;
    if (t.type === 'LEFT_BRACE') vs = parseVectorSelector(this, null);
    else if (this.isMetricName(t.type)) vs = parseVectorSelector(this, this.next());
    else this.unexpected();
    if (this.peek().type !== 'EOF') this.unexpected();
    return vs;
  }

  private isMetricName(t: TokenType): boolean {
    return (
      ['IDENTIFIER', 'METRIC_IDENTIFIER', 'START', 'END', 'STEP', 'RANGE'].includes(t) ||
      AGGREGATORS.has(t) ||
      METRIC_KEYWORDS.has(t)
    );
  }

  parseTop(): Expr {
    if (this.peek().type === 'EOF') {
      this.addError({ start: 0, end: 0 }, 'no expression found in input');
      throw new SyntaxAbort();
    }
    const e = this.parseExpr();
    if (this.peek().type !== 'EOF') this.unexpected();
    return e;
  }

  parseExpr(): Expr {
    return this.parseBinary(1);
  }

  private parseBinary(minPrec: number): Expr {
    this.enter();
    let lhs = this.parseUnary();
    for (;;) {
      const info = BINARY_OPS[this.peek().type];
      if (info === undefined || info.prec < minPrec) break;
      this.next();
      const matching = this.parseBinModifiers();
      const rhs = this.parseBinary(info.op === '^' ? info.prec : info.prec + 1);
      lhs = this.binary(lhs, info.op, matching, rhs);
    }
    this.leave();
    return lhs;
  }

  private binary(lhs: Expr, op: BinaryOp, mods: { returnBool: boolean; vm: VectorMatching }, rhs: Expr): BinaryExpr {
    const node: BinaryExpr = {
      type: 'BinaryExpr',
      op,
      lhs,
      rhs,
      returnBool: mods.returnBool,
      vectorMatching: mods.vm,
      positionRange: { start: lhs.positionRange.start, end: rhs.positionRange.end },
    };
    const fill = mods.vm.fillValues;
    if (!this.options.enableBinopFillModifiers && (fill.lhs !== null || fill.rhs !== null)) {
      this.addError(node.positionRange, 'binop fill modifiers are experimental and not enabled');
    }
    return this.track(node, lhs, rhs);
  }

  /** `bool`, `on(..)`/`ignoring(..)`, `group_left(..)`/`group_right(..)`, `fill*(v)`, in that order. */
  private parseBinModifiers(): { returnBool: boolean; vm: VectorMatching } {
    const vm: VectorMatching = {
      card: 'one-to-one',
      matchingLabels: [],
      on: false,
      include: [],
      fillValues: { lhs: null, rhs: null },
    };
    let returnBool = false;
    if (this.is('BOOL')) {
      this.next();
      returnBool = true;
    }
    if (this.is('ON', 'IGNORING')) {
      vm.on = this.next().type === 'ON';
      vm.matchingLabels = this.parseGroupingLabels().labels;
      if (this.is('GROUP_LEFT', 'GROUP_RIGHT')) {
        vm.card = this.next().type === 'GROUP_LEFT' ? 'many-to-one' : 'one-to-many';
        if (this.is('LEFT_PAREN')) vm.include = this.parseGroupingLabels().labels;
      }
    }
    if (this.is('FILL')) {
      this.next();
      vm.fillValues.lhs = vm.fillValues.rhs = this.parseFillValue();
    } else if (this.is('FILL_LEFT', 'FILL_RIGHT')) {
      const first = this.next().type;
      const v = this.parseFillValue();
      if (first === 'FILL_LEFT') vm.fillValues.lhs = v;
      else vm.fillValues.rhs = v;
      const other: TokenType = first === 'FILL_LEFT' ? 'FILL_RIGHT' : 'FILL_LEFT';
      if (this.is(other)) {
        this.next();
        const w = this.parseFillValue();
        if (other === 'FILL_LEFT') vm.fillValues.lhs = w;
        else vm.fillValues.rhs = w;
      }
    }
    return { returnBool, vm };
  }

  /** `( [+|-] number )` */
  private parseFillValue(): number {
    this.expect('LEFT_PAREN');
    let sign = 1;
    if (this.is('ADD', 'SUB')) sign = this.next().type === 'SUB' ? -1 : 1;
    if (!this.is('NUMBER', 'DURATION')) this.unexpected();
    const v = numberLiteral(this, this.next()).value;
    this.expect('RIGHT_PAREN');
    return sign * v;
  }

  /** `(label, ...)`, labels optionally quoted, trailing comma allowed. Returns the closing `)`. */
  private parseGroupingLabels(): { labels: string[]; end: number } {
    this.inContext('grouping opts', '"("', () => this.expect('LEFT_PAREN'));
    const labels: string[] = [];
    if (this.is('RIGHT_PAREN')) return { labels, end: this.next().end };
    for (;;) {
      this.inContext('grouping opts', 'label', () => {
        const t = this.peek();
        if (LABEL_ITEMS.has(t.type)) {
          this.next();
          labels.push(t.val);
        } else if (t.type === 'STRING') {
          this.next();
          const v = unquoteToken(this, t);
          if (!isValidUtf8Label(v)) this.addError(rangeOf(t), `invalid label name for grouping: ${goQuote(v)}`);
          labels.push(v);
        } else {
          this.unexpected();
        }
      });
      const sep = this.inContext('grouping opts', '"," or ")"', () => {
        if (!this.is('COMMA', 'RIGHT_PAREN')) this.unexpected();
        return this.next();
      });
      if (sep.type === 'RIGHT_PAREN') return { labels, end: sep.end };
      if (this.is('RIGHT_PAREN')) return { labels, end: this.next().end };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.type !== 'ADD' && t.type !== 'SUB') return parseModifiers(this, this.parsePrimary());
    this.next();
    const operand = this.parseBinary(PREC_POW);
    if (operand.type === 'NumberLiteral') {
      if (t.type === 'SUB') operand.value = -operand.value;
      operand.positionRange.start = t.pos;
      return operand;
    }
    return this.track(
      {
        type: 'UnaryExpr',
        op: t.type === 'SUB' ? '-' : '+',
        expr: operand,
        positionRange: { start: t.pos, end: operand.positionRange.end },
      },
      operand,
    );
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'NUMBER':
      case 'DURATION':
        return numberLiteral(this, this.next());
      case 'STRING':
        this.next();
        return this.track({ type: 'StringLiteral', value: unquoteToken(this, t), positionRange: rangeOf(t) });
      case 'LEFT_PAREN': {
        this.next();
        const inner = this.parseExpr();
        const rp = this.expect('RIGHT_PAREN');
        return this.track({ type: 'ParenExpr', expr: inner, positionRange: { start: t.pos, end: rp.end } }, inner);
      }
      case 'LEFT_BRACE':
        return parseVectorSelector(this, null);
      case 'IDENTIFIER':
      case 'START':
      case 'END':
      case 'STEP':
      case 'RANGE':
        this.next();
        return this.is('LEFT_PAREN') ? this.parseCall(t) : parseVectorSelector(this, t);
      case 'METRIC_IDENTIFIER':
        return parseVectorSelector(this, this.next());
    }
    if (AGGREGATORS.has(t.type)) {
      this.next();
      return this.is('LEFT_PAREN', 'BY', 'WITHOUT') ? this.parseAggregate(t) : parseVectorSelector(this, t);
    }
    if (METRIC_KEYWORDS.has(t.type)) return parseVectorSelector(this, this.next());
    return this.unexpected();
  }

  /** `(args)`; the lookahead is `(`. A comma not followed by an argument is reported and skipped. */
  private parseArgs(): { args: Expr[]; end: number } {
    this.expect('LEFT_PAREN');
    const args: Expr[] = [];
    if (this.is('RIGHT_PAREN')) return { args, end: this.next().end };
    args.push(this.parseExpr());
    for (;;) {
      if (this.is('RIGHT_PAREN')) return { args, end: this.next().end };
      if (!this.is('COMMA')) this.unexpected();
      const comma = this.next();
      if (this.startsExpr(this.peek().type)) args.push(this.parseExpr());
      else this.addError(rangeOf(comma), 'trailing commas not allowed in function call args');
    }
  }

  private startsExpr(t: TokenType): boolean {
    return (
      [
        'NUMBER',
        'DURATION',
        'STRING',
        'LEFT_PAREN',
        'LEFT_BRACE',
        'IDENTIFIER',
        'METRIC_IDENTIFIER',
        'ADD',
        'SUB',
        'START',
        'END',
        'STEP',
        'RANGE',
      ].includes(t) ||
      AGGREGATORS.has(t) ||
      METRIC_KEYWORDS.has(t)
    );
  }

  private parseCall(name: Token): Call {
    const { args, end } = this.parseArgs();
    let func: FunctionDef | undefined = this.functions.get(name.val);
    if (func === undefined) {
      this.addError(rangeOf(name), `unknown function with name ${goQuote(name.val)}`);
      func = { name: name.val, argTypes: [], variadic: -1, returnType: 'vector', experimental: false };
    } else if (func.experimental && !this.options.enableExperimentalFunctions) {
      this.addError(rangeOf(name), `function ${goQuote(name.val)} is not enabled`);
    }
    return this.track({ type: 'Call', func, args, positionRange: { start: name.pos, end } }, ...args);
  }

  private parseAggregate(opTok: Token): AggregateExpr {
    const op = opTok.type.toLowerCase() as AggregateOp;
    this.pushContext('aggregation', '');
    let grouping: string[] = [];
    let without = false;
    const before = this.is('BY', 'WITHOUT');
    if (before) {
      without = this.next().type === 'WITHOUT';
      grouping = this.parseGroupingLabels().labels;
    }
    if (!this.is('LEFT_PAREN')) this.unexpected();
    const body = this.parseArgs();
    let end = body.end;
    if (!before && this.is('BY', 'WITHOUT')) {
      without = this.next().type === 'WITHOUT';
      const g = this.parseGroupingLabels();
      grouping = g.labels;
      end = g.end;
    }
    this.popContext();
    return this.aggregate(op, body.args, grouping, without, { start: opTok.pos, end });
  }

  private aggregate(
    op: AggregateOp,
    args: Expr[],
    grouping: string[],
    without: boolean,
    positionRange: { start: number; end: number },
  ): AggregateExpr {
    const node: AggregateExpr = {
      type: 'AggregateExpr',
      op,
      expr: args[0] ?? { type: 'NumberLiteral', value: 0, duration: false, positionRange: { start: 0, end: 0 } },
      param: null,
      grouping,
      without,
      positionRange,
    };
    if (args.length === 0) {
      this.addError(positionRange, 'no arguments for aggregate expression provided');
      return node;
    }
    let desired = 1;
    if (PARAM_AGGREGATORS.has(op)) {
      if (EXPERIMENTAL_AGGREGATORS.has(op) && !this.options.enableExperimentalFunctions) {
        this.addError(
          positionRange,
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        );
        return node;
      }
      desired = 2;
      node.param = args[0]!;
    }
    if (args.length !== desired) {
      this.addError(
        positionRange,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
      return node;
    }
    node.expr = args[desired - 1]!;
    return this.track(node, node.expr, node.param);
  }
}

function fail(p: ParserCore): never {
  throw new PromQLParseError(p.input, p.errors);
}

function run<T>(input: string, options: ParseOptions, parse: (p: ExprParser) => T): T {
  const p = new ExprParser(input, options);
  let result: T;
  try {
    result = parse(p);
  } catch (e) {
    if (e instanceof SyntaxAbort) fail(p);
    // Not reachable by design; like Prometheus's recover(), report rather than crash.
    const detail = e instanceof RangeError ? 'expression nesting too deep' : 'unexpected error';
    throw new PromQLParseError(input, [{ positionRange: { start: 0, end: 0 }, message: detail }], e);
  }
  if (p.errors.length > 0) fail(p);
  return result;
}

/**
 * Parses a PromQL expression. Throws PromQLParseError (and nothing else) when the query is
 * not valid, with Prometheus's message for the first error.
 */
export function parseExpr(input: string, options: ParseOptions = {}): Expr {
  return run(input, options, (p) => {
    const expr = p.parseTop();
    // Types are only checked when the syntax is clean, as in Prometheus.
    if (p.errors.length === 0) new Checker(p).check(expr);
    return expr;
  });
}

/**
 * Parses a lone series selector (`up{job="x"}`, `{__name__=~"a.*"}`) into its matchers, as
 * Prometheus's ParseMetricSelector does for the `match[]` API parameters. Like Prometheus,
 * it does not require a non-empty matcher; callers check that where they need it.
 */
export function parseMetricSelector(input: string, options: ParseOptions = {}): LabelMatcher[] {
  return run(input, options, (p) => p.parseSelectorOnly().matchers);
}
