/**
 * The promqltest file format (Prometheus's promql/promqltest): `load`, `clear` and `eval`
 * commands with their expectations. Pure: the file's text in, commands out. Follows the
 * upstream parser (test.go): comments and indentation are stripped, a blank line ends a
 * command's block.
 */
import type { Labels } from '@edgeprom/shared';
import { parseDurationNs } from '../parser/index.js';
import { parseNumberText, parseSeriesDesc, parseValues, SeriesDescError, type SeqValue } from './series-desc.js';

export interface LoadCmd {
  kind: 'load';
  line: number;
  intervalMs: number;
  withNhcb: boolean;
  series: { labels: Labels; values: SeqValue[]; hasHistogram: boolean }[];
}

export interface ClearCmd {
  kind: 'clear';
  line: number;
}

export interface Expectation {
  message?: string;
  regex?: RegExp;
}

export interface EvalCmd {
  kind: 'eval';
  line: number;
  expr: string;
  isRange: boolean;
  /** ms since the epoch. For instant evals start = end = eval time (unless a range vector is expected). */
  start: number;
  end: number;
  step: number;
  evalTime: number;
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  failMessage?: string;
  failRegexp?: RegExp;
  expectFail: Expectation[];
  expectWarn: Expectation[];
  expectInfo: Expectation[];
  expectNoWarn: boolean;
  expectNoInfo: boolean;
  expectOrdered: boolean;
  expectScalar: boolean;
  /** Expected series in order; `pos` 1-based as upstream. */
  expected: { labels: Labels; values: SeqValue[]; pos: number }[];
  expectedString?: string;
  excludeFromRangeQuery: boolean;
  /** The expected output mentions a native histogram. */
  expectsHistogram: boolean;
  /** The expected block could not be parsed: the eval fails with this reason. */
  parseError?: string;
}

export type TestCmd = LoadCmd | ClearCmd | EvalCmd;

const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const PAT_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;

export class TestFileError extends Error {}

/** A Prometheus duration (`5m`, `1h30m`, `0`) in ms. */
export function durationMs(s: string): number {
  if (s === '0') return 0;
  try {
    return Number(parseDurationNs(s) / 1_000_000n);
  } catch {
    throw new TestFileError(`invalid duration ${JSON.stringify(s)}`);
  }
}

