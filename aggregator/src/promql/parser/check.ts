/**
 * Type checking after a syntactically clean parse, as Prometheus's checkAST: same rules,
 * same messages, same order of errors. It also settles the vector matching of binary
 * expressions (dropped unless both sides are vectors; set operators are many-to-many).
 */
import { type BinaryExpr, type Call, type Expr, exprType, type PositionRange, type ValueType } from './ast.js';
import { goQuote } from './go-text.js';
import { matchesEmpty } from './literals.js';
import type { ParserCore } from './parser-core.js';

/** How Prometheus names types in messages (DocumentedType). */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

const COMPARISON = new Set(['==', '!=', '<', '<=', '>', '>=']);
const SET_OPS = new Set(['and', 'or', 'unless']);
const SCALAR_PARAM = new Set(['topk', 'bottomk', 'quantile', 'limitk', 'limit_ratio']);

function isSpaceByte(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

export class Checker {
  constructor(private readonly p: ParserCore) {}

  private error(range: PositionRange, message: string): void {
    this.p.addError(range, message);
  }

  private expectType(node: Expr, want: ValueType, context: string): void {
    const t = this.check(node);
    if (t !== want) {
      this.error(node.positionRange, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
    }
  }

  /** The text between the operands, without surrounding whitespace (Prometheus's opRange). */
  private opRange(n: BinaryExpr): PositionRange {
    let start = n.lhs.positionRange.end;
    while (isSpaceByte(this.p.byteAt(start))) start++;
    let end = n.rhs.positionRange.start - 1;
    while (end > start && isSpaceByte(this.p.byteAt(end))) end--;
    return { start, end };
  }

  check(node: Expr): ValueType {
    const typ = exprType(node);
    switch (node.type) {
      case 'AggregateExpr':
        this.expectType(node.expr, 'vector', 'aggregation expression');
        if (SCALAR_PARAM.has(node.op)) this.expectType(node.param!, 'scalar', 'aggregation parameter');
        if (node.op === 'count_values') this.expectType(node.param!, 'string', 'aggregation parameter');
        break;
      case 'BinaryExpr':
        this.checkBinary(node);
        break;
      case 'Call':
        this.checkCall(node);
        break;
      case 'ParenExpr':
        this.check(node.expr);
        break;
      case 'UnaryExpr': {
        const t = this.check(node.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.error(
            node.positionRange,
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
          );
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(node.expr);
        if (t !== 'vector') this.error(node.positionRange, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        this.check(node.vectorSelector);
        break;
      case 'VectorSelector':
        if (node.name !== '') {
          // The last matcher is the name given outside the braces.
          for (const m of node.matchers.slice(0, -1)) {
            if (m.name === '__name__') {
              this.error(
                node.positionRange,
                `metric name must not be set twice: ${goQuote(node.name)} or ${goQuote(m.value)}`,
              );
            }
          }
          break;
        }
        if (!node.bypassEmptyMatcherCheck && node.matchers.every(matchesEmpty)) {
          this.error(node.positionRange, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return typ;
  }

  private checkBinary(n: BinaryExpr): void {
    const lt = this.check(n.lhs);
    const rt = this.check(n.rhs);
    const comparison = COMPARISON.has(n.op);
    const setOp = SET_OPS.has(n.op);
    const vm = n.vectorMatching;
    if (n.returnBool && !comparison) this.error(this.opRange(n), 'bool modifier can only be used on comparison operators');
    if (comparison && !n.returnBool && exprType(n.rhs) === 'scalar' && exprType(n.lhs) === 'scalar') {
      this.error(this.opRange(n), 'comparisons between scalars must use BOOL modifier');
    }
    if (vm !== null) {
      if (setOp && vm.card === 'one-to-one') vm.card = 'many-to-many';
      for (const l1 of vm.matchingLabels) {
        for (const l2 of vm.include) {
          if (l1 === l2 && vm.on) {
            this.error(this.opRange(n), `label ${goQuote(l1)} must not occur in ON and GROUP clause at once`);
          }
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      this.error(n.lhs.positionRange, 'binary expression must contain only scalar and instant vector types');
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      this.error(n.rhs.positionRange, 'binary expression must contain only scalar and instant vector types');
    }
    const fill = vm !== null && (vm.fillValues.lhs !== null || vm.fillValues.rhs !== null);
    if ((lt !== 'vector' || rt !== 'vector') && vm !== null) {
      if (vm.matchingLabels.length > 0) this.error(n.positionRange, 'vector matching only allowed between instant vectors');
      if (fill) this.error(n.positionRange, 'filling in missing series only allowed between instant vectors');
      n.vectorMatching = null;
    } else if (setOp && vm !== null) {
      if (vm.card === 'one-to-many' || vm.card === 'many-to-one') {
        this.error(n.positionRange, `no grouping allowed for ${goQuote(n.op)} operation`);
      }
      if (vm.card !== 'many-to-many') this.error(n.positionRange, 'set operations must always be many-to-many');
      if (fill) this.error(n.positionRange, 'filling in missing series not allowed for set operators');
    }
    if ((lt === 'scalar' || rt === 'scalar') && setOp) {
      this.error(n.positionRange, `set operator ${goQuote(n.op)} not allowed in binary scalar expression`);
    }
  }

  private checkCall(n: Call): void {
    const f = n.func;
    const nargs = f.argTypes.length;
    const name = goQuote(f.name);
    if (f.variadic === 0) {
      if (nargs !== n.args.length) {
        this.error(n.positionRange, `expected ${nargs} argument(s) in call to ${name}, got ${n.args.length}`);
      }
    } else {
      const na = nargs - 1;
      if (na > n.args.length) {
        this.error(n.positionRange, `expected at least ${na} argument(s) in call to ${name}, got ${n.args.length}`);
      } else if (f.variadic > 0 && na + f.variadic < n.args.length) {
        this.error(
          n.positionRange,
          `expected at most ${na + f.variadic} argument(s) in call to ${name}, got ${n.args.length}`,
        );
      }
    }
    if (f.name === 'info' && n.args.length > 1) {
      const arg = n.args[1]!;
      const t = exprType(arg);
      if (t !== 'vector') {
        this.error(n.positionRange, `expected type instant vector in call to function ${name}, got ${documentedType(t)}`);
      }
      if (arg.type === 'VectorSelector' && arg.name !== '') {
        this.error(arg.positionRange, 'expected label selectors only, got vector selector instead');
      } else if (arg.type === 'VectorSelector') {
        arg.bypassEmptyMatcherCheck = true;
      } else {
        this.error(arg.positionRange, 'expected label selectors only');
      }
    }
    for (let i = 0; i < n.args.length; i++) {
      let idx = i;
      if (i >= nargs) {
        if (f.variadic === 0) break;
        idx = nargs - 1;
      }
      const want = f.argTypes[idx];
      const t = this.check(n.args[i]!);
      if (want !== undefined && t !== want) {
        this.error(
          n.args[i]!.positionRange,
          `expected type ${documentedType(want)} in call to function ${name}, got ${documentedType(t)}`,
        );
      }
    }
  }
}
