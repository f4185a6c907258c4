/**
 * Relabel regexes: anchored and dot-all exactly as Prometheus compiles them
 * (`^(?s:<re>)$`, RE2 semantics via re2js, linear time), plus Go's `Regexp.Expand` for
 * `$1`, `${1}`, `$name` and `${name}` in replacements and target labels.
 *
 * The shapes configs mostly use (literals, alternations of literals, `.*`, `foo.*`) skip the
 * regex engine entirely; see regex/anchored-regex.ts. They have no groups, so for them a
 * match's only group is the whole value.
 */
import type { RE2JS } from 're2js';
import { EdgepromError } from '@edgeprom/shared';
import { compileAnchored, type AnchoredRegex } from '../regex/anchored-regex.js';

/** The default regex: `(.*)` captures the whole value, so no engine is needed for it. */
export const DEFAULT_REGEX = '(.*)';

export class RelabelRegex {
  readonly source: string;
  /** Capturing groups, not counting group 0. */
  readonly groupCount: number;
  /** Named groups: name to index. */
  readonly names: ReadonlyMap<string, number>;
  readonly #re: RE2JS | undefined;
  readonly #test: (s: string) => boolean;

  constructor(source: string) {
    this.source = source;
    if (source === DEFAULT_REGEX) {
      this.#re = undefined;
      this.groupCount = 1;
      this.names = new Map();
      this.#test = () => true;
      return;
    }
    let compiled: AnchoredRegex;
    try {
      compiled = compileAnchored(source);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new EdgepromError('ERR_INVALID_REGEX', `invalid regular expression ${JSON.stringify(source)}: ${msg}`, { cause: e });
    }
    const re = compiled.re2;
    this.#re = re;
    this.#test = compiled.test;
    const names = new Map<string, number>();
    if (re === undefined) {
      // A fast-path shape (literals, `.*`, `foo.*`, ...): no groups, the match is s itself.
      this.groupCount = 0;
    } else {
      this.groupCount = re.groupCount();
      const ng = re.namedGroups() as Record<string, number>;
      for (const k of Object.keys(ng)) names.set(k, ng[k]);
    }
    this.names = names;
  }

  matches(s: string): boolean {
    return this.#test(s);
  }

  /**
   * The groups of a whole-string match (index 0 is the match; undefined for a group that
   * did not take part), or undefined when s does not match.
   */
  exec(s: string): (string | undefined)[] | undefined {
    const re = this.#re;
    if (re === undefined) {
      if (this.source === DEFAULT_REGEX) return [s, s];
      return this.#test(s) ? [s] : undefined;
    }
    const m = re.matcher(s);
    if (!m.matches()) return undefined;
    const out: (string | undefined)[] = new Array(this.groupCount + 1);
    for (let i = 0; i <= this.groupCount; i++) {
      const g = m.group(i);
      out[i] = g === null ? undefined : g;
    }
    return out;
  }
}

/** A template split into literal text and group references, resolved once. */
export type Template = readonly (string | number)[];

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

/**
 * Parses a replacement template as Go's Regexp.Expand reads it: `$$` is `$`; `$name` takes
 * the longest run of letters, digits and `_` (so `$1x` means `${1x}`); `${name}` is braced;
 * a number (no leading zero, below 1e8) is a group index, anything else a group name; a
 * reference to a group that does not exist expands to nothing; a `$` not followed by a
 * valid name is literal. Numbers index groups; -1 stands for an unknown reference.
 */
export function parseTemplate(template: string, re: RelabelRegex): Template {
  const out: (string | number)[] = [];
  let lit = '';
  let rest = template;
  for (;;) {
    const d = rest.indexOf('$');
    if (d < 0) break;
    lit += rest.slice(0, d);
    rest = rest.slice(d + 1);
    if (rest.startsWith('$')) {
      lit += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractName(rest);
    if (ref === undefined) {
      lit += '$';
      continue;
    }
    rest = ref.rest;
    if (lit !== '') out.push(lit);
    lit = '';
    out.push(groupIndex(ref.name, re));
  }
  lit += rest;
  if (lit !== '') out.push(lit);
  return out;
}

function extractName(s: string): { name: string; rest: string } | undefined {
  if (s === '') return undefined;
  const brace = s[0] === '{';
  const body = brace ? s.slice(1) : s;
  let i = 0;
  for (const ch of body) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = body.slice(0, i);
  if (brace) {
    if (body[i] !== '}') return undefined;
    i++;
  }
  return { name, rest: body.slice(i) };
}

function groupIndex(name: string, re: RelabelRegex): number {
  let num = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  if (num >= 0) return num <= re.groupCount ? num : -1;
  return re.names.get(name) ?? -1;
}

/** Expands a parsed template with the groups of a match. */
export function expand(t: Template, groups: readonly (string | undefined)[]): string {
  if (t.length === 1 && typeof t[0] === 'string') return t[0];
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const p = t[i];
    if (typeof p === 'string') out += p;
    else if (p >= 0) out += groups[p] ?? '';
  }
  return out;
}

/** Whether a template refers to any group (contains `$`), as Prometheus checks. */
export function hasVariable(template: string): boolean {
  return template.includes('$');
}
