/**
 * /api/v1/parse_query: the syntax tree as JSON, in the shape of Prometheus's translateAST
 * (web/api/v1/translate_ast.go) that its UI's tree view reads. Go marshals these as maps,
 * so keys come out sorted; we sort them too (encodeSorted).
 */
import type { Expr, LabelMatcher, VectorMatchCardinality } from '../promql/parser/index.js';
import { formatFloatF } from '../promql/parser/go-text.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function matchers(ms: readonly LabelMatcher[]): Json {
  return ms.map((m) => ({ name: m.name, value: m.value, type: m.type }));
}

const CARD: Readonly<Record<VectorMatchCardinality, string>> = {
  'one-to-one': 'one-to-one',
  'many-to-one': 'many-to-one',
  'one-to-many': 'one-to-many',
  'many-to-many': 'many-to-many',
};

export function translateAst(e: Expr | null): Json {
  if (e === null) return null;
  switch (e.type) {
    case 'AggregateExpr':
      return {
        type: 'aggregation',
        op: e.op,
        expr: translateAst(e.expr),
        param: translateAst(e.param),
        grouping: [...e.grouping],
        without: e.without,
      };
    case 'BinaryExpr': {
      const m = e.vectorMatching;
      return {
        type: 'binaryExpr',
        op: e.op,
        lhs: translateAst(e.lhs),
        rhs: translateAst(e.rhs),
        matching:
          m === null
            ? null
            : { card: CARD[m.card], labels: [...m.matchingLabels], on: m.on, include: [...m.include] },
        bool: e.returnBool,
      };
    }
    case 'Call':
      return {
        type: 'call',
        func: {
          name: e.func.name,
          argTypes: [...e.func.argTypes],
          variadic: e.func.variadic,
          returnType: e.func.returnType,
        },
        args: e.args.map(translateAst),
      };
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return {
        type: 'matrixSelector',
        name: vs.name,
        range: e.range,
        offset: vs.originalOffset,
        matchers: matchers(vs.matchers),
        timestamp: vs.timestamp,
        startOrEnd: vs.startOrEnd,
      };
    }
    case 'SubqueryExpr':
      return {
        type: 'subquery',
        expr: translateAst(e.expr),
        range: e.range,
        offset: e.originalOffset,
        step: e.step,
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloatF(e.value) };
    case 'ParenExpr':
      return { type: 'parenExpr', expr: translateAst(e.expr) };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.value };
    case 'UnaryExpr':
      return { type: 'unaryExpr', op: e.op, expr: translateAst(e.expr) };
    case 'VectorSelector':
      return {
        type: 'vectorSelector',
        name: e.name,
        offset: e.originalOffset,
        matchers: matchers(e.matchers),
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
      };
  }
}

/** Objects with their keys sorted, as Go's encoding/json writes maps. */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}
