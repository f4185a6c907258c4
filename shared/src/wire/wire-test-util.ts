/**
 * Helpers for the wire format's tests (not exported from the package): raw CBOR for hand-made
 * (often invalid) messages, WireError capture, an arbitrary batch, and byte mutations of
 * valid messages.
 */
import fc from 'fast-check';
import { Encoder } from 'cbor-x';
import { Labels } from '../labels.js';
import type { BatchInput } from './message.js';
import { WireError } from './wire-error.js';

/** Raw CBOR for hand-made (often invalid) messages. */
export const raw = new Encoder({ useRecords: false, variableMapSize: true });

/** The WireError `fn` throws; anything else (another error, or a result) fails the test. */
export function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw new Error(`expected a WireError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a WireError, got a result');
}

/** Label sets of up to four labels plus `__name__`, label values drawn from `value`. */
function labelsArb(value: fc.Arbitrary<string>): fc.Arbitrary<Labels> {
  return fc
    .dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/).filter((n) => n !== '__name__'), value, { maxKeys: 4 })
    .chain((d) => fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,10}$/).map((name) => Labels.from({ ...d, __name__: name })));
}

/** Label values: printable ASCII only, or any string (`binary`, which includes lone surrogates). */
export type LabelValues = 'ascii' | 'binary';

/**
 * Batches of up to six series with 1 to 8 samples each: any value bit pattern, timestamps
 * across ±2^51, every sample a unique seq (series take turns, with gaps), `seqTo` at or past
 * the last seq, `dropped` sometimes.
 */
export function batchArb(labelValues: LabelValues): fc.Arbitrary<BatchInput> {
  const value =
    labelValues === 'ascii'
      ? fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 })
      : fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
  return fc
    .record({
      seqFrom: fc.oneof(fc.nat(), fc.integer({ min: 2 ** 32, max: 2 ** 52 })),
      series: fc.uniqueArray(
        fc.record({
          labels: labelsArb(value),
          samples: fc.array(
            fc.record({ t: fc.integer({ min: -(2 ** 51), max: 2 ** 51 }), bits: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), gap: fc.integer({ min: 1, max: 2 ** 33 }) }),
            { minLength: 1, maxLength: 8 },
          ),
        }),
        { maxLength: 6, selector: (s) => s.labels.key },
      ),
      slack: fc.nat({ max: 5 }),
      dropped: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ seqFrom, series, slack, dropped }) => {
      let next = seqFrom;
      const out = series.map((s) => {
        const values = new Float64Array(s.samples.length);
        new BigUint64Array(values.buffer).set(s.samples.map((x) => x.bits));
        return { labels: s.labels, timestamps: s.samples.map((x) => x.t), values, seqs: s.samples.map((x) => (next += x.gap)) };
      });
      const b: BatchInput = { agent: 'agent-1', boot: 'boot-1', seqFrom, seqTo: next + slack, series: out };
      if (dropped !== undefined) b.dropped = dropped;
      return b;
    });
}

/** One of `valid`, copied, with one to four bytes overwritten. */
export function mutatedArb(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => {
    const b = Uint8Array.from(bytes); // a copy (Buffer#slice would be a view, and the edits would pile up)
    for (const [i, x] of edits) b[i % b.length] = x;
    return b;
  });
}
