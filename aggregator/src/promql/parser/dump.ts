/**
 * A compact, exact rendering of a syntax tree with positions, for tests and debugging:
 * `B+(N(1)@0-1, VS(foo)@4-7; 1:1)@0-7`. Unlike formatExpr it shows every field that
 * matters (positions, matcher order, literal kinds, modifiers).
 */
import type { DurationNode, Expr, VectorMatching, VectorSelector } from './ast.js';
import { formatFloatF, goQuote } from './go-text.js';
import { formatMatcher } from './printer.js';

const CARD = { 'one-to-one': '1:1', 'many-to-one': 'n:1', 'one-to-many': '1:n', 'many-to-many': 'n:n' } as const;

function at(n: { positionRange: { start: number; end: number } }): string {
  return `@${n.positionRange.start}-${n.positionRange.end}`;
}

function dur(d: DurationNode): string {
  if (d.type === 'NumberLiteral') return dumpExpr(d);
  const parts: string[] = [d.op];
  if (d.lhs !== null || d.rhs !== null) parts.push(`${d.lhs === null ? '_' : dur(d.lhs)}, ${d.rhs === null ? '_' : dur(d.rhs)}`);
  if (d.wrapped) parts.push('wrapped');
  return `DE(${parts.join('; ')})${at(d)}`;
}

function modifiers(n: {
  originalOffset: number;
  originalOffsetExpr: import('./ast.js').DurationExpr | null;
  timestamp: number | null;
  startOrEnd: string | null;
}): string[] {
  const out: string[] = [];
  if (n.originalOffset !== 0) out.push(`off=${n.originalOffset}`);
  if (n.originalOffsetExpr !== null) out.push(`off=${dur(n.originalOffsetExpr)}`);
  if (n.timestamp !== null) out.push(`@=${n.timestamp}`);
  if (n.startOrEnd !== null) out.push(`@${n.startOrEnd}`);
  return out;
}

function selector(vs: VectorSelector): string {
  let ms = vs.matchers;
  let name = '';
  if (vs.name !== '') {
    const last = ms[ms.length - 1];
    if (last !== undefined && last.name === '__name__' && last.type === '=' && last.value === vs.name) {
      ms = ms.slice(0, -1);
      name = vs.name;
    } else {
      name = `${vs.name}!noauto`;
    }
  }
  const mods = modifiers(vs);
  if (vs.anchored) mods.push('anchored');
  if (vs.smoothed) mods.push('smoothed');
  if (vs.bypassEmptyMatcherCheck) mods.push('bypass');
  const braces = ms.length > 0 || name === '' ? `{${ms.map(formatMatcher).join(', ')}}` : '';
  return `VS(${[name + braces, ...mods].join(' ')})${at(vs)}`;
}

function matching(vm: VectorMatching | null): string[] {
  if (vm === null) return [];
  const out: string[] = [CARD[vm.card]];
  if (vm.on) out.push(`on(${vm.matchingLabels.join(',')})`);
  else if (vm.matchingLabels.length > 0) out.push(`ignoring(${vm.matchingLabels.join(',')})`);
  if (vm.include.length > 0) out.push(`include(${vm.include.join(',')})`);
  const { lhs, rhs } = vm.fillValues;
  if (lhs !== null || rhs !== null) out.push(`fill(${lhs === null ? '_' : formatFloatF(lhs)},${rhs === null ? '_' : formatFloatF(rhs)})`);
  return out;
}

export function dumpExpr(n: Expr): string {
  switch (n.type) {
    case 'NumberLiteral':
      return `${n.duration ? 'D' : 'N'}(${formatFloatF(n.value)})${at(n)}`;
    case 'StringLiteral':
      return `S(${goQuote(n.value)})${at(n)}`;
    case 'VectorSelector':
      return selector(n);
    case 'MatrixSelector':
      return `MS(${selector(n.vectorSelector)}; ${n.rangeExpr === null ? n.range : dur(n.rangeExpr)})${at(n)}`;
    case 'SubqueryExpr': {
      const range = n.rangeExpr === null ? `${n.range}` : dur(n.rangeExpr);
      const step = n.stepExpr === null ? (n.step === 0 ? '' : `${n.step}`) : dur(n.stepExpr);
      return `SQ(${[dumpExpr(n.expr), `${range}:${step}`, ...modifiers(n)].join('; ')})${at(n)}`;
    }
    case 'ParenExpr':
      return `P(${dumpExpr(n.expr)})${at(n)}`;
    case 'UnaryExpr':
      return `U${n.op}(${dumpExpr(n.expr)})${at(n)}`;
    case 'BinaryExpr': {
      const parts = [`${dumpExpr(n.lhs)}, ${dumpExpr(n.rhs)}`];
      if (n.returnBool) parts.push('bool');
      parts.push(...matching(n.vectorMatching));
      return `B${n.op}(${parts.join('; ')})${at(n)}`;
    }
    case 'AggregateExpr': {
      const parts = [dumpExpr(n.expr)];
      if (n.param !== null) parts.push(`param=${dumpExpr(n.param)}`);
      if (n.without) parts.push(`without(${n.grouping.join(',')})`);
      else if (n.grouping.length > 0) parts.push(`by(${n.grouping.join(',')})`);
      return `A:${n.op}(${parts.join('; ')})${at(n)}`;
    }
    case 'Call':
      return `C:${n.func.name}(${n.args.map(dumpExpr).join(', ')})${at(n)}`;
  }
}