/** Go's strconv.ParseInt(s, 0, 64) then ParseFloat, as upstream's parseNumber. */
function parseNumberLine(s: string): number | null {
  if (!/^[+-]?(?:inf(?:inity)?|nan|0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/i.test(s)) {
    return null;
  }
  try {
    return parseNumberText(s);
  } catch {
    return null;
  }
}

function goUnquote(s: string): string {
  if (s.length >= 2 && s[0] === '`' && s[s.length - 1] === '`') return s.slice(1, -1);
  if (s.length >= 2 && s[0] === '"' && s[s.length - 1] === '"') return JSON.parse(s) as string;
  throw new TestFileError('expected string literal not valid - check that the string is correctly quoted');
}

export function parseTestFile(input: string): TestCmd[] {
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: TestCmd[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    const c = l.split(/[\t ]+/, 1)[0].toLowerCase();
    if (c === 'clear') {
      cmds.push({ kind: 'clear', line: i + 1 });
    } else if (c.startsWith('load')) {
      const m = PAT_LOAD.exec(l);
      if (!m) throw new TestFileError(`line ${i + 1}: invalid load command`);
      const cmd: LoadCmd = { kind: 'load', line: i + 1, intervalMs: durationMs(m[2]), withNhcb: m[1] === 'with_nhcb', series: [] };
      while (i + 1 < lines.length && lines[i + 1] !== '') {
        i++;
        const def = lines[i];
        const sp = def.search(/[ \t]/);
        if (sp >= 0 && def.slice(0, sp).endsWith('@st')) continue; // start timestamps: not modelled
        try {
          cmd.series.push(parseSeriesDesc(def));
        } catch (e) {
          throw new TestFileError(`line ${i + 1}: ${(e as Error).message}`);
        }
      }
      cmds.push(cmd);
    } else if (c.startsWith('eval')) {
      i = parseEval(lines, i, cmds);
    } else {
      throw new TestFileError(`line ${i + 1}: invalid command ${JSON.stringify(l)}`);
    }
  }
  return cmds;
}

function parseEval(lines: string[], i: number, cmds: TestCmd[]): number {
  const l = lines[i];
  const inst = PAT_EVAL_INSTANT.exec(l);
  const rng = inst ? null : PAT_EVAL_RANGE.exec(l);
  if (!inst && !rng) throw new TestFileError(`line ${i + 1}: invalid evaluation command`);
  const cmd: EvalCmd = {
    kind: 'eval',
    line: i + 1,
    expr: '',
    isRange: rng !== null,
    start: 0,
    end: 0,
    step: 0,
    evalTime: 0,
    fail: false,
    warn: false,
    info: false,
    ordered: false,
    expectFail: [],
    expectWarn: [],
    expectInfo: [],
    expectNoWarn: false,
    expectNoInfo: false,
    expectOrdered: false,
    expectScalar: false,
    expected: [],
    excludeFromRangeQuery: false,
    expectsHistogram: false,
  };
  let mod: string | undefined;
  if (inst) {
    mod = inst[1];
    cmd.expr = inst[3];
    cmd.start = cmd.end = cmd.evalTime = durationMs(inst[2] ?? '0');
  } else {
    mod = rng![1];
    cmd.expr = rng![5];
    cmd.start = durationMs(rng![2]);
    cmd.end = durationMs(rng![3]);
    cmd.step = durationMs(rng![4]);
  }
  if (mod === 'ordered') cmd.ordered = true;
  else if (mod === 'fail') cmd.fail = true;
  else if (mod === 'warn') cmd.warn = true;
  else if (mod === 'info') cmd.info = true;
  let expectRangeVector = false;
  let j = 1;
  for (; i + 1 < lines.length; j++) {
    i++;
    const def = lines[i];
    if (def === '') {
      i--;
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.failMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.failRegexp = new RegExp(def.slice('expected_fail_regexp'.length).trim());
      break;
    }
    if (def.startsWith('expect range vector')) {
      const m = PAT_EXPECT_RANGE.exec(def);
      if (!m) {
        cmd.parseError = `invalid range vector definition ${JSON.stringify(def)}`;
        continue;
      }
      expectRangeVector = true;
      cmd.start = durationMs(m[1]);
      cmd.end = durationMs(m[2]);
      cmd.step = durationMs(m[3]);
      cmd.evalTime = cmd.end;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.startsWith('expect string')) {
      try {
        cmd.expectedString = goUnquote(def.slice('expect string '.length));
      } catch (e) {
        cmd.parseError = (e as Error).message;
      }
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.split(' ')[0] === 'expect') {
      const m = PAT_EXPECT.exec(def);
      if (!m) {
        cmd.parseError = `invalid expect statement ${JSON.stringify(def)}`;
        continue;
      }
      const exp: Expectation = {};
      if (m[2] === 'msg') exp.message = m[3].trim();
      else if (m[2] === 'regex') exp.regex = new RegExp(m[3].trim());
      else exp.regex = /^.*$/s;
      switch (m[1]) {
        case 'fail':
          cmd.expectFail.push(exp);
          break;
        case 'warn':
          cmd.expectWarn.push(exp);
          break;
        case 'info':
          cmd.expectInfo.push(exp);
          break;
        case 'no_warn':
          cmd.expectNoWarn = true;
          break;
        case 'no_info':
          cmd.expectNoInfo = true;
          break;
        case 'ordered':
          cmd.expectOrdered = true;
          break;
      }
      j--;
      continue;
    }
    const f = parseNumberLine(def);
    if (f !== null) {
      cmd.expectScalar = true;
      cmd.expected = [{ labels: undefined as unknown as Labels, values: [{ kind: 'float', value: f }], pos: 0 }];
      break;
    }
    try {
      const sd = parseSeriesDesc(def);
      if (sd.hasHistogram) cmd.expectsHistogram = true;
      if (sd.values.length > 1 && !cmd.isRange && !expectRangeVector) {
        cmd.parseError = 'expecting multiple values in instant evaluation not allowed';
      }
      cmd.expectScalar = false;
      cmd.expected.push({ labels: sd.labels, values: sd.values, pos: j });
    } catch (e) {
      if (def.includes('{{')) cmd.expectsHistogram = true;
      cmd.parseError = e instanceof SeriesDescError ? e.message : String(e);
    }
  }
  cmds.push(cmd);
  return i;
}

export { parseValues };
