/** Float helpers shared by aggregations and functions, matching Prometheus's arithmetic. */

/** One step of Kahan-Babuska-Neumaier summation; returns [sum, compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** NaN sorts first, as in Prometheus's vectorByValueHeap. */
export function byValueAsc(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Prometheus's quantile over sorted-on-demand values (φ outside [0,1] gives ±Inf). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = Float64Array.from(values).sort();
  // Float64Array sort puts NaN last; Prometheus puts it first.
  let nans = 0;
  while (nans < sorted.length && Number.isNaN(sorted[sorted.length - 1 - nans])) nans++;
  const arr = new Float64Array(sorted.length);
  for (let i = 0; i < nans; i++) arr[i] = NaN;
  arr.set(sorted.subarray(0, sorted.length - nans), nans);
  const n = arr.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return arr[lower] * (1 - weight) + arr[upper] * weight;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatPlain(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  const neg = v < 0;
  const [mant, expStr] = (neg ? s.slice(1) : s).split('e');
  const exp = Number(expStr);
  const [int, frac = ''] = mant.split('.');
  const digits = int + frac;
  const point = int.length + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}
