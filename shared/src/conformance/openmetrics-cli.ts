/**
 * `pnpm conformance:openmetrics`: runs the parser over the OpenMetrics conformance cases,
 * prints each failure and then `N passed, M failed`. Exits 1 on a failure that is not a
 * listed known gap, 2 when the cases cannot be read.
 */
import {
  defaultConformanceRoot,
  formatReport,
  loadCases,
  openMetricsCasesDir,
  runConformance,
} from './openmetrics.js';

function main(): number {
  const dir = openMetricsCasesDir(defaultConformanceRoot());
  let cases;
  try {
    cases = loadCases(dir);
  } catch (e) {
    console.error(`cannot read the OpenMetrics conformance cases in ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    console.error('set EDGEPROM_CONFORMANCE_DIR to the conformance root (the folder holding openmetrics/)');
    return 2;
  }
  if (cases.length === 0) {
    console.error(`no conformance cases found in ${dir}`);
    return 2;
  }
  const report = runConformance(cases);
  console.log(formatReport(report));
  return report.unexpected > 0 ? 1 : 0;
}

process.exitCode = main();
