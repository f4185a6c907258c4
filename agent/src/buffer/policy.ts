/**
 * Which samples to drop when the buffer is full: a pure function, so the policy is tested
 * without a store.
 *
 * Policy ("oldest window, fattest family first"):
 * 1. The buffer must free `need` bytes. It takes the **oldest window**: the oldest unacked
 *    chunks holding at least WINDOW_FACTOR × need bytes. Nothing newer is touched, so the
 *    buffer still drops oldest first.
 * 2. Inside the window, samples are grouped by **metric family** (`__name__`), and the
 *    drops are water-filled: always take from the family that holds the most samples in the
 *    window, until k samples are chosen. Within a family its oldest samples go first.
 *
 * Why families, not single series: every series is collected on the same interval, so all
 * series hold the same number of samples in any window and per-series fairness would be
 * plain FIFO. A high-cardinality source (a textfile with 10 000 series, a per-process
 * exporter) is one family with many series; it alone then pays for the space it takes, and
 * `node_load1` or `up` keep their history. Once every family is down to the same count,
 * drops spread evenly, which is FIFO again.
 *
 * Rounds: a drop starts when a flush takes the buffer over maxBytes and frees down to
 * LOW_WATER_RATIO × maxBytes, at most MAX_WINDOW_BYTES / WINDOW_FACTOR per round, so a full
 * 64 MiB buffer drops ~3.2 MiB (about 4–5 hours of a default agent) every few hours, not a
 * little on every flush.
 *
 * Cost: the window's survivors are rewritten (about need × (WINDOW_FACTOR − 1) bytes per
 * round), only while the buffer is full; the window's columns are in memory for the round.
 */

/** How much larger than the bytes to free the oldest window is. */
export const WINDOW_FACTOR = 2;

/** After a size drop the buffer is at this fraction of maxBytes, so drops come in rounds. */
export const LOW_WATER_RATIO = 0.95;

/**
 * Largest window decoded at once (its columns live in memory during a round: ~28 bytes a
 * sample, so ~2.5 MB for 1 MiB of chunks). Freeing more takes several rounds.
 */
export const MAX_WINDOW_BYTES = 1 << 20;

/**
 * Picks `k` victims among samples in seq order whose family is `groups[i]`. Returns a mask
 * (1 = drop). Deterministic: ties go to the group with the lower id.
 */
export function chooseVictims(groups: Uint32Array, k: number): Uint8Array {
  const n = groups.length;
  const mask = new Uint8Array(n);
  if (k <= 0 || n === 0) return mask;
  if (k >= n) return mask.fill(1);

  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(groups[i], (counts.get(groups[i]) ?? 0) + 1);
  const over = (level: number) => {
    let s = 0;
    for (const c of counts.values()) if (c > level) s += c - level;
    return s;
  };
  // Smallest level L with over(L) <= k: every family is cut down to L ...
  let lo = 0;
  let hi = Math.max(...counts.values());
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (over(mid) <= k) hi = mid;
    else lo = mid + 1;
  }
  const level = lo;
  const quota = new Map<number, number>();
  for (const [g, c] of counts) quota.set(g, Math.max(0, c - level));
  // ... and the few drops left take one more from families at the level (largest first).
  let rest = k - over(level);
  if (rest > 0 && level > 0) {
    const atLevel = [...counts].filter(([, c]) => c >= level).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [g] of atLevel) {
      if (rest === 0) break;
      quota.set(g, (quota.get(g) ?? 0) + 1);
      rest--;
    }
  }
  for (let i = 0; i < n; i++) {
    const q = quota.get(groups[i]) ?? 0;
    if (q > 0) {
      mask[i] = 1;
      quota.set(groups[i], q - 1);
    }
  }
  return mask;
}
