/**
 * YAML text to a plain JS tree plus the line:column of every node, for config files.
 *
 * Why not `doc.toJS()`: we need positions for error messages, and Go's YAML decoder (which
 * Prometheus configs are written for) decides a scalar's type from the field it fills, not
 * from how it looks. `password: 0123` is the string "0123" there, but the number 123 to a YAML
 * 1.2 resolver. So plain scalars that resolve to a number or boolean are kept as a
 * `YamlScalar` holding both the resolved value and the source text; the schema helpers in
 * `fields.ts` take whichever the field needs.
 *
 * Guards, because a config loader must never hang or crash on hostile input:
 * - a cheap pre-scan refuses deeply nested text before the `yaml` parser sees it: that
 *   parser recurses, and after one stack overflow V8 has been seen to abort the whole process
 *   in a later regexp compilation;
 * - the same pre-scan refuses documents with too many nodes: the parser manages only a few
 *   hundred KB of dense YAML per second (measured: 1 MiB of `[a, a, ...]` took 12 s);
 * - parsing stops after MAX_SYNTAX_ERRORS top-level syntax errors (each costs an Error);
 * - duplicate keys are found here with a Set (the parser's own check is quadratic);
 * - aliases may not expand the tree beyond `maxNodes` (the "billion laughs" document).
 */
import { Composer, LineCounter, Parser, YAMLParseError, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Pair, Scalar, YAMLMap } from 'yaml';
import type { Node as YamlNode, ParsedNode } from 'yaml';

/** A plain scalar that YAML 1.2 resolved to a number or boolean, with its source text. */
export class YamlScalar {
  constructor(
    readonly value: unknown,
    readonly source: string,
  ) {}
}

export interface YamlPos {
  line: number;
  column: number;
}

export type PathSegment = string | number;

export interface YamlIssue {
  segments: PathSegment[];
  pos: YamlPos | undefined;
  message: string;
}

export interface YamlTree {
  /** The document as plain JS (mappings are objects, null values are `undefined`), or undefined when empty. */
  value: unknown;
  /** Syntax and structure problems; when non-empty, `value` must not be used. */
  issues: YamlIssue[];
  /**
   * Where the node at `segments` starts, or its nearest existing ancestor. With `key`, the
   * position of the mapping key rather than of its value.
   */
  positionOf(segments: readonly PropertyKey[], key?: boolean): YamlPos | undefined;
}

export interface YamlTreeOptions {
  /** Deepest nesting of mappings and sequences accepted. */
  maxDepth?: number;
  /** Most nodes the document may have, or expand to through aliases. */
  maxNodes?: number;
}

const DEFAULT_MAX_DEPTH = 64;
/** A config for 10,000 static jobs has about 70,000 nodes. */
const DEFAULT_MAX_NODES = 250_000;
/** The pre-scan's bound; it over-estimates depth, so it sits well above maxDepth. */
const MAX_NESTING_ESTIMATE = 256;
const MAX_SYNTAX_ERRORS = 50;

