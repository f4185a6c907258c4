/**
 * Sample values and timestamps: the few facts about them that every storage shares.
 *
 * Values are float64s compared and stored by bit pattern, never by `===`: NaN payloads
 * carry meaning (the stale marker) and 0 and -0 are different samples.
 *
 * Beware: V8 rewrites NaN payloads when a double is stored in a plain `number[]` (it keeps
 * one NaN pattern to mark holes), so the stale marker would come back as an ordinary NaN.
 * Keep sample values in Float64Arrays, object fields or locals, never in `number[]`.
 */

import { STALE_NAN_BITS } from '@edgeprom/shared/wire';

/**
 * Prometheus's stale marker: a signalling NaN with payload 2, written when a series
 * disappears. Its bits are defined once, with the wire format (`STALE_NAN_BITS`); here as the
 * two 32-bit words the number helpers below compare.
 */
export const STALE_NAN_BITS_HI = Number(STALE_NAN_BITS >> 32n);
export const STALE_NAN_BITS_LO = Number(STALE_NAN_BITS & 0xffffffffn);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// The bit helpers read the two halves of a double through a Uint32Array view, which is
// only correct on little-endian hosts (every platform Node ships for today).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('edgeprom storage needs a little-endian host');
}

/** Builds a double from its IEEE 754 bit pattern (high and low 32-bit words). */
export function float64FromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0];
}

/** High 32 bits of a double's bit pattern (sign, exponent, top of the mantissa). */
export function float64Hi(v: number): number {
  f64[0] = v;
  return u32[1];
}

/** Low 32 bits of a double's bit pattern. */
export function float64Lo(v: number): number {
  f64[0] = v;
  return u32[0];
}

/** The stale marker as a number. Compare with isStaleNaN, never with `===` (NaN !== NaN). */
export const STALE_NAN = float64FromBits(STALE_NAN_BITS_HI, STALE_NAN_BITS_LO);

/** True only for the exact stale-marker bit pattern, not for any other NaN. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false; // fast path: not NaN at all
  f64[0] = v;
  return u32[1] === STALE_NAN_BITS_HI && u32[0] === STALE_NAN_BITS_LO;
}

/** Bit-pattern equality: NaNs equal only with the same payload, 0 differs from -0. */
export function sameBits(a: number, b: number): boolean {
  if (a === b) return a !== 0 || 1 / a === 1 / b;
  if (a === a || b === b) return false; // not both NaN
  f64[0] = a;
  const hi = u32[1];
  const lo = u32[0];
  f64[0] = b;
  return hi === u32[1] && lo === u32[0];
}

/**
 * Timestamps are integer milliseconds since the epoch within ±2^52 (about ±142,000 years).
 * The bound keeps every delta and delta-of-delta the chunk encoder computes exact in a
 * float64; Prometheus's int64 range is wider but nothing real lives out there.
 */
export const MAX_TIMESTAMP = 2 ** 52;
export const MIN_TIMESTAMP = -(2 ** 52);

/** True when t can be stored: an integer within [MIN_TIMESTAMP, MAX_TIMESTAMP]. */
export function isValidTimestamp(t: number): boolean {
  return Number.isInteger(t) && t >= MIN_TIMESTAMP && t <= MAX_TIMESTAMP;
}
