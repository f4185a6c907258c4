/**
 * `relabel_configs`, `metric_relabel_configs`, `write_relabel_configs`, `alert_relabel_configs`:
 * Prometheus's relabel.Config, with its defaults and its per-action checks (model/relabel's
 * `Validate`), reporting the first failed check as Prometheus does, in Prometheus's words.
 */
import { z } from 'zod';
import { isValidLabelName } from '../labels.js';
import { labelName, obj, quote, regex, str, uint } from './fields.js';

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export const RELABEL_DEFAULTS = {
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: 'replace' as RelabelAction,
  modulus: 0,
} as const;

/**
 * A target label that may hold `$1`/`${name}` references, as Prometheus's `relabelTarget`
 * pattern allows. Rewritten so that no two branches can match the same text: the original
 * nests quantifiers, which backtracks exponentially in a JS engine.
 */
const RELABEL_TARGET = /^(?:[a-zA-Z_]|\$(?:\{\w+\}|\w))(?:\w|\$(?:\{\w+\}|\w))*$/;

export function isValidRelabelTarget(s: string): boolean {
  return RELABEL_TARGET.test(s);
}

const rawRelabelShape = {
  source_labels: z.array(labelName()).optional(),
  separator: str().optional(),
  regex: regex().optional(),
  modulus: uint().optional(),
  target_label: str().optional(),
  replacement: str().optional(),
  action: str().optional(),
};
type RawRelabel = z.output<z.ZodObject<typeof rawRelabelShape>>;

/** The first Prometheus rule this config breaks: [field to point at, message], or undefined. */
function relabelProblem(c: RawRelabel): [keyof RawRelabel | undefined, string] | undefined {
  const actionInput = c.action ?? RELABEL_DEFAULTS.action;
  const action = actionInput.toLowerCase() as RelabelAction;
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    return ['action', `unknown relabel action ${quote(actionInput)} (use one of ${RELABEL_ACTIONS.join(', ')})`];
  }
  const target = c.target_label ?? '';
  const modulus = c.modulus ?? RELABEL_DEFAULTS.modulus;
  const separator = c.separator ?? RELABEL_DEFAULTS.separator;
  const replacement = c.replacement ?? RELABEL_DEFAULTS.replacement;
  const is = (...as: RelabelAction[]) => as.includes(action);

  if (modulus === 0 && action === 'hashmod') {
    return ['modulus', 'relabel configuration for hashmod requires non-zero modulus'];
  }
  if (is('replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal') && target === '') {
    return [undefined, `relabel configuration for ${action} action requires 'target_label' value`];
  }
  const badTarget = (): [keyof RawRelabel, string] => ['target_label', `${quote(target)} is invalid 'target_label' for ${action} action`];
  if (action === 'replace' && !target.includes('$') && !isValidLabelName(target)) return badTarget();
  if (action === 'replace' && target.includes('$') && !isValidRelabelTarget(target)) return badTarget();
  if (is('lowercase', 'uppercase', 'keepequal', 'dropequal') && !isValidLabelName(target)) return badTarget();
  if (is('lowercase', 'uppercase', 'keepequal', 'dropequal') && replacement !== RELABEL_DEFAULTS.replacement) {
    return ['replacement', `'replacement' can not be set for ${action} action`];
  }
  if (action === 'labelmap' && !isValidRelabelTarget(replacement)) {
    return ['replacement', `${quote(replacement)} is invalid 'replacement' for ${action} action`];
  }
  if (action === 'hashmod' && !isValidLabelName(target)) return badTarget();
  if (is('keepequal', 'dropequal')) {
    // Prometheus compares the regex by identity with its default, so any regex given counts.
    if (c.regex !== undefined || modulus !== 0 || separator !== RELABEL_DEFAULTS.separator || replacement !== RELABEL_DEFAULTS.replacement) {
      return [undefined, `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`];
    }
  }
  if (is('labeldrop', 'labelkeep')) {
    if (c.source_labels !== undefined || target !== '' || modulus !== 0 || separator !== RELABEL_DEFAULTS.separator || replacement !== RELABEL_DEFAULTS.replacement) {
      return [undefined, `${action} action requires only 'regex', and no other fields`];
    }
  }
  return undefined;
}

export const relabelConfigSchema = obj(rawRelabelShape)
  .superRefine((c, ctx) => {
    const problem = relabelProblem(c);
    if (problem) {
      const [field, message] = problem;
      ctx.addIssue({ code: 'custom', message, path: field && c[field] !== undefined ? [field] : [] });
    }
  })
  .transform((c) => ({
    source_labels: c.source_labels ?? [],
    separator: c.separator ?? RELABEL_DEFAULTS.separator,
    /** Source text; anchored (`^(?:regex)$`) and compiled with RE2 semantics by the aggregator. */
    regex: c.regex ?? RELABEL_DEFAULTS.regex,
    modulus: c.modulus ?? RELABEL_DEFAULTS.modulus,
    target_label: c.target_label ?? '',
    replacement: c.replacement ?? RELABEL_DEFAULTS.replacement,
    action: (c.action ?? RELABEL_DEFAULTS.action).toLowerCase() as RelabelAction,
  }));

export type RelabelConfig = z.output<typeof relabelConfigSchema>;

/** A list of relabel configs; absent means none. */
export const relabelConfigs = () => z.array(relabelConfigSchema).default(() => []);
