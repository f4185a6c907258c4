/**
 * RE2 regexes anchored and dot-all exactly as Prometheus 3 compiles both PromQL label
 * matchers and relabel regexes: `^(?s:<re>)$`. RE2 (via re2js) runs in linear time, so a
 * user's regex such as `(a+)+$` cannot hang the process the way a backtracking RegExp can.
 *
 * The shapes configs and queries mostly use skip the regex engine entirely: literals
 * (`foo`, `10\.0\.0\.1`), alternations of literals (`a|b|c`), `.*`, `.+`, `foo.*`, `.*foo`
 * and `.*foo.*`. None of them has a capturing group, so a caller that needs groups (relabel
 * replacement expansion) gets the RE2JS object exactly when the regex is not one of them.
 *
 * A leaf module: callers wrap syntax errors in their own error codes.
 */
import { RE2JS } from 're2js';

/** Alternations with more literals than this are matched through a Set instead of a scan. */
const SET_LOOKUP_THRESHOLD = 8;

export interface AnchoredRegex {
  /** Whether the whole of s matches. */
  test(s: string): boolean;
  /**
   * The compiled `^(?s:<re>)$`, present exactly when no fast path applies. When absent the
   * regex has no capturing groups and its only match of s is s itself.
   */
  readonly re2?: RE2JS;
  /** The distinct strings it matches, when the regex is an alternation of literals. */
  readonly literals?: readonly string[];
}

export interface CompileOptions {
  /**
   * Also require `re` to compile on its own, so that `a)|(b` cannot sneak through the
   * wrapping group (PromQL matchers). Relabel regexes, as in Prometheus, only require the
   * wrapped form to compile.
   */
  checkUnwrapped?: boolean;
}

/**
 * Compiles an (unanchored, user-written) regex for whole-string matching, taking a fast path
 * when it can. Throws the re2js error for invalid syntax.
 */
export function compileAnchored(re: string, options: CompileOptions = {}): AnchoredRegex {
  const alternatives = literalAlternatives(re);
  if (alternatives) {
    const literals = [...new Set(alternatives)];
    return { test: literalTest(literals), literals };
  }
  const wildcard = wildcardTest(re);
  if (wildcard) return { test: wildcard };
  if (options.checkUnwrapped) RE2JS.compile(re);
  const re2 = RE2JS.compile(`^(?s:${re})$`);
  return { test: (s) => re2.matches(s), re2 };
}

function literalTest(literals: readonly string[]): (s: string) => boolean {
  if (literals.length === 1) {
    const only = literals[0];
    return (s) => s === only;
  }
  if (literals.length > SET_LOOKUP_THRESHOLD) {
    const lookup = new Set(literals);
    return (s) => lookup.has(s);
  }
  return (s) => literals.includes(s);
}

/**
 * Handles `.*`, `.+`, `lit.*`, `.*lit`, `.*lit.*` without a regex engine. With the `s`
 * flag `.` matches any character, so these are exactly startsWith/endsWith/includes.
 */
function wildcardTest(re: string): ((s: string) => boolean) | undefined {
  if (re === '.*') return () => true;
  if (re === '.+') return (s) => s !== '';
  const lead = re.startsWith('.*');
  const trail = re.endsWith('.*') && !re.endsWith('\\.*') && re.length >= (lead ? 4 : 2);
  if (!lead && !trail) return undefined;
  const inner = literalAlternatives(re.slice(lead ? 2 : 0, trail ? re.length - 2 : re.length));
  if (!inner || inner.length !== 1 || inner[0] === '') return undefined;
  const lit = inner[0];
  if (lead && trail) return (s) => s.includes(lit);
  if (lead) return (s) => s.endsWith(lit);
  return (s) => s.startsWith(lit);
}

/** RE2's metacharacters outside a character class. */
const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);

/**
 * If `re` is literals joined by `|` (backslash-escaped punctuation allowed, e.g. `10\.0`),
 * returns them unescaped, in order and with any duplicates; otherwise undefined. Escapes of
 * letters and digits (`\d`, `\pL`, `\Q`) are classes or operators in RE2, so they disqualify.
 */
export function literalAlternatives(re: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined || /[0-9A-Za-z]/.test(n) || n.charCodeAt(0) > 0x7f) return undefined;
      cur += n;
      i++;
    } else if (META.has(c)) {
      return undefined;
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}
