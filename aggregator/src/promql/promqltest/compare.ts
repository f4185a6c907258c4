/** Result comparison of the promqltest harness (upstream compareResult and almost.Equal). */
import { Labels } from '@edgeprom/shared';
import type { QueryValue, Sample } from '../value.js';
import type { FloatHistogram } from '../../storage/index.js';
import type { EvalCmd } from './test-file.js';

const EPSILON = 0.000001;
const MIN_NORMAL = 2.2250738585072014e-308;

export function almostEqual(a: number, b: number, eps = EPSILON): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < eps * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

export class Mismatch extends Error {}

function fail(msg: string): never {
  throw new Mismatch(msg);
}

function isOrdered(cmd: EvalCmd): boolean {
  return cmd.ordered || cmd.expectOrdered;
}

/** Throws Mismatch when `value` is not what `cmd` expects. */
export function compareResult(cmd: EvalCmd, value: QueryValue): void {
  const expected = new Map<string, EvalCmd['expected'][number]>();
  if (!cmd.expectScalar) for (const e of cmd.expected) expected.set(e.labels.key, e);
  switch (value.type) {
    case 'matrix': {
      if (isOrdered(cmd)) fail('expected ordered result, but query returned a matrix');
      if (cmd.expectScalar) fail('expected scalar result, but got matrix');
      assertSorted(value.series.map((s) => s.metric));
      const seen = new Set<string>();
      for (const s of value.series) {
        const exp = expected.get(s.metric.key);
        if (exp === undefined) fail(`unexpected metric ${s.metric.toString()} in result`);
        seen.add(s.metric.key);
        const pts: { t: number; f: number }[] = [];
        const hpts: { t: number; h: FloatHistogram }[] = [];
        for (let i = 0; i < exp.values.length; i++) {
          const t = cmd.start + i * cmd.step;
          if (t > cmd.end) fail(`expected ${exp.values.length} points for ${s.metric.toString()}, but query time range cannot return this many points`);
          const v = exp.values[i];
          if (v.kind === 'histogram') hpts.push({ t, h: v.h });
          if (v.kind === 'float') pts.push({ t, f: v.value });
        }
        const floats = s.points.filter((p) => p.h === undefined);
        const hists = s.points.filter((p) => p.h !== undefined);
        if (pts.length !== floats.length || hpts.length !== hists.length) {
          fail(`expected ${pts.length} float points and ${hpts.length} histogram points for ${s.metric.toString()}, but got ${floats.length} and ${hists.length}: ${pointsText(s.points)}`);
        }
        pts.forEach((p, i) => {
          const a = floats[i];
          if (p.t !== a.t) fail(`expected timestamp ${p.t} at index ${i} for ${s.metric.toString()}, got ${a.t}`);
          if (!almostEqual(a.f, p.f)) fail(`expected ${p.f} at t=${a.t} for ${s.metric.toString()}, got ${a.f}`);
        });
        hpts.forEach((p, i) => {
          const a = hists[i];
          if (p.t !== a.t) fail(`expected histogram timestamp ${p.t} at index ${i} for ${s.metric.toString()}, got ${a.t}`);
          if (!histogramsMatch(p.h, a.h!)) fail(`expected ${p.h.toString()} at t=${a.t} for ${s.metric.toString()}, got ${a.h!.toString()}`);
        });
      }
      for (const [k, e] of expected) if (!seen.has(k)) fail(`expected metric ${e.labels.toString()} not found`);
      return;
    }
    case 'vector':
      return compareVector(cmd, value.samples, expected);
    case 'scalar': {
      if (!cmd.expectScalar) fail(`expected vector or matrix result, but got scalar ${value.v}`);
      const e = cmd.expected[0].values[0];
      if (e.kind !== 'float') fail('expected a histogram');
      if (!almostEqual(e.value, value.v)) fail(`expected scalar ${e.value} but got ${value.v}`);
      return;
    }
    case 'string':
      if (cmd.expectedString !== value.v) fail(`expected string "${cmd.expectedString}" but got "${value.v}"`);
      return;
  }
}

export function compareVector(cmd: EvalCmd, samples: Sample[], expected?: Map<string, EvalCmd['expected'][number]>): void {
  if (expected === undefined) {
    expected = new Map();
    if (!cmd.expectScalar) for (const e of cmd.expected) expected.set(e.labels.key, e);
  }
  if (cmd.expectScalar) fail('expected scalar result, but got vector');
  const seen = new Set<string>();
  samples.forEach((s, pos) => {
    const exp = expected.get(s.metric.key);
    if (exp === undefined) fail(`unexpected metric ${s.metric.toString()} in result, has value ${s.f}`);
    if (isOrdered(cmd) && exp.pos !== pos + 1) {
      fail(`expected metric ${s.metric.toString()} at position ${exp.pos} but was at ${pos + 1}`);
    }
    const e = exp.values[0];
    if (e.kind !== 'histogram' && s.h !== undefined) fail(`expected float value for ${s.metric.toString()} but got histogram ${s.h.toString()}`);
    if (e.kind === 'histogram') {
      if (s.h === undefined) fail(`expected histogram ${e.h.toString()} for ${s.metric.toString()} but got float value ${s.f}`);
      if (!histogramsMatch(e.h, s.h)) fail(`expected ${e.h.toString()} for ${s.metric.toString()} but got ${s.h.toString()}`);
      seen.add(s.metric.key);
      return;
    }
    const ev = e.kind === 'float' ? e.value : 0;
    if (!almostEqual(ev, s.f)) fail(`expected ${ev} for ${s.metric.toString()} but got ${s.f}`);
    seen.add(s.metric.key);
  });
  for (const [k, e] of expected) if (!seen.has(k)) fail(`expected metric ${e.labels.toString()} not found`);
}

function pointsText(ps: { t: number; f: number; h?: FloatHistogram }[]): string {
  return ps.map((p) => `${p.h === undefined ? p.f : p.h.toString()} @${p.t}`).join(', ');
}

/**
 * Upstream's compareNativeHistogram on both sides compacted: same schema, zero threshold,
 * custom bounds and non-empty buckets; counts, sum and bucket counts within 1e-6.
 */
export function histogramsMatch(exp: FloatHistogram, act: FloatHistogram): boolean {
  const e = exp.copy().compact();
  const a = act.copy().compact();
  if (e.schema !== a.schema || !almostEqual(e.count, a.count) || !almostEqual(e.sum, a.sum)) return false;
  if (e.usesCustomBuckets()) {
    if (e.customValues.length !== a.customValues.length || e.customValues.some((v, i) => v !== a.customValues[i])) return false;
  }
  if (e.zeroThreshold !== a.zeroThreshold || !almostEqual(e.zeroCount, a.zeroCount)) return false;
  const side = (ei: number[], ec: number[], ai: number[], ac: number[]): boolean =>
    ei.length === ai.length && ei.every((x, i) => x === ai[i] && almostEqual(ec[i], ac[i]));
  return side(e.pIdx, e.pCnt, a.pIdx, a.pCnt) && side(e.nIdx, e.nCnt, a.nIdx, a.nCnt);
}

function assertSorted(ms: Labels[]): void {
  for (let i = 0; i + 1 < ms.length; i++) {
    if (Labels.compare(ms[i], ms[i + 1]) > 0) fail('matrix results should always be sorted by labels');
  }
}
