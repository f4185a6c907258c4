/**
 * Every expression evaluated by Prometheus's PromQL conformance files
 * (../shared/conformance/promql/*.test) must parse, unless the file expects the evaluation
 * to fail with a parse error, in which case it must fail with that message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromQLParseError } from './errors.js';
import { parseExpr } from './parser.js';
import type { ParseOptions } from './parser-core.js';
import { defaultConformanceDir } from '../promqltest/conformance-dir.js';

const DIR = defaultConformanceDir();

// The upstream harness enables every experimental feature.
const OPTIONS: ParseOptions = {
  enableExperimentalFunctions: true,
  experimentalDurationExpr: true,
  enableExtendedRangeSelectors: true,
  enableBinopFillModifiers: true,
};

interface Eval {
  file: string;
  line: number;
  expr: string;
  /** `expect fail msg: ...` / `expect fail regex: ...`, when given. */
  failMsg?: string;
  failRegex?: RegExp;
}

const EVAL = /^(eval(?:_fail|_warn|_info|_ordered)?)\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.+)$/;

function readEvals(): Eval[] {
  const out: Eval[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.test')).sort()) {
    const lines = readFileSync(join(DIR, file), 'utf8').split('\n');
    let current: Eval | undefined;
    lines.forEach((raw, i) => {
      const m = EVAL.exec(raw.trim());
      if (m !== null && !raw.startsWith(' ') && !raw.startsWith('\t')) {
        current = { file, line: i + 1, expr: m[2]!.trim() };
        out.push(current);
        return;
      }
      const fail = /^\s+expect fail (msg|regex):\s?(.*)$/.exec(raw);
      if (fail !== null && current !== undefined) {
        if (fail[1] === 'msg') current.failMsg = fail[2]!.trim();
        else current.failRegex = new RegExp(fail[2]!.trim());
      }
      if (raw.trim() === '' || /^(load|clear|eval)/.test(raw)) current = undefined;
    });
  }
  return out;
}

/** Whether an expected failure message is about parsing rather than evaluation. */
function isParseFailure(e: Eval): boolean {
  return /parse error/.test(e.failMsg ?? '') || /parse error/.test(e.failRegex?.source ?? '');
}

const evals = readEvals();

describe('conformance expressions', () => {
  it('finds the eval commands', () => {
    expect(evals.length).toBeGreaterThan(2000);
  });

  it('parses every expression the files expect to parse', () => {
    const failures: string[] = [];
    let parsed = 0;
    for (const e of evals) {
      let err: unknown;
      try {
        parseExpr(e.expr, OPTIONS);
        parsed++;
      } catch (x) {
        err = x;
      }
      if (isParseFailure(e)) {
        const msg = err instanceof PromQLParseError ? err.message : '';
        const ok = e.failMsg !== undefined ? msg.includes(e.failMsg) : e.failRegex!.test(msg);
        if (!ok) failures.push(`${e.file}:${e.line}: expected parse failure ${e.failMsg ?? e.failRegex}: ${e.expr}`);
      } else if (err !== undefined) {
        failures.push(`${e.file}:${e.line}: ${(err as Error).message}: ${e.expr}`);
      }
    }
    console.log(`conformance: ${parsed} of ${evals.length} eval expressions parse`);
    expect(failures).toEqual([]);
  });
});
