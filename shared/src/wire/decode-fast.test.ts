import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBatchFast } from './decode-fast.js';
import { decodeGeneric } from './decode.js';
import { encodeBatch } from './encode.js';
import type { BatchMessage, WireMessage } from './message.js';
import { realisticBatch } from './realistic-batch.js';
import { batchArb, mutatedArb, raw } from './wire-test-util.js';

/** A message as plain data, values as bit patterns, so `toEqual` compares bit for bit. */
function plain(m: WireMessage): unknown {
  if (m.type !== 'batch') return m;
  return {
    ...m,
    series: m.series.map((s) => ({
      labels: s.labels.key,
      timestamps: Array.from(s.timestamps),
      values: Array.from(new BigUint64Array(s.values.buffer, s.values.byteOffset, s.values.length)),
      seqs: Array.from(s.seqs),
    })),
  };
}

/** What the generic decoder makes of `bytes`: the message, or the error's text. */
function generic(bytes: Uint8Array): unknown {
  try {
    return plain(decodeGeneric(bytes));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** The fast path either declines or returns exactly what the generic path returns. */
function agrees(bytes: Uint8Array): BatchMessage | undefined {
  const fast = decodeBatchFast(bytes);
  if (fast !== undefined) expect(plain(fast)).toEqual(generic(bytes));
  return fast;
}

describe('decodeBatchFast', () => {
  it('takes every batch our encoder writes with ASCII labels, and agrees with the generic decoder', () => {
    fc.assert(
      fc.property(batchArb('ascii'), (b) => {
        expect(agrees(encodeBatch(b, { maxBytes: 1 << 22 }))).toBeDefined();
      }),
      { numRuns: 300 },
    );
    expect(agrees(encodeBatch(realisticBatch()))).toBeDefined();
  });

  it('declines, leaving the generic path to decide: non-ASCII text, unknown keys, other key orders, other messages', () => {
    const base = { v: 1, type: 'batch', agent: 'a', boot: 'b', seqFrom: 5, seqTo: 9, symbols: ['__name__', 'temp'] };
    const s = { l: [0, 1], t: [1000], v: new Float64Array([1]), q: [0] };
    expect(agrees(raw.encode({ ...base, series: [s] }))).toBeDefined();
    for (const msg of [
      { ...base, symbols: ['__name__', 'temp', 'unit', '°C'], series: [{ ...s, l: [0, 1, 2, 3] }] },
      { ...base, series: [s], future: 1 },
      { ...base, series: [{ ...s, x: 1 }] },
      { v: 1, type: 'batch', agent: 'a', boot: 'b', series: [s], seqFrom: 5, seqTo: 9, symbols: ['__name__', 'temp'] },
      { ...base, series: [{ v: s.v, t: s.t, l: s.l, q: s.q }] },
      { ...base, series: [{ ...s, t: [1000.5] }] },
      { v: 1, type: 'ack', agent: 'a', boot: 'b', seqTo: 3 },
    ]) {
      expect(agrees(raw.encode(msg))).toBeUndefined();
    }
  });

  it('declines every broken batch (the generic path names the fault), and takes only what the generic path takes', () => {
    const valid = [encodeBatch(realisticBatch(8, 3)), raw.encode({ v: 1, type: 'batch', agent: 'a', boot: 'b', seqFrom: 5, seqTo: 9, symbols: ['__name__', 'temp'], series: [{ l: [0, 1], t: [1000, 5], v: new Float64Array([1, 2]), q: [0, 1] }] })];
    for (const bytes of valid) {
      for (let n = 0; n < bytes.length; n++) expect(agrees(bytes.subarray(0, n))).toBeUndefined();
    }
    // Mutations: whatever the fast path still takes must be what the generic path makes of it.
    let taken = 0;
    fc.assert(
      fc.property(mutatedArb(valid), (b) => {
        if (agrees(b) !== undefined) taken++;
      }),
      { numRuns: 3000 },
    );
    // Many mutations only touch value bytes: the fast path must have taken some of them.
    expect(taken).toBeGreaterThan(0);
  });
});
