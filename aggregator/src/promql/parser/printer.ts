/**
 * Prints a syntax tree as Prometheus prints it (Expr.String()): the canonical one-line form,
 * e.g. `sum by (job) (rate(http_requests_total{code="200"}[5m] offset 1h))`. Parsing the
 * output gives back the same tree.
 */
import type { DurationExpr, DurationNode, Expr, LabelMatcher, VectorMatching, VectorSelector } from './ast.js';
import { formatDurationMs, formatDurationNs } from './duration.js';
import { compareBytes, formatFixed, formatFloatF, formatFloatV, goQuote } from './go-text.js';

function isLegacyLabelName(s: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(s);
}

function labelList(labels: readonly string[]): string {
  return labels.map((l) => (isLegacyLabelName(l) ? l : goQuote(l))).join(', ');
}

/** A matcher as Prometheus's Matcher.String(): `name="value"`, the name quoted when needed. */
export function formatMatcher(m: LabelMatcher): string {
  const plainName = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name);
  return (plainName ? m.name : goQuote(m.name)) + m.type + goQuote(m.value);
}

export function formatDurationExpr(d: DurationExpr): string {
  let s: string;
  switch (d.op) {
    case 'step':
      s = 'step()';
      break;
    case 'range':
      s = 'range()';
      break;
    case 'min_of':
    case 'max_of':
      s = `${d.op}(${durationNode(d.lhs!)}, ${durationNode(d.rhs!)})`;
      break;
    default:
      if (d.lhs === null) s = (d.op === '-' ? '-' : '') + durationNode(d.rhs!);
      else s = `${durationNode(d.lhs)} ${d.op} ${durationNode(d.rhs!)}`;
  }
  return d.wrapped ? `(${s})` : s;
}

function durationNode(d: DurationNode): string {
  return d.type === 'DurationExpr' ? formatDurationExpr(d) : formatExpr(d);
}

function atString(timestamp: number | null, startOrEnd: 'start' | 'end' | null): string {
  if (timestamp !== null) return ` @ ${formatFixed(timestamp / 1000, 3)}`;
  if (startOrEnd !== null) return ` @ ${startOrEnd}()`;
  return '';
}

function offsetString(offset: number, expr: DurationExpr | null): string {
  if (expr !== null) return ` offset ${formatDurationExpr(expr)}`;
  if (offset > 0) return ` offset ${formatDurationMs(offset)}`;
  if (offset < 0) return ` offset -${formatDurationMs(-offset)}`;
  return '';
}

function extendedString(vs: VectorSelector): string {
  if (vs.anchored) return ' anchored';
  if (vs.smoothed) return ' smoothed';
  return '';
}

function selectorString(vs: VectorSelector, withModifiers: boolean): string {
  const labels = vs.matchers
    .filter((m) => !(m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== ''))
    .map(formatMatcher)
    .sort(compareBytes);
  let s = vs.name;
  if (labels.length > 0) s += `{${labels.join(',')}}`;
  if (withModifiers) {
    s += atString(vs.timestamp, vs.startOrEnd) + extendedString(vs) + offsetString(vs.originalOffset, vs.originalOffsetExpr);
  }
  return s;
}

function matchingString(vm: VectorMatching | null): string {
  if (vm === null) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${labelList(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${labelList(vm.include)})`;
  const { lhs, rhs } = vm.fillValues;
  if (lhs !== null && rhs !== null && Object.is(lhs, rhs)) {
    s += ` fill (${formatFloatV(lhs)})`;
  } else {
    if (lhs !== null) s += ` fill_left (${formatFloatV(lhs)})`;
    if (rhs !== null) s += ` fill_right (${formatFloatV(rhs)})`;
  }
  return s;
}

/** The canonical text of an expression. */
export function formatExpr(node: Expr): string {
  switch (node.type) {
    case 'NumberLiteral':
      if (!node.duration) return formatFloatF(node.value);
      return node.value < 0 ? `-${formatDurationNs(-node.value * 1e9)}` : formatDurationNs(node.value * 1e9);
    case 'StringLiteral':
      return goQuote(node.value);
    case 'VectorSelector':
      return selectorString(node, true);
    case 'MatrixSelector': {
      const vs = node.vectorSelector;
      const range = node.rangeExpr !== null ? formatDurationExpr(node.rangeExpr) : formatDurationMs(node.range);
      return (
        `${selectorString(vs, false)}[${range}]` +
        extendedString(vs) +
        atString(vs.timestamp, vs.startOrEnd) +
        offsetString(vs.originalOffset, vs.originalOffsetExpr)
      );
    }
    case 'SubqueryExpr': {
      const range = node.rangeExpr !== null ? formatDurationExpr(node.rangeExpr) : formatDurationMs(node.range);
      let step = '';
      if (node.step !== 0) step = formatDurationMs(node.step);
      else if (node.stepExpr !== null) step = formatDurationExpr(node.stepExpr);
      return (
        `${formatExpr(node.expr)}[${range}:${step}]` +
        atString(node.timestamp, node.startOrEnd) +
        offsetString(node.originalOffset, node.originalOffsetExpr)
      );
    }
    case 'ParenExpr':
      return `(${formatExpr(node.expr)})`;
    case 'UnaryExpr':
      return node.op + formatExpr(node.expr);
    case 'BinaryExpr':
      return (
        `${formatExpr(node.lhs)} ${node.op}${node.returnBool ? ' bool' : ''}` +
        `${matchingString(node.vectorMatching)} ${formatExpr(node.rhs)}`
      );
    case 'AggregateExpr': {
      let s = node.op;
      if (node.without) s += ` without (${labelList(node.grouping)}) `;
      else if (node.grouping.length > 0) s += ` by (${labelList(node.grouping)}) `;
      const param = node.param !== null ? `${formatExpr(node.param)}, ` : '';
      return `${s}(${param}${formatExpr(node.expr)})`;
    }
    case 'Call':
      return `${node.func.name}(${node.args.map(formatExpr).join(', ')})`;
  }
}