export function parseYamlTree(text: string, options: YamlTreeOptions = {}): YamlTree {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
  const lines = new LineCounter();
  const issues: YamlIssue[] = [];
  let doc: Document.Parsed | undefined;

  const posAt = (offset: number): YamlPos => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const nodePos = (node: unknown): YamlPos | undefined => {
    const r = (node as { range?: unknown } | null | undefined)?.range;
    return Array.isArray(r) && typeof r[0] === 'number' ? posAt(r[0]) : undefined;
  };

  // Positions are looked up in the AST only when an error needs one: indexing every node up
  // front cost more than the rest of the validation on large files.
  const mapIndex = new WeakMap<object, Map<string, Pair>>();
  const pairsOf = (map: YAMLMap): Map<string, Pair> => {
    let idx = mapIndex.get(map);
    if (!idx) {
      idx = new Map();
      for (const p of map.items) {
        const k = isScalar(p.key) ? scalarKey(p.key) : isAlias(p.key) && doc ? scalarKeyOf(p.key.resolve(doc)) : undefined;
        if (k !== undefined && !idx.has(k)) idx.set(k, p);
      }
      mapIndex.set(map, idx);
    }
    return idx;
  };
  const positionOf = (segments: readonly PropertyKey[], key = false): YamlPos | undefined => {
    let node: unknown = doc?.contents;
    let best = nodePos(node);
    for (let i = 0; i < segments.length && node; i++) {
      // A value reached through an alias is reported at the alias.
      if (isMap(node)) {
        const pair = pairsOf(node).get(String(segments[i]));
        if (!pair) break;
        if (key && i === segments.length - 1) return nodePos(pair.key) ?? best;
        best = nodePos(pair.value) ?? nodePos(pair.key) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof segments[i] === 'number') {
        node = node.items[segments[i] as number];
        best = nodePos(node) ?? best;
      } else break;
    }
    return best;
  };
  const tree = (value: unknown): YamlTree => ({ value, issues, positionOf });

  const scan = prescanYaml(text, MAX_NESTING_ESTIMATE, maxNodes);
  if (scan.tooDeep !== undefined) {
    issues.push({
      segments: [],
      pos: { line: scan.tooDeep, column: 1 },
      message: `the document nests too deeply (more than ${maxDepth} levels are not supported)`,
    });
    return tree(undefined);
  }
  if (scan.tooManyNodes !== undefined) {
    issues.push({ segments: [], pos: { line: scan.tooManyNodes, column: 1 }, message: `the document has more than ${maxNodes} entries` });
    return tree(undefined);
  }

  doc = composeDocument(text, lines);
  for (const e of doc.errors) {
    issues.push({ segments: [], pos: posAt(e.pos[0]), message: yamlErrorMessage(e.code, e.message, text, e.pos) });
  }
  if (issues.length > 0) return tree(undefined);

  const anchors = new Map<string, { value: unknown; nodes: number }>();
  let nodeCount = 0;
  let stopped = false;
  const fail = (segments: PathSegment[], node: unknown, message: string): void => {
    issues.push({ segments: [...segments], pos: nodePos(node), message });
  };

  /** Counts a node; returns false (and reports once) when the document is too big. */
  const count = (n: number, node: unknown, segments: PathSegment[]): boolean => {
    nodeCount += n;
    if (nodeCount > maxNodes && !stopped) {
      stopped = true;
      fail(segments, node as { range?: unknown }, `aliases expand the document to more than ${maxNodes} nodes`);
    }
    return !stopped;
  };

  /** Returns [value, nodeCount]. */
  const build = (node: YamlNode | null | undefined, segments: PathSegment[], depth: number): [unknown, number] => {
    if (stopped || node === null || node === undefined) return [undefined, 0];
    if (depth > maxDepth) {
      fail(segments, node, `nesting deeper than ${maxDepth} levels is not supported`);
      stopped = true;
      return [undefined, 0];
    }
    let result: [unknown, number];
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        fail(segments, node, `alias *${node.source} refers to no anchor defined before it`);
        return [undefined, 0];
      }
      if (!count(target.nodes, node, segments)) return [undefined, 0];
      return [target.value, target.nodes];
    } else if (isScalar(node)) {
      if (!count(1, node, segments)) return [undefined, 0];
      result = [scalarValue(node), 1];
    } else if (isSeq(node)) {
      if (!count(1, node, segments)) return [undefined, 0];
      const arr: unknown[] = [];
      let n = 1;
      node.items.forEach((item, i) => {
        const seg = [...segments, i];
        const [v, c] = build(item as YamlNode, seg, depth + 1);
        arr.push(v === undefined ? null : v);
        n += c;
      });
      result = [arr, n];
    } else if (isMap(node)) {
      if (!count(1, node, segments)) return [undefined, 0];
      result = buildMap(node.items, segments, depth);
    } else {
      fail(segments, node as { range?: unknown }, 'unsupported YAML node');
      return [undefined, 0];
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, { value: result[0], nodes: result[1] });
    return result;
  };

  const keyString = (keyNode: unknown, segments: PathSegment[]): string | undefined => {
    const k = isAlias(keyNode) ? (anchors.has(keyNode.source) ? keyNode.resolve(doc!) : undefined) : keyNode;
    const s = scalarKeyOf(k);
    if (s === undefined) fail(segments, keyNode, 'only plain scalar mapping keys are supported');
    return s;
  };

  const buildMap = (items: unknown[], segments: PathSegment[], depth: number): [unknown, number] => {
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    const merges: { node: unknown; value: unknown }[] = [];
    let n = 1;
    for (const pair of items) {
      if (stopped) break;
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.source === '<<') {
        // YAML 1.1 merge key, which Prometheus's Go YAML decoder supports.
        const [v, c] = build(pair.value as YamlNode, segments, depth + 1);
        n += c;
        merges.push({ node: pair.value, value: v });
        continue;
      }
      const key = keyString(keyNode, segments);
      if (key === undefined) continue;
      const seg = [...segments, key];
      if (key === '__proto__') {
        // Would be dropped silently by zod's records, or worse by naive code downstream.
        fail(segments, keyNode, 'the key "__proto__" is not allowed');
        continue;
      }
      if (seen.has(key)) {
        fail(segments, keyNode, `duplicate key ${JSON.stringify(key)}`);
        continue;
      }
      seen.add(key);
      const [v, c] = build(pair.value as YamlNode, seg, depth + 1);
      n += c;
      define(obj, key, v);
    }
    for (const m of merges) {
      const sources = Array.isArray(m.value) ? m.value : [m.value];
      for (const src of sources) {
        if (src === null || typeof src !== 'object' || Array.isArray(src) || src instanceof YamlScalar) {
          fail(segments, m.node as { range?: unknown }, 'a merge key (<<) needs a mapping or a sequence of mappings');
          break;
        }
        for (const [k, v] of Object.entries(src)) {
          if (seen.has(k)) continue;
          seen.add(k);
          define(obj, k, v);
        }
      }
    }
    return [obj, n];
  };

  const root = doc.contents as ParsedNode | null;
  let value: unknown;
  try {
    value = build(root, [], 0)[0];
  } catch (e) {
    // The pre-scan should keep us far from the stack limit; this is the last line of defence.
    if (!(e instanceof RangeError)) throw e;
    issues.push({ segments: [], pos: undefined, message: 'the document nests too deeply' });
  }
  return tree(value);
}

