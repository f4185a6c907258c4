/**
 * The OpenMetrics conformance suite (OpenObservability/OpenMetrics tests/testdata/parsers):
 * each case is a directory with `test.json` ({type, file, shouldParse}) and the body. Good
 * cases must parse with format 'openmetrics'; bad ones must be rejected with a ParseError or
 * LimitError (any other exception is a failure: the parser promises only those two).
 *
 * The data lives beside the repository, in ../shared/conformance (read-only), or at
 * $EDGEPROM_CONFORMANCE_DIR.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LimitError, ParseError } from '../errors.js';
import { parseExposition } from '../exposition/parse.js';

/**
 * Cases we knowingly fail, each with the reason. Failures listed here still count as
 * failed in the summary but do not fail the run. Keep it empty unless a case is a genuine
 * disagreement with the spec.
 */
export const KNOWN_GAPS: Readonly<Record<string, string>> = Object.freeze({});

export interface ConformanceCase {
  name: string;
  shouldParse: boolean;
  body: Uint8Array;
  comment?: string;
}

export interface CaseResult {
  name: string;
  passed: boolean;
  shouldParse: boolean;
  /** Why it failed, or (for a rejected bad case) the parser's message. */
  detail: string;
  /** Set when the case failed and is a known gap. */
  knownGap?: string;
}

export interface ConformanceReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  /** Failures not excused by KNOWN_GAPS: the run fails when this is not zero. */
  unexpected: number;
}

/**
 * The directory holding the case directories. `root` is the conformance root
 * (EDGEPROM_CONFORMANCE_DIR, or ../shared/conformance beside the repository).
 */
export function openMetricsCasesDir(root: string): string {
  const candidates = [join(root, 'openmetrics', 'testdata', 'parsers'), join(root, 'testdata', 'parsers'), root];
  return candidates.find((d) => existsSync(d) && statSync(d).isDirectory()) ?? candidates[0];
}

/** The conformance root: $EDGEPROM_CONFORMANCE_DIR, else `<repo>/../shared/conformance`. */
export function defaultConformanceRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGEPROM_CONFORMANCE_DIR) return resolve(env.EDGEPROM_CONFORMANCE_DIR);
  // This file is shared/{src,dist}/conformance/openmetrics.{ts,js}: the repository is 3 up.
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return resolve(repo, '..', 'shared', 'conformance');
}

export function loadCases(dir: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const name of readdirSync(dir).sort()) {
    const caseDir = join(dir, name);
    const specPath = join(caseDir, 'test.json');
    if (!statSync(caseDir).isDirectory() || !existsSync(specPath)) continue;
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
      type?: string;
      file?: string;
      shouldParse?: boolean;
      comment?: string;
    };
    if (spec.type !== undefined && spec.type !== 'text') {
      throw new Error(`${name}: unsupported case type ${JSON.stringify(spec.type)}`);
    }
    cases.push({
      name,
      shouldParse: spec.shouldParse === true,
      body: new Uint8Array(readFileSync(join(caseDir, spec.file ?? 'metrics'))),
      comment: spec.comment,
    });
  }
  return cases;
}

export function runCase(c: ConformanceCase, knownGaps: Readonly<Record<string, string>> = KNOWN_GAPS): CaseResult {
  let passed: boolean;
  let detail: string;
  try {
    parseExposition(c.body, { format: 'openmetrics', source: c.name });
    passed = c.shouldParse;
    detail = c.shouldParse ? 'parsed' : 'expected a rejection, but it parsed';
  } catch (e) {
    if (e instanceof ParseError || e instanceof LimitError) {
      passed = !c.shouldParse;
      detail = c.shouldParse ? `expected to parse, got: ${e.message}` : e.message;
    } else {
      passed = false;
      detail = `unexpected exception (only ParseError/LimitError are allowed): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
  }
  const result: CaseResult = { name: c.name, passed, shouldParse: c.shouldParse, detail };
  if (!passed && Object.hasOwn(knownGaps, c.name)) result.knownGap = knownGaps[c.name];
  return result;
}

export function runConformance(cases: readonly ConformanceCase[], knownGaps = KNOWN_GAPS): ConformanceReport {
  const results = cases.map((c) => runCase(c, knownGaps));
  const failed = results.filter((r) => !r.passed).length;
  return {
    results,
    passed: results.length - failed,
    failed,
    unexpected: results.filter((r) => !r.passed && r.knownGap === undefined).length,
  };
}

/** One line per failure, then exactly `N passed, M failed`. */
export function formatReport(report: ConformanceReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    if (r.passed) continue;
    lines.push(`${r.knownGap === undefined ? 'FAIL' : 'KNOWN GAP'} ${r.name}: ${r.detail}${r.knownGap ? ` (${r.knownGap})` : ''}`);
  }
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}
