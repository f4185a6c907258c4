import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultConformanceRoot,
  formatReport,
  KNOWN_GAPS,
  loadCases,
  openMetricsCasesDir,
  runCase,
  runConformance,
} from './openmetrics.js';

const dir = openMetricsCasesDir(defaultConformanceRoot());

describe('OpenMetrics conformance suite', () => {
  it('finds the cases beside the repository (or at $EDGEPROM_CONFORMANCE_DIR)', () => {
    expect(existsSync(dir), `no conformance data at ${dir}`).toBe(true);
    expect(loadCases(dir).length).toBe(211);
  });

  it('passes every case except the listed known gaps', () => {
    const report = runConformance(loadCases(dir));
    const unexpected = report.results.filter((r) => !r.passed && r.knownGap === undefined);
    expect(unexpected.map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
    // A listed gap that now passes should leave the list.
    const fixed = Object.keys(KNOWN_GAPS).filter((name) => report.results.find((r) => r.name === name)?.passed);
    expect(fixed).toEqual([]);
    expect(formatReport(report).split('\n').at(-1)).toBe(`${report.passed} passed, ${report.failed} failed`);
  });

  it('rejects a bad case only with ParseError or LimitError, and reports other exceptions as failures', () => {
    const good = { name: 'x', shouldParse: true, body: new TextEncoder().encode('a 1\n# EOF\n') };
    expect(runCase(good)).toMatchObject({ passed: true });
    expect(runCase({ ...good, shouldParse: false })).toMatchObject({ passed: false, detail: 'expected a rejection, but it parsed' });
    const bad = { name: 'y', shouldParse: false, body: new TextEncoder().encode('a 1\n') };
    expect(runCase(bad)).toMatchObject({ passed: true, detail: 'y:2:1: missing "# EOF" at the end of OpenMetrics input' });
    expect(runCase({ ...bad, shouldParse: true }, { y: 'a reason' })).toMatchObject({ passed: false, knownGap: 'a reason' });
  });

  it('prints one line per failure and then the summary alone on the last line', () => {
    const report = runConformance([
      { name: 'ok', shouldParse: true, body: new TextEncoder().encode('# EOF\n') },
      { name: 'bad', shouldParse: true, body: new TextEncoder().encode('a') },
    ]);
    expect(formatReport(report)).toBe('FAIL bad: expected to parse, got: bad:1:2: expected a space and a value after the metric\n1 passed, 1 failed');
    expect(report.unexpected).toBe(1);
  });
});
