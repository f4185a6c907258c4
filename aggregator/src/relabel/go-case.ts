/**
 * Go's strings.ToLower and strings.ToUpper: per code point, with Unicode's simple case
 * mappings. JavaScript's toLowerCase/toUpperCase apply the full mappings instead, which can
 * change the length (`ß` → `SS`, `İ` → `i̇`); Prometheus never does, so neither do we.
 */

/** Code points whose simple uppercase differs from what a one-code-point JS result gives. */
const SIMPLE_UPPER = new Map<number, number>();
// Greek with ypogegrammeni: full uppercase is two code points, the simple one is the
// titlecase letter with prosgegrammeni.
for (let i = 0; i < 8; i++) {
  SIMPLE_UPPER.set(0x1f80 + i, 0x1f88 + i);
  SIMPLE_UPPER.set(0x1f90 + i, 0x1f98 + i);
  SIMPLE_UPPER.set(0x1fa0 + i, 0x1fa8 + i);
}
SIMPLE_UPPER.set(0x1fb3, 0x1fbc);
SIMPLE_UPPER.set(0x1fc3, 0x1fcc);
SIMPLE_UPPER.set(0x1ff3, 0x1ffc);

const lowerCache = new Map<number, string>();
const upperCache = new Map<number, string>();

function mapCodePoint(cp: number, upper: boolean): string {
  const cache = upper ? upperCache : lowerCache;
  let r = cache.get(cp);
  if (r !== undefined) return r;
  const ch = String.fromCodePoint(cp);
  const full = upper ? ch.toUpperCase() : ch.toLowerCase();
  if ([...full].length === 1) {
    r = full;
  } else if (upper) {
    const simple = SIMPLE_UPPER.get(cp);
    r = simple === undefined ? ch : String.fromCodePoint(simple);
  } else {
    r = cp === 0x130 ? 'i' : ch; // U+0130's simple lowercase is plain i
  }
  cache.set(cp, r);
  return r;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function goToLower(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += mapCodePoint(ch.codePointAt(0)!, false);
  return out;
}

export function goToUpper(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) out += mapCodePoint(ch.codePointAt(0)!, true);
  return out;
}
