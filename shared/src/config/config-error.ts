/**
 * The one error a config load raises: `ERR_CONFIG`, with every problem found as an issue that
 * names the file, the line:column, the path in Prometheus style and the reason:
 *
 *     aggregator.yml:14:22: scrape_configs[2].scrape_interval: not a valid duration "15x": unknown unit "x"
 */
import { EdgepromError } from '../errors.js';

export interface ConfigIssue {
  /** The file name (or the name the caller gave the text). */
  readonly source: string;
  /** Prometheus-style path, e.g. `scrape_configs[2].scrape_interval`; '' for the whole document. */
  readonly path: string;
  /** The same path as keys and indices. */
  readonly segments: readonly (string | number)[];
  /** 1-based position of the offending node (or its nearest ancestor) when known. */
  readonly line?: number;
  readonly column?: number;
  /** Why, e.g. `not a valid duration "15x": unknown unit "x"`. */
  readonly reason: string;
}

/** At most this many issues are kept; a broken file would otherwise yield thousands. */
export const MAX_CONFIG_ISSUES = 50;

export class ConfigError extends EdgepromError {
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const list = issues.length > 0 ? issues : [{ source, path: '', segments: [], reason: 'invalid configuration' }];
    super('ERR_CONFIG', list.map(formatConfigIssue).join('\n'), options);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = list;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `['scrape_configs', 2, 'scrape_interval']` → `scrape_configs[2].scrape_interval`. */
export function formatConfigPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const name = String(s);
      if (IDENT.test(name)) out += out === '' ? name : `.${name}`;
      else out += `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}

/** `file:line:col: path: reason`, leaving out the parts that are unknown. */
export function formatConfigIssue(issue: ConfigIssue): string {
  let where = issue.source;
  if (issue.line !== undefined) where += `:${issue.line}:${issue.column ?? 1}`;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}`;
}
