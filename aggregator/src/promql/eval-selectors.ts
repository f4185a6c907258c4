/**
 * Reading storage: each selector is selected once per evaluation over the whole time span it
 * needs (all steps, lookback, range, offset, `@`), copied into typed arrays, then walked
 * step by step with moving cursors.
 */
import type { Labels } from '@edgeprom/shared';
import type { LabelMatcher } from './parser/index.js';
import { Matcher, ValueType, isStaleNaN, type FloatHistogram, type Queryable, type SampleIterator } from '../storage/index.js';
import { executionError } from './errors.js';

export interface LoadedSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  /** Histogram samples by index; absent when the series has none in range. */
  hs?: (FloatHistogram | undefined)[];
  n: number;
}

export function toMatchers(ms: readonly LabelMatcher[]): Matcher[] {
  try {
    return ms.map((m) => Matcher.create(m.type, m.name, m.value));
  } catch (e) {
    throw executionError(e instanceof Error ? e.message : String(e));
  }
}

/** Scratch buffers reused across loads (evaluation is synchronous, so never shared). */
let scratchT = new Float64Array(1024);
let scratchV = new Float64Array(1024);
const MAX_SCRATCH = 1 << 20;

/**
 * Loads every series matching `matchers` with samples in [mint, maxt]. With dropStale the
 * stale markers are left out (range selectors never see them).
 */
export function loadSeries(
  queryable: Queryable,
  matchers: readonly Matcher[],
  mint: number,
  maxt: number,
  dropStale: boolean,
  hints?: { step?: number; range?: number; func?: string },
): LoadedSeries[] {
  const q = queryable.querier(mint, maxt);
  try {
    const out: LoadedSeries[] = [];
    let it: SampleIterator | undefined;
    // One scratch buffer for all series, grown as needed; each series keeps an exact copy.
    let ts = scratchT;
    let vs = scratchV;
    for (const s of q.select(matchers, { start: mint, end: maxt, ...hints })) {
      it = s.iterator(it);
      let n = 0;
      let hs: (FloatHistogram | undefined)[] | undefined;
      let vt: ValueType;
      while ((vt = it.next())) {
        const hist = vt === ValueType.FloatHistogram || vt === ValueType.Histogram;
        // A histogram sample keeps 0 in vs; its value is in hs.
        const v = hist ? 0 : it.atV();
        if (!hist && dropStale && v !== v && isStaleNaN(v)) continue;
        if (n === ts.length) {
          const nts = new Float64Array(n * 2);
          const nvs = new Float64Array(n * 2);
          nts.set(ts);
          nvs.set(vs);
          ts = nts;
          vs = nvs;
        }
        if (hist) (hs ??= [])[n] = it.atFloatHistogram!();
        ts[n] = it.atT();
        vs[n] = v;
        n++;
      }
      if (hs !== undefined) hs.length = n;
      if (n > 0 || !dropStale) out.push({ labels: s.labels, ts: ts.slice(0, n), vs: vs.slice(0, n), hs, n });
    }
    if (ts.length <= MAX_SCRATCH) {
      scratchT = ts;
      scratchV = vs;
    }
    return out;
  } finally {
    q.close();
  }
}
