/**
 * Relabeling exactly as Prometheus's model/relabel does it. Configs are validated by the
 * config schema (@edgeprom/shared/config, Prometheus's checks and messages); here they are
 * compiled once (`compileRelabel`) and applied many times (`relabel`): metric_relabel_configs
 * run for every new series of every scrape, so regexes and templates are prepared up front.
 *
 * Label names are validated with the legacy (ASCII) scheme, as in Prometheus 2 and in
 * Prometheus 3 with `metric_name_validation_scheme: legacy`: a `replace` whose expanded
 * target label is not a valid name changes nothing.
 */
import { createHash } from 'node:crypto';
import { isValidLabelName, type Labels } from '@edgeprom/shared';
import type { RelabelAction, RelabelConfig } from '@edgeprom/shared/config';
import { LabelsBuilder } from './builder.js';
import { goToLower, goToUpper } from './go-case.js';
import { DEFAULT_REGEX, RelabelRegex, expand, hasVariable, parseTemplate, type Template } from './regex.js';

/** The fields of a relabel config; every one is optional, with Prometheus's defaults. */
export type RelabelInput = Partial<RelabelConfig>;

/** One relabel config, ready to run. */
export interface CompiledRelabel {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RelabelRegex;
  readonly targetLabel: string;
  readonly replacement: string;
  readonly modulus: number;
  readonly targetTemplate: Template;
  readonly replacementTemplate: Template;
  /** Prometheus's fast path for `replace`: default regex, no `$` in target or replacement. */
  readonly staticReplace: boolean;
}

/** Compiled configs, applied in order. */
export type RelabelProgram = readonly CompiledRelabel[];

const regexCache = new Map<string, RelabelRegex>();

/** One compiled regex per source text: jobs often repeat the same patterns. */
function compileRegex(source: string): RelabelRegex {
  let re = regexCache.get(source);
  if (re === undefined) {
    re = new RelabelRegex(source);
    if (regexCache.size < 10_000) regexCache.set(source, re);
  }
  return re;
}

export function compileRelabel(configs: readonly RelabelInput[]): RelabelProgram {
  return configs.map((c) => {
    const regex = compileRegex(c.regex ?? DEFAULT_REGEX);
    const targetLabel = c.target_label ?? '';
    const replacement = c.replacement ?? '$1';
    return {
      action: ((c.action ?? 'replace').toLowerCase() as RelabelAction),
      sourceLabels: c.source_labels ?? [],
      separator: c.separator ?? ';',
      regex,
      targetLabel,
      replacement,
      modulus: c.modulus ?? 0,
      targetTemplate: parseTemplate(targetLabel, regex),
      replacementTemplate: parseTemplate(replacement, regex),
      staticReplace: regex.source === DEFAULT_REGEX && !hasVariable(targetLabel) && !hasVariable(replacement),
    };
  });
}

/**
 * Applies the configs in order. Returns the resulting labels (the input object itself when
 * nothing changed), or null when a config dropped the set.
 */
export function relabel(labels: Labels, program: RelabelProgram): Labels | null {
  if (program.length === 0) return labels;
  const b = new LabelsBuilder(labels);
  return relabelBuilder(b, program) ? b.labels() : null;
}

/** Like relabel, on a builder the caller owns. Returns false when the set is dropped. */
export function relabelBuilder(b: LabelsBuilder, program: RelabelProgram): boolean {
  for (let i = 0; i < program.length; i++) if (!step(program[i], b)) return false;
  return true;
}

function sourceValue(c: CompiledRelabel, b: LabelsBuilder): string {
  const names = c.sourceLabels;
  if (names.length === 0) return '';
  if (names.length === 1) return b.get(names[0]);
  let val = b.get(names[0]);
  for (let i = 1; i < names.length; i++) val += c.separator + b.get(names[i]);
  return val;
}

function step(c: CompiledRelabel, b: LabelsBuilder): boolean {
  const val = sourceValue(c, b);
  switch (c.action) {
    case 'drop':
      return !c.regex.matches(val);
    case 'keep':
      return c.regex.matches(val);
    case 'dropequal':
      return b.get(c.targetLabel) !== val;
    case 'keepequal':
      return b.get(c.targetLabel) === val;
    case 'replace': {
      if (val === '' && c.staticReplace) {
        b.set(c.targetLabel, c.replacement);
        return true;
      }
      const groups = c.regex.exec(val);
      if (groups === undefined) return true;
      const target = expand(c.targetTemplate, groups);
      if (!isValidLabelName(target)) return true;
      const res = expand(c.replacementTemplate, groups);
      if (res === '') b.del(target);
      else b.set(target, res);
      return true;
    }
    case 'lowercase':
      b.set(c.targetLabel, goToLower(val));
      return true;
    case 'uppercase':
      b.set(c.targetLabel, goToUpper(val));
      return true;
    case 'hashmod':
      b.set(c.targetLabel, hashmod(val, c.modulus));
      return true;
    case 'labelmap':
      b.range((name, value) => {
        const groups = c.regex.matches(name) ? c.regex.exec(name) : undefined;
        if (groups !== undefined) b.set(expand(c.replacementTemplate, groups), value);
      });
      return true;
    case 'labeldrop':
      b.range((name) => {
        if (c.regex.matches(name)) b.del(name);
      });
      return true;
    case 'labelkeep':
      b.range((name) => {
        if (!c.regex.matches(name)) b.del(name);
      });
      return true;
    default:
      throw new Error(`relabel: unknown relabel action type ${JSON.stringify(c.action)}`);
  }
}

/**
 * The md5 of the value; its last 8 bytes as a big-endian uint64, modulo the modulus, as
 * Prometheus computes it (it keeps the last 8 bytes for compatibility with older versions).
 */
export function hashmod(val: string, modulus: number): string {
  const d = createHash('md5').update(val, 'utf8').digest();
  const x = d.readBigUInt64BE(8);
  return (x % BigInt(modulus)).toString();
}
