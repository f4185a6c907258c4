/**
 * The PromQL syntax tree. Plain data: no evaluation state, no methods. Every node carries
 * the range of the query text it came from, in bytes of the UTF-8 query (as Prometheus
 * reports positions), `end` exclusive.
 *
 * Durations (ranges, steps, offsets) are milliseconds; `@` timestamps are milliseconds
 * since the epoch. Where the query wrote a duration as an expression (`[5m * 2]`,
 * `offset step()`), the `...Expr` field holds it and the plain field is 0.
 */
import type { FunctionDef } from './functions.js';

export interface PositionRange {
  start: number;
  end: number;
}

/** The type a PromQL expression evaluates to. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * A label matcher as written. Regular expressions are fully anchored when evaluated
 * (`^(?s:value)$`); building the executable matcher is the storage layer's job.
 */
export interface LabelMatcher {
  type: MatchType;
  name: string;
  value: string;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  /** Native histograms: drop observations above (`</`) or below (`>/`) a threshold. */
  | '</'
  | '>/'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless';

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

export type UnaryOp = '+' | '-';

/** Operators of duration expressions; `step`, `range` take no operands. */
export type DurationOp = '+' | '-' | '*' | '/' | '%' | '^' | 'step' | 'range' | 'min_of' | 'max_of';

export type VectorMatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  /** Written as a duration (`5m`); the value is in seconds, and it prints back as a duration. */
  duration: boolean;
  positionRange: PositionRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  positionRange: PositionRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name written before the braces, or '' (the name may still be a matcher). */
  name: string;
  /** In order written; a name given before the braces is the last matcher (`__name__="name"`). */
  matchers: LabelMatcher[];
  /** The offset as written, in ms (negative allowed); 0 when none or when given as an expression. */
  originalOffset: number;
  originalOffsetExpr: DurationExpr | null;
  /** `@ <timestamp>` in ms, or null. */
  timestamp: number | null;
  /** `@ start()` / `@ end()`. */
  startOrEnd: 'start' | 'end' | null;
  anchored: boolean;
  smoothed: boolean;
  /** Set on the label-only selector that is info()'s second argument. */
  bypassEmptyMatcherCheck: boolean;
  positionRange: PositionRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  /** Holds the offset, `@`, anchored and smoothed modifiers of the range selector. */
  vectorSelector: VectorSelector;
  /** ms. */
  range: number;
  rangeExpr: DurationExpr | null;
  positionRange: PositionRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  range: number;
  rangeExpr: DurationExpr | null;
  /** ms; 0 when omitted (`[1h:]`: use the default evaluation interval). */
  step: number;
  stepExpr: DurationExpr | null;
  originalOffset: number;
  originalOffsetExpr: DurationExpr | null;
  timestamp: number | null;
  startOrEnd: 'start' | 'end' | null;
  positionRange: PositionRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  positionRange: PositionRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: UnaryOp;
  expr: Expr;
  positionRange: PositionRange;
}

export interface VectorMatching {
  card: VectorMatchCardinality;
  /** Labels of `on(...)` or `ignoring(...)`. */
  matchingLabels: string[];
  on: boolean;
  /** Labels of `group_left(...)` / `group_right(...)`. */
  include: string[];
  /** `fill(v)`, `fill_left(v)`, `fill_right(v)`: values for series missing on one side. */
  fillValues: { lhs: number | null; rhs: number | null };
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** `bool` on a comparison: return 0/1 instead of filtering. */
  returnBool: boolean;
  /** Null unless both sides are instant vectors. */
  vectorMatching: VectorMatching | null;
  positionRange: PositionRange;
}

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** topk/bottomk/quantile/limitk/limit_ratio/count_values parameter, else null. */
  param: Expr | null;
  grouping: string[];
  without: boolean;
  positionRange: PositionRange;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  positionRange: PositionRange;
}

/** Arithmetic on durations: inside `[...]` and after `offset`. Evaluates to seconds. */
export interface DurationExpr {
  type: 'DurationExpr';
  op: DurationOp;
  /** Null for unary operators, step(), range(). */
  lhs: DurationNode | null;
  rhs: DurationNode | null;
  /** Written in parentheses (kept so the expression prints back the same). */
  wrapped: boolean;
  positionRange: PositionRange;
}

export type DurationNode = NumberLiteral | DurationExpr;

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

export type Node = Expr | DurationExpr;

/** The type an expression evaluates to (Prometheus's Expr.Type()). */
export function exprType(node: Expr | DurationExpr): ValueType {
  switch (node.type) {
    case 'NumberLiteral':
    case 'DurationExpr':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return exprType(node.expr);
    case 'BinaryExpr':
      return exprType(node.lhs) === 'scalar' && exprType(node.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return node.func.returnType;
  }
}

/** The expression children of a node, in evaluation order (durations excluded). */
export function children(node: Expr): Expr[] {
  switch (node.type) {
    case 'AggregateExpr':
      return node.param === null ? [node.expr] : [node.expr, node.param];
    case 'BinaryExpr':
      return [node.lhs, node.rhs];
    case 'Call':
      return node.args;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
      return [node.expr];
    case 'MatrixSelector':
      return [node.vectorSelector];
    default:
      return [];
  }
}

/**
 * Visits every expression depth-first, parents before children. `path` lists the ancestors.
 * Returning false from the visitor skips the node's children.
 */
export function inspect(node: Expr, visit: (node: Expr, path: readonly Expr[]) => boolean | void): void {
  const path: Expr[] = [];
  const walk = (n: Expr): void => {
    if (visit(n, path) === false) return;
    path.push(n);
    for (const c of children(n)) walk(c);
    path.pop();
  };
  walk(node);
}

/** Every vector selector's matchers, as Prometheus's ExtractSelectors. */
export function extractSelectors(node: Expr): LabelMatcher[][] {
  const out: LabelMatcher[][] = [];
  inspect(node, (n) => {
    if (n.type === 'VectorSelector') out.push(n.matchers);
  });
  return out;
}
