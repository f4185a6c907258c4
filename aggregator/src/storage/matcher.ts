/**
 * Label matchers with PromQL semantics: `=`, `!=`, `=~`, `!~`.
 *
 * - A label a series lacks has the value '' (Labels drop empty values), so a matcher that
 *   matches '' also matches series without the label: `{env=""}`, `{env!="prod"}`,
 *   `{env=~"|dev"}` all select series with no `env`.
 * - Regexes are fully anchored and use RE2 syntax with `.` matching newlines, exactly as
 *   Prometheus 3 compiles them: `^(?s:<re>)$`. RE2 (via re2js) runs in linear time, so a
 *   user's regex such as `(a+)+$` cannot hang the process the way a backtracking RegExp can.
 * - Common regex shapes skip the regex engine entirely: literals (`foo`, `10\.0\.0\.1`),
 *   alternations of literals (`a|b|c`, which the index also turns into direct postings
 *   lookups via setMatches()), `.*`, `.+`, `foo.*`, `.*foo` and `.*foo.*`.
 */
import { RE2JS } from 're2js';
import { invalidMatcher } from './errors.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

const MATCH_TYPES: ReadonlySet<string> = new Set(['=', '!=', '=~', '!~']);

/** Alternations with more literals than this are matched through a Set instead of a scan. */
const SET_LOOKUP_THRESHOLD = 8;

type Predicate = (s: string) => boolean;

/** How a regex matches, decided once at construction. */
interface RegexPlan {
  /** Positive test of the anchored regex. */
  test: Predicate;
  /** The exact strings it matches, when it is an alternation of literals. */
  set: readonly string[] | undefined;
}

export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** Whether the matcher accepts '' and so also series lacking the label. */
  readonly matchesEmpty: boolean;
  /** Positive test: equality for =/!=, the regex for =~/!~; negation is applied in matches(). */
  readonly #test: Predicate;
  readonly #set: readonly string[] | undefined;
  readonly #negated: boolean;

  private constructor(type: MatchType, name: string, value: string, plan: RegexPlan) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.#test = plan.test;
    this.#set = plan.set;
    this.#negated = type === '!=' || type === '!~';
    this.matchesEmpty = this.matches('');
  }

  /** Builds a matcher; throws ERR_INVALID_MATCHER for an unknown type or a bad regex. */
  static create(type: MatchType, name: string, value: string): Matcher {
    if (!MATCH_TYPES.has(type)) throw invalidMatcher(`unknown match type ${JSON.stringify(type)}`);
    const plan: RegexPlan =
      type === '=' || type === '!='
        ? { test: (s) => s === value, set: [value] }
        : planRegex(value);
    return new Matcher(type, name, value, plan);
  }

  static equal(name: string, value: string): Matcher {
    return Matcher.create('=', name, value);
  }
  static notEqual(name: string, value: string): Matcher {
    return Matcher.create('!=', name, value);
  }
  static regex(name: string, value: string): Matcher {
    return Matcher.create('=~', name, value);
  }
  static notRegex(name: string, value: string): Matcher {
    return Matcher.create('!~', name, value);
  }

  /** Whether a label value (the empty string for an absent label) satisfies the matcher. */
  matches(s: string): boolean {
    return this.#test(s) !== this.#negated;
  }

  /** The matcher selecting exactly the values this one rejects (= ↔ !=, =~ ↔ !~). */
  inverse(): Matcher {
    const type: MatchType =
      this.type === '=' ? '!=' : this.type === '!=' ? '=' : this.type === '=~' ? '!~' : '=~';
    return new Matcher(type, this.name, this.value, { test: this.#test, set: this.#set });
  }

  /**
   * For `=~`/`!~` whose regex is an alternation of literals, the exact strings the regex
   * (not the negation) matches; undefined otherwise. Lets an index look postings up directly
   * instead of testing every label value (Prometheus's SetMatches).
   */
  setMatches(): readonly string[] | undefined {
    return this.type === '=~' || this.type === '!~' ? this.#set : undefined;
  }

  /** PromQL notation, e.g. `job=~"node|push"`. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

/** Decides how to run an (unanchored, user-written) regex, fast path or RE2. */
function planRegex(re: string): RegexPlan {
  const alternatives = literalAlternatives(re);
  if (alternatives) {
    const set = [...new Set(alternatives)];
    if (set.length === 1) {
      const only = set[0];
      return { test: (s) => s === only, set };
    }
    if (set.length > SET_LOOKUP_THRESHOLD) {
      const lookup = new Set(set);
      return { test: (s) => lookup.has(s), set };
    }
    return { test: (s) => set.includes(s), set };
  }
  const fast = wildcardPlan(re);
  if (fast) return { test: fast, set: undefined };
  return { test: compileRe2(re), set: undefined };
}

/**
 * Handles `.*`, `.+`, `lit.*`, `.*lit`, `.*lit.*` without a regex engine. With the `s`
 * flag `.` matches any character, so these are exactly startsWith/endsWith/includes.
 */
function wildcardPlan(re: string): Predicate | undefined {
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
 * returns them unescaped; otherwise undefined. Escapes of letters and digits (`\d`, `\pL`,
 * `\Q`) are classes or operators in RE2, so they disqualify.
 */
function literalAlternatives(re: string): string[] | undefined {
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

/** Compiles with RE2, anchored and dot-all as Prometheus does. */
function compileRe2(re: string): Predicate {
  try {
    // Compile alone first so that `a)|(b` cannot sneak through the wrapping group.
    RE2JS.compile(re);
    const compiled = RE2JS.compile(`^(?s:${re})$`);
    return (s) => compiled.matches(s);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw invalidMatcher(`invalid regular expression ${JSON.stringify(re)}: ${msg}`, e);
  }
}
