/** The report lines of a conformance run. */
import type { EvalOutcome, FileReport } from './runner.js';

/**
 * Known gaps: why an eval is expected to fail today. Failures outside these classes are
 * regressions or new gaps and are listed as `unexplained`.
 */
export function gapOf(file: string, e: EvalOutcome): string {
  if (e.histogram) return 'native histograms are not supported yet (storage and evaluation are float-only)';
  if (file === 'start_timestamps.test') return 'start timestamps (`@st` load lines) are not modelled by storage';
  return 'unexplained';
}

export function summarize(reports: FileReport[], verbose: boolean): string[] {
  const out: string[] = [];
  let p = 0, f = 0, fp = 0, ff = 0;
  const gaps = new Map<string, number>();
  for (const r of reports) {
    const passed = r.evals.filter((e) => e.passed).length;
    const failed = r.evals.length - passed;
    p += passed;
    f += failed;
    for (const e of r.evals) {
      if (!e.passed) {
        const g = gapOf(r.file, e);
        gaps.set(g, (gaps.get(g) ?? 0) + 1);
      }
      if (e.histogram) continue;
      if (e.passed) fp++;
      else ff++;
    }
    out.push(`${r.file}: ${passed} passed, ${failed} failed`);
    if (verbose) {
      for (const e of r.evals) {
        if (!e.passed) out.push(`  ${r.file}:${e.line}${e.histogram ? ' [histogram]' : ''}: ${e.expr}\n      ${e.reason}`);
      }
    }
  }
  if (verbose && gaps.size > 0) {
    out.push('known gaps:');
    for (const [g, n] of gaps) out.push(`  ${n} failed: ${g}`);
  }
  out.push(`float subset: ${fp} passed, ${ff} failed`);
  out.push(`${p} passed, ${f} failed`);
  return out;
}
