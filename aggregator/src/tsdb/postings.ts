/**
 * Postings: sorted lists of series references, and the set algebra that turns label
 * matchers into one such list, following Prometheus's tsdb PostingsForMatchers.
 *
 * Written against the small PostingsIndex interface so persistent blocks can reuse it.
 */
import type { Matcher } from '../storage/matcher.js';

/** Series references in strictly increasing order. */
export type Postings = ArrayLike<number>;

export const EMPTY_POSTINGS: Postings = Object.freeze([]) as Postings;

/** What postingsForMatchers needs from an index. */
export interface PostingsIndex {
  /** Series having label name=value (value non-empty); empty when none. */
  postings(name: string, value: string): Postings;
  /** Every series in the index. */
  allPostings(): Postings;
  /** Distinct non-empty values of `name`, in any order. */
  labelValues(name: string): Iterable<string>;
}

/** Intersection of two sorted lists; gallops through the longer one when sizes differ a lot. */
export function intersect(a: Postings, b: Postings): Postings {
  if (a.length > b.length) [a, b] = [b, a];
  const out: number[] = [];
  if (a.length === 0) return out;
  if (a.length * 16 < b.length) {
    let lo = 0;
    for (let i = 0; i < a.length && lo < b.length; i++) {
      lo = lowerBound(b, a[i], lo);
      if (lo < b.length && b[lo] === a[i]) out.push(a[i]);
    }
    return out;
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

/** Intersection of many lists, smallest first so the running result shrinks fast. */
export function intersectAll(lists: Postings[]): Postings {
  if (lists.length === 0) return EMPTY_POSTINGS;
  const sorted = [...lists].sort((x, y) => x.length - y.length);
  let acc = sorted[0];
  for (let i = 1; i < sorted.length && acc.length > 0; i++) acc = intersect(acc, sorted[i]);
  return acc;
}

/** Union of sorted lists (duplicates removed). */
export function union(lists: Postings[]): Postings {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY_POSTINGS;
  if (nonEmpty.length === 1) return nonEmpty[0];
  let total = 0;
  for (const l of nonEmpty) total += l.length;
  // Concatenate and sort numerically (TypedArray sort): simpler and, for the many-small-lists
  // case of a regex over label values, faster than a k-way merge with a heap.
  const all = new Int32Array(total);
  let k = 0;
  for (const l of nonEmpty) for (let i = 0; i < l.length; i++) all[k++] = l[i];
  all.sort();
  let w = 1;
  for (let r = 1; r < all.length; r++) if (all[r] !== all[w - 1]) all[w++] = all[r];
  return w === all.length ? all : all.subarray(0, w);
}

/** Elements of `a` not in `b`. */
export function subtract(a: Postings, b: Postings): Postings {
  if (a.length === 0 || b.length === 0) return a;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (j < b.length && b[j] < x) j = lowerBound(b, x, j);
    if (j < b.length && b[j] === x) continue;
    out.push(x);
  }
  return out;
}

/** First index >= from whose element is >= x (exponential then binary search). */
function lowerBound(arr: Postings, x: number, from: number): number {
  let step = 1;
  let hi = from;
  while (hi < arr.length && arr[hi] < x) {
    from = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > arr.length) hi = arr.length;
  let lo = from;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Series matching every matcher. An empty list selects all series.
 *
 * As in Prometheus: a label that some matcher requires to be non-empty (`labelMustBeSet`)
 * can be answered from its postings directly, intersected; a matcher that accepts the empty
 * string must also keep series lacking the label, so it is applied by subtracting the
 * series that have the label with a value it rejects. Intersections come first so the base
 * of each subtraction is as small as possible; with nothing to intersect the base is all
 * series.
 */
export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): Postings {
  if (matchers.length === 0) return ix.allPostings();
  const mustBeSet = new Set<string>();
  for (const m of matchers) if (!m.matchesEmpty) mustBeSet.add(m.name);

  const its: Postings[] = [];
  const notIts: Postings[] = [];
  for (const m of matchers) {
    const isNot = m.type === '!=' || m.type === '!~';
    if (mustBeSet.has(m.name)) {
      if (isNot && m.matchesEmpty) {
        // l!="foo" next to l=~".+": subtract the series where l is "foo".
        notIts.push(postingsForMatcher(ix, m.inverse()));
      } else if (isNot) {
        // l!="" or l!~"": keep series whose l is set to a value the inner matcher rejects.
        const p = inversePostingsForMatcher(ix, m.inverse());
        if (p.length === 0) return EMPTY_POSTINGS;
        its.push(p);
      } else {
        const p = postingsForMatcher(ix, m);
        if (p.length === 0) return EMPTY_POSTINGS;
        its.push(p);
      }
    } else {
      // Matches '' (and so series without the label): remove series whose value it rejects.
      notIts.push(inversePostingsForMatcher(ix, m));
    }
  }
  let result = its.length > 0 ? intersectAll(its) : ix.allPostings();
  for (const n of notIts) {
    if (result.length === 0) break;
    result = subtract(result, n);
  }
  return result;
}

/** Series with label m.name set to a value m accepts (never series lacking it). */
function postingsForMatcher(ix: PostingsIndex, m: Matcher): Postings {
  if (m.type === '=') return m.value === '' ? EMPTY_POSTINGS : ix.postings(m.name, m.value);
  const set = m.type === '=~' ? m.setMatches() : undefined;
  if (set) return union(set.filter((v) => v !== '').map((v) => ix.postings(m.name, v)));
  const lists: Postings[] = [];
  for (const v of ix.labelValues(m.name)) if (m.matches(v)) lists.push(ix.postings(m.name, v));
  return union(lists);
}

/** Series with label m.name set to a value m rejects. */
function inversePostingsForMatcher(ix: PostingsIndex, m: Matcher): Postings {
  if (m.type === '!=') return m.value === '' ? EMPTY_POSTINGS : ix.postings(m.name, m.value);
  const set = m.type === '!~' ? m.setMatches() : undefined;
  if (set) return union(set.filter((v) => v !== '').map((v) => ix.postings(m.name, v)));
  const lists: Postings[] = [];
  for (const v of ix.labelValues(m.name)) if (!m.matches(v)) lists.push(ix.postings(m.name, v));
  return union(lists);
}
