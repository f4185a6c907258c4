/**
 * PromQL parser: a query string in, a typed syntax tree out, as Prometheus 3 parses it.
 * Pure: no evaluation, I/O or storage.
 *
 *   const expr = parseExpr('sum by (job) (rate(http_requests_total[5m]))');
 *   exprType(expr);   // 'vector'
 *   formatExpr(expr); // 'sum by (job) (rate(http_requests_total[5m]))'
 *
 * - Errors: parseExpr throws PromQLParseError and nothing else. Its message is exactly
 *   Prometheus's (`1:14: parse error: unexpected <op:+>`); `errors` lists all of them.
 * - Positions: every node has `positionRange` in bytes of the UTF-8 query, end exclusive,
 *   as Prometheus reports them.
 * - Durations in the tree are milliseconds (see ast.ts).
 * - Experimental syntax is off unless enabled in ParseOptions, as in Prometheus.
 */
export * from './ast.js';
export { parseExpr, parseMetricSelector } from './parser.js';
export { type ParseOptions, DEFAULT_MAX_DEPTH } from './parser-core.js';
export { PromQLParseError, type ParseErrorDetail, formatParseError, positionOf } from './errors.js';
export { FUNCTIONS, getFunction, type FunctionDef } from './functions.js';
export { formatExpr, formatMatcher, formatDurationExpr } from './printer.js';
export { documentedType } from './check.js';
export { formatDurationMs, parseDurationNs, nsToSeconds } from './duration.js';
