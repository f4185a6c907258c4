/**
 * Prometheus's prettifier (promql/parser/prettier.go, Node.Pretty), used by
 * /api/v1/format_query: an expression whose one-line form is longer than 100 bytes is split
 * over lines, two spaces of indent per level; shorter ones print as formatExpr does.
 * It belongs with the printer in ../promql/parser; it lives here until that moves.
 */
import { formatExpr, type Expr } from '../promql/parser/index.js';

const MAX_CHARS_PER_LINE = 100;

function indent(level: number): string {
  return '  '.repeat(level);
}

function needsSplit(e: Expr): boolean {
  return Buffer.byteLength(formatExpr(e)) > MAX_CHARS_PER_LINE;
}

export function prettyExpr(e: Expr, level = 0): string {
  switch (e.type) {
    case 'AggregateExpr': {
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      const full = formatExpr(e);
      const inner = `(${e.param !== null ? formatExpr(e.param) + ', ' : ''}${formatExpr(e.expr)})`;
      // `sum by (job) ` — the operator with its grouping, as getAggOpStr() gives it.
      const opStr = full.slice(0, full.length - inner.length);
      let s = indent(level) + opStr + '(\n';
      if (e.param !== null) s += `${prettyExpr(e.param, level + 1)},\n`;
      return s + `${prettyExpr(e.expr, level + 1)}\n${indent(level)})`;
    }
    case 'BinaryExpr': {
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      const full = formatExpr(e);
      const l = formatExpr(e.lhs);
      const r = formatExpr(e.rhs);
      // `+ on (job) group_left ()`: operator, bool and matching, between the operands.
      const op = full.slice(l.length + 1, full.length - r.length - 1);
      return `${prettyExpr(e.lhs, level + 1)}\n${indent(level)}${op}\n${prettyExpr(e.rhs, level + 1)}`;
    }
    case 'Call': {
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      const args = e.args.map((a) => prettyExpr(a, level + 1)).join(',\n');
      return `${indent(level)}${e.func.name}(\n${args}\n${indent(level)})`;
    }
    case 'ParenExpr':
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      return `${indent(level)}(\n${prettyExpr(e.expr, level + 1)}\n${indent(level)})`;
    case 'SubqueryExpr': {
      // Prometheus adds no indent to an unsplit subquery.
      if (!needsSplit(e)) return formatExpr(e);
      const suffix = formatExpr(e).slice(formatExpr(e.expr).length);
      return prettyExpr(e.expr, level) + suffix;
    }
    case 'UnaryExpr':
      return indent(level) + e.op + prettyExpr(e.expr, level).trim();
    default:
      return indent(level) + formatExpr(e);
  }
}
