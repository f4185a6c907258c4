/** Test support for the buffer: families to append, bit views of values, temp boot ids. */
import { Labels, type MetricFamily } from '@edgeprom/shared';

/** A collection of `series` gauges named `name` (label `i`), value `value(i)`. */
export function gauges(name: string, series: number, value: (i: number) => number = (i) => i): MetricFamily {
  const samples = [];
  for (let i = 0; i < series; i++) samples.push({ labels: Labels.from({ __name__: name, i: String(i) }), value: value(i) });
  return { name, type: 'gauge', samples };
}

/** The 64 bits of a double as hex, from a Float64Array slot (never through a JS number). */
export function bitsAt(values: Float64Array, i: number): string {
  return new BigUint64Array(values.buffer, values.byteOffset, values.length)[i].toString(16).padStart(16, '0');
}

/** A double with the given bits. */
export function fromBits(bits: bigint): number {
  return new Float64Array(new BigUint64Array([bits]).buffer)[0];
}
