/**
 * `node aggregator/dist/promql/promqltest/cli.js [--verbose] [FILE...]`: runs PromQL
 * conformance files (default: every `.test` in ../shared/conformance/promql, or in
 * $EDGEPROM_CONFORMANCE_DIR) and prints per-file counts, the float subset, and last
 * `N passed, M failed`. Failing evals do not change the exit code (known gaps remain);
 * exit 2 when a file cannot be read or parsed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defaultConformanceDir } from './conformance-dir.js';
import { createTestEngine, runTestText, type FileReport } from './runner.js';
import { summarize } from './summary.js';

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  let files = argv.filter((a) => !a.startsWith('-'));
  if (files.length === 0) {
    const dir = defaultConformanceDir();
    try {
      files = readdirSync(dir).filter((n) => n.endsWith('.test')).sort().map((n) => join(dir, n));
    } catch (e) {
      console.error(`cannot read the PromQL conformance files in ${dir}: ${(e as Error).message}`);
      console.error('set EDGEPROM_CONFORMANCE_DIR to the folder holding the .test files');
      return 2;
    }
  }
  const engine = createTestEngine();
  const reports: FileReport[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      console.error(`cannot read ${file}: ${(e as Error).message}`);
      return 2;
    }
    try {
      reports.push(await runTestText(basename(file), text, engine));
    } catch (e) {
      console.error(`cannot run ${file}: ${(e as Error).message}`);
      return 2;
    }
  }
  for (const line of summarize(reports, verbose)) console.log(line);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