/**
 * What `parseDocument` does, except that it stops feeding the composer after
 * MAX_SYNTAX_ERRORS top-level error tokens, and reports a second document as an error.
 */
function composeDocument(text: string, lines: LineCounter): Document.Parsed {
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({
    prettyErrors: false,
    // Checked in buildMap in linear time; the composer's own check is quadratic.
    uniqueKeys: false,
    version: '1.2',
  });
  function* capped() {
    let errors = 0;
    for (const token of parser.parse(text)) {
      if (token.type === 'error' && ++errors > MAX_SYNTAX_ERRORS) return;
      yield token;
    }
  }
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(capped(), true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'more than one document'));
      break;
    }
  }
  // compose(..., forceDoc = true) always yields a document.
  return doc!;
}

function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, so that a key named __proto__ is data and never a prototype.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A mapping key as text: a scalar's source for numbers and booleans; '' for a null key. */
function scalarKeyOf(k: unknown): string | undefined {
  if (k === null || k === undefined) return '';
  return isScalar(k) ? scalarKey(k) : undefined;
}

function scalarKey(k: Scalar): string {
  const v = scalarValue(k);
  if (v instanceof YamlScalar) return v.source;
  if (v === undefined) return k.source ?? '';
  return typeof v === 'string' ? v : String(v);
}

function scalarValue(node: { value: unknown; type?: string; source?: string }): unknown {
  const v = node.value;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  const source = typeof node.source === 'string' ? node.source : String(v);
  return new YamlScalar(v, source);
}

