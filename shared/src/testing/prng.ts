/**
 * A small, fast, seeded PRNG (mulberry32) returning floats in [0, 1). For deterministic test
 * data and benchmark inputs: the same seed always yields the same sequence. Not for anything
 * that needs unpredictability.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
