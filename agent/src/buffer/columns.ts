/** Helpers over decoded chunk columns. Values move as bytes, never through a JS number. */
import type { ChunkColumns } from './codec.js';

export function emptyColumns(n: number): ChunkColumns {
  return { n, seqs: new Float64Array(n), series: new Uint32Array(n), timestamps: new Float64Array(n), values: new Float64Array(n) };
}

/** Copies the binary64 at `src[i]` into `dst[j]` bit for bit. */
export function copyValue(src: Float64Array, i: number, dst: Float64Array, j: number): void {
  new Uint8Array(dst.buffer, dst.byteOffset + j * 8, 8).set(new Uint8Array(src.buffer, src.byteOffset + i * 8, 8));
}

/** Count, time range and last seq of the samples with seq above `acked`. */
export function liveSummary(c: ChunkColumns, acked: number): { n: number; minT: number; maxT: number; lastSeq: number } {
  let n = 0;
  let minT = Infinity;
  let maxT = -Infinity;
  let lastSeq = 0;
  for (let i = 0; i < c.n; i++) {
    if (c.seqs[i] <= acked) continue;
    n++;
    if (c.timestamps[i] < minT) minT = c.timestamps[i];
    if (c.timestamps[i] > maxT) maxT = c.timestamps[i];
    lastSeq = c.seqs[i];
  }
  return { n, minT, maxT, lastSeq };
}

/** The samples of several column sets where `keep(set, i)` holds, concatenated in order. */
export function gather(parts: readonly ChunkColumns[], keep: (part: number, i: number) => boolean): ChunkColumns {
  let n = 0;
  parts.forEach((c, p) => {
    for (let i = 0; i < c.n; i++) if (keep(p, i)) n++;
  });
  const out = emptyColumns(n);
  let j = 0;
  parts.forEach((c, p) => {
    for (let i = 0; i < c.n; i++) {
      if (!keep(p, i)) continue;
      out.seqs[j] = c.seqs[i];
      out.series[j] = c.series[i];
      out.timestamps[j] = c.timestamps[i];
      copyValue(c.values, i, out.values, j);
      j++;
    }
  });
  return out;
}
