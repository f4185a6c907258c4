/**
 * /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values: straight reads of the
 * Querier, with Prometheus's parameter rules, `match[]` handling and `limit` truncation
 * (the answer holds `limit` entries and a "results truncated due to limit" warning).
 */
import { isValidLabelName, Labels } from '@edgeprom/shared';
import { goQuote } from '../promql/parser/go-text.js';
import { parseMetricSelector, PromQLParseError, type LabelMatcher } from '../promql/parser/index.js';
import type { Querier } from '../storage/interface.js';
import { Matcher } from '../storage/matcher.js';
import type { ApiDeps, ApiRequest, ApiResult } from './context.js';
import { ApiError, badData } from './errors.js';
import { encodeLabels, RawJson } from './json.js';
import { limitParam, MAX_TIME_MS, MIN_TIME_MS, optionalTime, toQuerierBound } from './params.js';

const TRUNCATED = 'results truncated due to limit';
/** How often the series loop checks whether the client is still there. */
const CHECK_EVERY = 128;

function toMatchers(lms: readonly LabelMatcher[]): Matcher[] {
  return lms.map((m) => Matcher.create(m.type, m.name, m.value));
}

/**
 * Prometheus's parseMatchersParam: each selector parsed, and each must have a matcher that
 * does not match the empty string. Throws the bare message; callers decide the prefix.
 */
function parseMatchers(selectors: readonly string[]): Matcher[][] {
  const sets: Matcher[][] = [];
  for (const s of selectors) {
    let lms: LabelMatcher[];
    try {
      lms = parseMetricSelector(s);
    } catch (e) {
      if (e instanceof PromQLParseError) throw new Error(e.message, { cause: e });
      throw e;
    }
    let matchers: Matcher[];
    try {
      matchers = toMatchers(lms);
    } catch (e) {
      throw new Error((e as Error).message, { cause: e });
    }
    sets.push(matchers);
  }
  for (const ms of sets) {
    if (!ms.some((m) => !m.matchesEmpty)) throw new Error('match[] must contain at least one non-empty matcher');
  }
  return sets;
}

function timeRange(req: ApiRequest): { mint: number; maxt: number } {
  const start = optionalTime(req.form.value('start'), 'start', MIN_TIME_MS);
  const end = optionalTime(req.form.value('end'), 'end', MAX_TIME_MS);
  return { mint: toQuerierBound(start), maxt: toQuerierBound(end) };
}

function openQuerier(deps: ApiDeps, mint: number, maxt: number): Querier {
  try {
    return deps.queryable.querier(mint, maxt);
  } catch (e) {
    throw new ApiError('execution', (e as Error).message, { cause: e });
  }
}

function execution<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError('execution', (e as Error).message, { cause: e });
  }
}

function truncateList(list: string[], limit: number, warnings: string[]): string[] {
  if (limit > 0 && list.length > limit) {
    warnings.push(TRUNCATED);
    return list.slice(0, limit);
  }
  return list;
}

export function series(req: ApiRequest, deps: ApiDeps): ApiResult {
  if (req.form.error !== undefined) throw badData(`error parsing form values: ${req.form.error}`);
  const selectors = req.form.all('match[]');
  if (selectors.length === 0) throw badData('no match[] parameter provided');
  const limit = limitParam(req.form.value('limit'));
  const { mint, maxt } = timeRange(req);
  let sets: Matcher[][];
  try {
    sets = parseMatchers(selectors);
  } catch (e) {
    throw badData(`invalid parameter "match[]": ${(e as Error).message}`, e);
  }
  const q = openQuerier(deps, mint, maxt);
  try {
    const hints = { start: mint, end: maxt, func: 'series' };
    const found: Labels[] = [];
    const warnings: string[] = [];
    execution(() => {
      if (sets.length === 1) {
        let i = 0;
        for (const s of q.select(sets[0]!, hints)) {
          if (++i % CHECK_EVERY === 0 && req.signal.aborted) {
            throw new ApiError('canceled', 'context canceled');
          }
          found.push(s.labels);
          if (limit > 0 && found.length > limit) break;
        }
      } else {
        // Several selectors: their union without duplicates, in label order.
        const byKey = new Map<string, Labels>();
        for (const ms of sets) for (const s of q.select(ms, hints)) byKey.set(s.labels.key, s.labels);
        found.push(...[...byKey.values()].sort(Labels.compare));
      }
    });
    let out = found;
    if (limit > 0 && out.length > limit) {
      out = out.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return { data: new RawJson('[' + out.map(encodeLabels).join(',') + ']'), warnings };
  } finally {
    q.close();
  }
}

export function labelNames(req: ApiRequest, deps: ApiDeps): ApiResult {
  const limit = limitParam(req.form.value('limit'));
  const { mint, maxt } = timeRange(req);
  let sets: Matcher[][];
  try {
    sets = parseMatchers(req.form.all('match[]'));
  } catch (e) {
    throw badData((e as Error).message, e);
  }
  const q = openQuerier(deps, mint, maxt);
  try {
    const warnings: string[] = [];
    const names = execution(() => {
      if (sets.length <= 1) return q.labelNames(sets[0]);
      const all = new Set<string>();
      for (const ms of sets) for (const n of q.labelNames(ms)) all.add(n);
      return [...all].sort(compareStrings);
    });
    return { data: truncateList(names, limit, warnings), warnings };
  } finally {
    q.close();
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function labelValues(req: ApiRequest, deps: ApiDeps): ApiResult {
  const name = req.params.name ?? '';
  if (!isValidLabelName(name)) throw badData(`invalid label name: ${goQuote(name)}`);
  const { mint, maxt } = timeRange(req);
  const limit = limitParam(req.form.value('limit'));
  let sets: Matcher[][];
  try {
    sets = parseMatchers(req.form.all('match[]'));
  } catch (e) {
    throw badData((e as Error).message, e);
  }
  const q = openQuerier(deps, mint, maxt);
  try {
    const warnings: string[] = [];
    const values = execution(() => {
      if (sets.length <= 1) return q.labelValues(name, sets[0]);
      const all = new Set<string>();
      for (const ms of sets) for (const v of q.labelValues(name, ms)) all.add(v);
      return [...all].sort(compareStrings);
    });
    return { data: truncateList(values, limit, warnings), warnings };
  } finally {
    q.close();
  }
}
