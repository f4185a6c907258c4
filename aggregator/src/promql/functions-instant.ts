/**
 * Functions applied to each sample of an instant vector: math, trigonometry, rounding,
 * clamping and the date functions. Each maps (value, scalar args) to a value or null.
 */
type InstantFn = (v: number, args: number[]) => number | null;

function date(v: number): Date | null {
  if (!Number.isFinite(v)) return null;
  return new Date(Math.trunc(v) * 1000);
}

function dateFn(f: (d: Date) => number): InstantFn {
  return (v) => {
    const d = date(v);
    return d === null ? NaN : f(d);
  };
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - start) / 86400000) + 1;
}

export const INSTANT_FUNCTIONS: Readonly<Record<string, InstantFn>> = {
  abs: (v) => Math.abs(v),
  ceil: (v) => Math.ceil(v),
  floor: (v) => Math.floor(v),
  exp: (v) => Math.exp(v),
  sqrt: (v) => Math.sqrt(v),
  ln: (v) => Math.log(v),
  log2: (v) => Math.log2(v),
  log10: (v) => Math.log10(v),
  sin: (v) => Math.sin(v),
  cos: (v) => Math.cos(v),
  tan: (v) => Math.tan(v),
  asin: (v) => Math.asin(v),
  acos: (v) => Math.acos(v),
  atan: (v) => Math.atan(v),
  sinh: (v) => Math.sinh(v),
  cosh: (v) => Math.cosh(v),
  tanh: (v) => Math.tanh(v),
  asinh: (v) => Math.asinh(v),
  acosh: (v) => Math.acosh(v),
  atanh: (v) => Math.atanh(v),
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
  round: (v, [toNearest = 1]) => {
    const inv = 1 / toNearest;
    return Math.floor(v * inv + 0.5) / inv;
  },
  clamp: (v, [min, max]) => Math.max(min, Math.min(max, v)),
  clamp_max: (v, [max]) => Math.min(max, v),
  clamp_min: (v, [min]) => Math.max(min, v),
  day_of_month: dateFn((d) => d.getUTCDate()),
  day_of_week: dateFn((d) => d.getUTCDay()),
  day_of_year: dateFn(dayOfYear),
  days_in_month: dateFn(daysInMonth),
  hour: dateFn((d) => d.getUTCHours()),
  minute: dateFn((d) => d.getUTCMinutes()),
  month: dateFn((d) => d.getUTCMonth() + 1),
  year: dateFn((d) => d.getUTCFullYear()),
};
