/**
 * Lexical items of PromQL and how Prometheus names them in error messages
 * (`unexpected <op:+>`, `unexpected identifier "foo"`, `unexpected end of input`).
 */
import { byteLength, goQuote, goQuotePrefix } from './go-text.js';

export type Operator =
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'POW'
  | 'EQLC'
  | 'NEQ'
  | 'LTE'
  | 'LSS'
  | 'GTE'
  | 'GTR'
  | 'EQL_REGEX'
  | 'NEQ_REGEX'
  | 'LAND'
  | 'LOR'
  | 'LUNLESS'
  | 'ATAN2'
  | 'AT'
  | 'TRIM_UPPER'
  | 'TRIM_LOWER';

export type Aggregator =
  | 'SUM'
  | 'AVG'
  | 'COUNT'
  | 'MIN'
  | 'MAX'
  | 'GROUP'
  | 'STDDEV'
  | 'STDVAR'
  | 'TOPK'
  | 'BOTTOMK'
  | 'COUNT_VALUES'
  | 'QUANTILE'
  | 'LIMITK'
  | 'LIMIT_RATIO';

export type Keyword =
  | 'BOOL'
  | 'BY'
  | 'GROUP_LEFT'
  | 'GROUP_RIGHT'
  | 'IGNORING'
  | 'OFFSET'
  | 'SMOOTHED'
  | 'ANCHORED'
  | 'ON'
  | 'WITHOUT'
  | 'FILL'
  | 'FILL_LEFT'
  | 'FILL_RIGHT';

/** Words that name a value only inside `@ ...()`, duration expressions, or as function calls. */
export type Preprocessor = 'START' | 'END' | 'STEP' | 'RANGE' | 'MIN_OF' | 'MAX_OF';

export type Punctuation =
  | 'LEFT_PAREN'
  | 'RIGHT_PAREN'
  | 'LEFT_BRACE'
  | 'RIGHT_BRACE'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'COMMA'
  | 'EQL'
  | 'COLON';

export type TokenType =
  | 'EOF'
  | 'ERROR'
  | 'COMMENT'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'STRING'
  | 'NUMBER'
  | 'DURATION'
  | Punctuation
  | Operator
  | Aggregator
  | Keyword
  | Preprocessor;

export interface Token {
  type: TokenType;
  /** Start, in bytes of the UTF-8 input. */
  pos: number;
  /** End (exclusive), in bytes. For ERROR tokens the end of the input. */
  end: number;
  /** The source text; for ERROR tokens the message. */
  val: string;
}

export const OPERATORS: ReadonlySet<TokenType> = new Set<Operator>([
  'ADD',
  'SUB',
  'MUL',
  'DIV',
  'MOD',
  'POW',
  'EQLC',
  'NEQ',
  'LTE',
  'LSS',
  'GTE',
  'GTR',
  'EQL_REGEX',
  'NEQ_REGEX',
  'LAND',
  'LOR',
  'LUNLESS',
  'ATAN2',
  'AT',
  'TRIM_UPPER',
  'TRIM_LOWER',
]);

export const AGGREGATORS: ReadonlySet<TokenType> = new Set<Aggregator>([
  'SUM',
  'AVG',
  'COUNT',
  'MIN',
  'MAX',
  'GROUP',
  'STDDEV',
  'STDVAR',
  'TOPK',
  'BOTTOMK',
  'COUNT_VALUES',
  'QUANTILE',
  'LIMITK',
  'LIMIT_RATIO',
]);

export const KEYWORDS: ReadonlySet<TokenType> = new Set<Keyword>([
  'BOOL',
  'BY',
  'GROUP_LEFT',
  'GROUP_RIGHT',
  'IGNORING',
  'OFFSET',
  'SMOOTHED',
  'ANCHORED',
  'ON',
  'WITHOUT',
  'FILL',
  'FILL_LEFT',
  'FILL_RIGHT',
]);

/** Reserved words, matched case-insensitively outside braces. */
export const KEYWORD_MAP: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ['and', 'LAND'],
  ['or', 'LOR'],
  ['unless', 'LUNLESS'],
  ['atan2', 'ATAN2'],
  ['sum', 'SUM'],
  ['avg', 'AVG'],
  ['count', 'COUNT'],
  ['min', 'MIN'],
  ['max', 'MAX'],
  ['group', 'GROUP'],
  ['stddev', 'STDDEV'],
  ['stdvar', 'STDVAR'],
  ['topk', 'TOPK'],
  ['bottomk', 'BOTTOMK'],
  ['count_values', 'COUNT_VALUES'],
  ['quantile', 'QUANTILE'],
  ['limitk', 'LIMITK'],
  ['limit_ratio', 'LIMIT_RATIO'],
  ['offset', 'OFFSET'],
  ['smoothed', 'SMOOTHED'],
  ['anchored', 'ANCHORED'],
  ['by', 'BY'],
  ['without', 'WITHOUT'],
  ['on', 'ON'],
  ['ignoring', 'IGNORING'],
  ['group_left', 'GROUP_LEFT'],
  ['group_right', 'GROUP_RIGHT'],
  ['fill', 'FILL'],
  ['fill_left', 'FILL_LEFT'],
  ['fill_right', 'FILL_RIGHT'],
  ['bool', 'BOOL'],
  ['start', 'START'],
  ['end', 'END'],
  ['step', 'STEP'],
  ['range', 'RANGE'],
  ['inf', 'NUMBER'],
  ['nan', 'NUMBER'],
]);

/** Item types Prometheus prints by their text rather than as `<kind> "<text>"`. */
const NAMED_BY_TEXT: ReadonlySet<TokenType> = new Set<TokenType>([
  'LEFT_PAREN',
  'RIGHT_PAREN',
  'LEFT_BRACE',
  'RIGHT_BRACE',
  'LEFT_BRACKET',
  'RIGHT_BRACKET',
  'COMMA',
  'EQL',
  'COLON',
  'START',
  'END',
  'STEP',
  'RANGE',
  'MIN_OF',
  'MAX_OF',
  ...OPERATORS,
  ...AGGREGATORS,
  ...KEYWORDS,
]);

/** Item.String() in Go. */
function itemString(t: Token): string {
  switch (t.type) {
    case 'EOF':
      return 'EOF';
    case 'ERROR':
      return t.val;
    case 'IDENTIFIER':
    case 'METRIC_IDENTIFIER':
      return goQuote(t.val);
  }
  if (KEYWORDS.has(t.type)) return `<${t.val}>`;
  if (OPERATORS.has(t.type)) return `<op:${t.val}>`;
  if (AGGREGATORS.has(t.type)) return `<aggr:${t.val}>`;
  if (byteLength(t.val) > 10) return goQuotePrefix(t.val, 10) + '...';
  return goQuote(t.val);
}

function typeDesc(type: TokenType): string {
  switch (type) {
    case 'ERROR':
      return 'error';
    case 'EOF':
      return 'end of input';
    case 'COMMENT':
      return 'comment';
    case 'IDENTIFIER':
      return 'identifier';
    case 'METRIC_IDENTIFIER':
      return 'metric identifier';
    case 'STRING':
      return 'string';
    case 'NUMBER':
      return 'number';
    case 'DURATION':
      return 'duration';
    default:
      return type;
  }
}

/** How an unexpected item is described in a parse error (Go's Item.desc()). */
export function describeToken(t: Token): string {
  if (NAMED_BY_TEXT.has(t.type)) return itemString(t);
  if (t.type === 'EOF') return typeDesc(t.type);
  return `${typeDesc(t.type)} ${itemString(t)}`;
}
