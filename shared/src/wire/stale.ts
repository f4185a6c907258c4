/**
 * Prometheus stale markers: the NaN with bit pattern 0x7ff0000000000002, written when a series
 * disappears so queries stop returning it. Only its bits tell it from an ordinary NaN, and
 * JavaScript does not promise to keep NaN payloads in plain numbers (V8 canonicalises NaNs
 * stored in ordinary double arrays), so these helpers work on Float64Array slots, which keep
 * every bit.
 */

/** The stale marker's bits (Prometheus `value.StaleNaN`). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

/** Whether `values[index]` holds the stale marker (not just any NaN). */
export function isStaleMarkerAt(values: Float64Array, index: number): boolean {
  // A Float64Array's byteOffset is a multiple of 8, so the same bytes view as one uint64 in
  // platform byte order, the order the double was stored in.
  return new BigUint64Array(values.buffer, values.byteOffset, values.length)[index] === STALE_NAN_BITS;
}

/** Writes the stale marker into `values[index]`. */
export function setStaleMarkerAt(values: Float64Array, index: number): void {
  new BigUint64Array(values.buffer, values.byteOffset, values.length)[index] = STALE_NAN_BITS;
}
