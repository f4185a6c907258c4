/**
 * Comparing two Prometheus API answers: as sets of series (order ignored, except that a
 * series' points are compared in time order), result types equal, error vs success equal,
 * floats within a relative tolerance. Warnings, infos and error messages are not compared.
 */

export const REL_TOLERANCE = 1e-6;
/** Below this, two values count as equal whatever their ratio (0 vs 1e-17 from summation order). */
export const ABS_FLOOR = 1e-12;

export interface ApiAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

type Point = [number, string];
interface VSeries {
  metric: Record<string, string>;
  value?: Point;
  values?: Point[];
}

function key(metric: Record<string, string>): string {
  return JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sameFloat(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  const d = Math.abs(x - y);
  return d <= ABS_FLOOR || d <= REL_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
}

function samePoint(a: Point, b: Point): string | undefined {
  if (a[0] !== b[0]) return `timestamp ${a[0]} vs ${b[0]}`;
  if (!sameFloat(a[1], b[1])) return `value at ${a[0]}: ${a[1]} vs ${b[1]}`;
  return undefined;
}

const short = (s: string): string => (s.length > 160 ? `${s.slice(0, 160)}…` : s);

/** undefined when the answers agree; otherwise the first difference, worded (theirs first). */
export function diffAnswers(prom: ApiAnswer, ours: ApiAnswer): string | undefined {
  if (prom.status !== ours.status) {
    return prom.status === 'error'
      ? `prometheus errors (${short(prom.error ?? '')}), ours succeeds`
      : `ours errors (${short(ours.error ?? '')}), prometheus succeeds`;
  }
  if (prom.status === 'error') return undefined;
  const p = prom.data!;
  const o = ours.data!;
  if (p.resultType !== o.resultType) return `result type ${p.resultType} vs ${o.resultType}`;
  if (p.resultType === 'scalar' || p.resultType === 'string') {
    const a = p.result as Point;
    const b = o.result as Point;
    if (p.resultType === 'string') return a[0] === b[0] && a[1] === b[1] ? undefined : `string ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
    return samePoint(a, b);
  }
  const ps = new Map((p.result as VSeries[]).map((s) => [key(s.metric), s]));
  const os = new Map((o.result as VSeries[]).map((s) => [key(s.metric), s]));
  const onlyP = [...ps.keys()].filter((k) => !os.has(k));
  const onlyO = [...os.keys()].filter((k) => !ps.has(k));
  if (onlyP.length || onlyO.length) {
    return (
      `series differ (${ps.size} vs ${os.size}): ` +
      (onlyP.length ? `only prometheus ${short(onlyP.slice(0, 2).join(' '))} ` : '') +
      (onlyO.length ? `only ours ${short(onlyO.slice(0, 2).join(' '))}` : '')
    ).trim();
  }
  for (const [k, a] of ps) {
    const b = os.get(k)!;
    if (a.value && b.value) {
      const d = samePoint(a.value, b.value);
      if (d) return `${short(k)}: ${d}`;
      continue;
    }
    const av = a.values ?? [];
    const bv = b.values ?? [];
    const n = Math.min(av.length, bv.length);
    for (let i = 0; i < n; i++) {
      const d = samePoint(av[i]!, bv[i]!);
      if (d) return `${short(k)}: ${d}`;
    }
    if (av.length !== bv.length) {
      const extra = av.length > bv.length ? `prometheus has ${av[n]![0]}` : `ours has ${bv[n]![0]}`;
      return `${short(k)}: ${av.length} vs ${bv.length} points (first extra: ${extra})`;
    }
  }
  return undefined;
}
