/**
 * Label matchers with PromQL semantics: `=`, `!=`, `=~`, `!~`.
 *
 * - A label a series lacks has the value '' (Labels drop empty values), so a matcher that
 *   matches '' also matches series without the label: `{env=""}`, `{env!="prod"}`,
 *   `{env=~"|dev"}` all select series with no `env`.
 * - Regexes are fully anchored and use RE2 syntax with `.` matching newlines, exactly as
 *   Prometheus 3 compiles them (see regex/anchored-regex.ts, which also skips the regex
 *   engine for common shapes). An alternation of literals (`a|b|c`) is also turned into
 *   direct postings lookups by the index via setMatches().
 */
import { compileAnchored } from '../regex/anchored-regex.js';
import { invalidMatcher } from './errors.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

const MATCH_TYPES: ReadonlySet<string> = new Set(['=', '!=', '=~', '!~']);

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
  try {
    const compiled = compileAnchored(re, { checkUnwrapped: true });
    return { test: compiled.test, set: compiled.literals };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw invalidMatcher(`invalid regular expression ${JSON.stringify(re)}: ${msg}`, e);
  }
}