function yamlErrorMessage(code: string, message: string, text: string, pos: [number, number]): string {
  const snippet = text.slice(pos[0], Math.min(pos[1], pos[0] + 40)).split('\n')[0];
  switch (code) {
    case 'DUPLICATE_KEY':
      return `duplicate key ${JSON.stringify(snippet)}`;
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (---); a config file must hold one';
    case 'TAB_AS_INDENT':
      return 'YAML syntax error: tabs are not allowed for indentation';
    default:
      return `YAML syntax error: ${message.replace(/\s+/g, ' ').trim()}`;
  }
}

const BLOCK_HEADER_REST = /^[-+0-9]*[ \t]*(#.*)?\r?$/;

export interface PrescanResult {
  /** 1-based line where the depth estimate first exceeds its limit. */
  tooDeep?: number;
  /** 1-based line where the node estimate first exceeds its limit. */
  tooManyNodes?: number;
}

/**
 * Estimates, without parsing, how deeply `text` nests and how many nodes it has.
 *
 * Depth, per line, over-estimated: flow brackets open, plus twice the indentation, plus twice
 * the block indicators (`- `, `? `, `: `) on the line. Nodes: block indicators, flow
 * brackets and flow commas. Quoted scalars, comments and block scalar bodies (`|`, `>`) are
 * skipped.
 */
export function prescanYaml(text: string, depthLimit: number, nodeLimit: number): PrescanResult {
  let nodes = 0;
  let flow = 0;
  let quote: '"' | "'" | undefined;
  let blockScalarIndent = -1; // indentation of the line that opened a block scalar
  let lineNo = 0;
  let i = 0;
  const len = text.length;
  while (i < len) {
    lineNo++;
    let end = text.indexOf('\n', i);
    if (end < 0) end = len;
    let indent = 0;
    while (i + indent < end && (text[i + indent] === ' ' || text[i + indent] === '\t')) indent++;
    const blank = i + indent >= end || text[i + indent] === '\r';
    if (blockScalarIndent >= 0) {
      if (blank || indent > blockScalarIndent) {
        i = end + 1;
        continue;
      }
      blockScalarIndent = -1;
    }
    let indicators = 0;
    let maxFlow = flow;
    let prev = ''; // previous significant character on this line
    let blockScalar = false;
    for (let j = i + indent; j < end; j++) {
      const c = text[j];
      if (quote) {
        if (quote === '"' && c === '\\') j++;
        else if (c === quote) {
          if (quote === "'" && text[j + 1] === "'") j++;
          else {
            quote = undefined;
            prev = c;
          }
        }
        continue;
      }
      const atNodeStart = prev === '' || '[{,:-?'.includes(prev);
      const spaceBefore = j === i + indent || text[j - 1] === ' ' || text[j - 1] === '\t';
      if (c === '#' && spaceBefore) break;
      if ((c === '"' || c === "'") && atNodeStart) {
        quote = c;
        continue;
      }
      if (c === '[' || c === '{') {
        if (flow > 0 || atNodeStart) {
          flow++;
          nodes++;
          if (flow > maxFlow) maxFlow = flow;
        }
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--;
      } else if (c === ',' && flow > 0) {
        nodes++;
      } else if ((c === '-' || c === '?' || c === ':') && flow === 0) {
        const next = text[j + 1];
        if (next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r') indicators++;
      } else if ((c === '|' || c === '>') && flow === 0 && spaceBefore && (prev === '' || prev === ':' || prev === '-' || prev === '?')) {
        // A block scalar header: the more-indented lines that follow are its text.
        if (BLOCK_HEADER_REST.test(text.slice(j + 1, end))) {
          blockScalar = true;
          break;
        }
      }
      if (c !== ' ' && c !== '\t' && c !== '\r') prev = c;
    }
    if (2 * indent + 2 * indicators + maxFlow > depthLimit) return { tooDeep: lineNo };
    nodes += indicators;
    if (nodes > nodeLimit) return { tooManyNodes: lineNo };
    if (blockScalar) blockScalarIndent = indent;
    i = end + 1;
  }
  return {};
}
