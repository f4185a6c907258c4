/**
 * Byte sizes such as `body_size_limit: 10MB`, as Prometheus reads them: its config fields are
 * `units.Base2Bytes` (github.com/alecthomas/units), where
 *
 * - KB and KiB both mean 1024, MB and MiB 1024², ... up to EB/EiB (1024⁶); `B` is one byte;
 * - lowercase `kB`/`kiB` are refused (a `k` would mean 1000 in SI);
 * - components may be combined in any order (`1MB512KB`), but all with `B`-style units or
 *   all with `iB`-style units (plus `B`), not mixed;
 * - a component may have a fraction (`1.5MB`); the total is truncated to whole bytes;
 * - a bare `0` is allowed; any other number needs a unit.
 *
 * Differences, on purpose: a sign is refused (a negative limit means nothing), and the
 * result must be a safe JavaScript integer (at most 8 PiB, against Go's 8 EiB).
 */
import { EdgepromError } from '../errors.js';

/** A string that is not a byte size. `message` reads `not a valid size "10mb": unknown unit "mb"`. */
export class SizeError extends EdgepromError {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string) {
    super('ERR_INVALID_SIZE', `not a valid size ${JSON.stringify(input)}: ${reason}`);
    this.name = 'SizeError';
    this.input = input;
    this.reason = reason;
  }
}

const PREFIXES = ['K', 'M', 'G', 'T', 'P', 'E'];

function unitMap(suffix: string): Map<string, number> {
  const m = new Map<string, number>([['B', 1]]);
  PREFIXES.forEach((p, i) => m.set(p + suffix, 1024 ** (i + 1)));
  return m;
}
const IEC_UNITS = unitMap('iB');
const LEGACY_UNITS = unitMap('B');
const UNIT_HELP = 'use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB; all are powers of 1024';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Component {
  value: number;
  unit: string;
}

function components(s: string): Component[] {
  const out: Component[] = [];
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    let intPart = s.slice(start, i);
    let fracPart = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      fracPart = s.slice(fracStart, i);
    }
    if (intPart === '' && fracPart === '') {
      throw new SizeError(s, `expected a number at position ${start + 1}, found ${JSON.stringify(s[start])}`);
    }
    if (intPart === '') intPart = '0';
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s.charCodeAt(i))) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') throw new SizeError(s, `missing unit after ${s.slice(start, i)} (${UNIT_HELP})`);
    out.push({ value: Number(`${intPart}.${fracPart || '0'}`), unit });
  }
  return out;
}

function total(s: string, parts: Component[], units: Map<string, number>): number | undefined {
  let sum = 0;
  for (const p of parts) {
    const mult = units.get(p.unit);
    if (mult === undefined) return undefined;
    sum += p.value * mult;
  }
  const bytes = Math.trunc(sum);
  if (!Number.isSafeInteger(bytes)) throw new SizeError(s, 'out of range (the maximum is 8PiB)');
  return bytes;
}

/** Parses a byte size such as `10MB`, `512KiB`, `1.5GB` or `0` into bytes. Throws SizeError, and nothing else. */
export function parseSize(s: string): number {
  if (typeof s !== 'string') throw new SizeError(String(s), 'expected a string');
  if (s === '0') return 0;
  if (s === '') throw new SizeError(s, 'empty string');
  if (s[0] === '-') throw new SizeError(s, 'negative sizes are not allowed');
  if (s[0] === '+') throw new SizeError(s, 'a sign is not allowed');
  const parts = components(s);
  const iec = total(s, parts, IEC_UNITS);
  if (iec !== undefined) return iec;
  const legacy = total(s, parts, LEGACY_UNITS);
  if (legacy !== undefined) return legacy;
  const bad = parts.find((p) => !IEC_UNITS.has(p.unit) && !LEGACY_UNITS.has(p.unit));
  if (bad === undefined) throw new SizeError(s, 'do not mix KiB-style and KB-style units');
  const hint = /^k/.test(bad.unit) && LEGACY_UNITS.has(bad.unit.replace(/^k/, 'K').replace('iB', 'B'))
    ? ` (write ${JSON.stringify(bad.unit.replace(/^k/, 'K'))}; these units are powers of 1024)`
    : ` (${UNIT_HELP})`;
  throw new SizeError(s, `unknown unit ${JSON.stringify(bad.unit)}${hint}`);
}

/**
 * Formats bytes as Prometheus prints a Base2Bytes: every non-zero 1024-place, largest first,
 * e.g. `0B`, `10MiB`, `1KiB1B`.
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new SizeError(String(bytes), 'expected a non-negative safe integer number of bytes');
  }
  if (bytes === 0) return '0B';
  let out = '';
  let n = bytes;
  for (let i = 0; n > 0; i++) {
    const r = n % 1024;
    if (r !== 0) out = `${r}${i === 0 ? 'B' : `${PREFIXES[i - 1]}iB`}` + out;
    n = Math.floor(n / 1024);
  }
  return out;
}
