/** The optional `meta` key of a batch: round trip, old receivers, limits, and garbage. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '../labels.js';
import { decodeGeneric, decodeMessage } from './decode.js';
import { encodeBatch } from './encode.js';
import { WIRE_METRIC_TYPES, type WireFamilyMetadata } from './metadata.js';
import type { BatchInput, BatchMessage } from './message.js';
import { WIRE_ERROR_CODES, WireError } from './wire-error.js';
import { raw, wireError } from './wire-test-util.js';

const batch = (meta?: WireFamilyMetadata[]): BatchInput => ({
  agent: 'dev1',
  boot: 'b1',
  seqFrom: 1,
  seqTo: 1,
  series: [{ labels: Labels.from({ __name__: 'temp_celsius', zone: 'a' }), timestamps: [1000], values: [21], seqs: [1] }],
  ...(meta ? { meta } : {}),
});

const META: WireFamilyMetadata[] = [
  { metric: 'temp_celsius', type: 'gauge', help: 'Temperature.', unit: 'celsius' },
  { metric: 'http_requests', type: 'counter', help: 'Requests, "quoted" and\nmulti-line.', unit: '' },
  { metric: '__proto__', type: 'unknown', help: '', unit: '' },
];

/** A raw batch map as an encoder writes it, with `meta` replaced. */
function rawBatch(meta: unknown): Uint8Array {
  return raw.encode({
    v: 1,
    type: 'batch',
    agent: 'a',
    boot: 'b',
    seqFrom: 1,
    seqTo: 1,
    symbols: ['__name__', 'up'],
    series: [{ l: [0, 1], t: [1000], v: new Float64Array([1]), q: [0] }],
    meta,
  });
}

describe('batch meta', () => {
  it('round-trips, and batches without it decode as before', () => {
    const m = decodeMessage(encodeBatch(batch(META))) as BatchMessage;
    expect(m.meta).toEqual(META);
    expect(m.series[0].labels.get('zone')).toBe('a');
    const plain = decodeMessage(encodeBatch(batch())) as BatchMessage;
    expect(plain.meta).toBeUndefined();
    expect(decodeMessage(encodeBatch(batch([]))) as BatchMessage).not.toHaveProperty('meta');
  });

  it('does not change the samples; receivers that predate it skip it as any unknown key', () => {
    const a = decodeMessage(encodeBatch(batch(META))) as BatchMessage;
    const b = decodeMessage(encodeBatch(batch())) as BatchMessage;
    expect(a.series).toEqual(b.series);
    // What an old aggregator does with `meta`: the rule for every key it does not know.
    const later = raw.encode({ v: 1, type: 'batch', agent: 'a', boot: 'b', seqFrom: 1, seqTo: 1, symbols: ['__name__', 'up'], series: [{ l: [0, 1], t: [1000], v: new Float64Array([1]), q: [0] }], later: new Map([['x', [1]]]) });
    const m = decodeMessage(later) as BatchMessage;
    expect(m.series).toHaveLength(1);
  });

  it('enforces configurable limits on both sides', () => {
    const long = [{ metric: 'x', type: 'gauge', help: 'h'.repeat(20), unit: '' }];
    expect(wireError(() => encodeBatch(batch(long), { meta: { maxHelpLength: 10 } })).message).toMatch(/meta\["x"\]\[1\].*20 characters, over the maximum of 10/);
    const bytes = encodeBatch(batch(long));
    const e = wireError(() => decodeMessage(bytes, { meta: { maxHelpLength: 10 } }));
    expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
    expect(e.message).toMatch(/meta\["x"\]\[1\]/);
    expect((decodeMessage(bytes, { meta: { maxHelpLength: 20 } }) as BatchMessage).meta).toEqual(long);
    const many = Array.from({ length: 3 }, (_, i) => ({ metric: `m${i}`, type: 'gauge', help: '', unit: '' }));
    expect(wireError(() => decodeMessage(encodeBatch(batch(many)), { meta: { maxFamilies: 2 } })).message).toMatch(/meta.*3 families, over the maximum of 2/);
    expect(wireError(() => encodeBatch(batch([{ metric: 'u', type: 'gauge', help: '', unit: 'x'.repeat(65) }]))).message).toMatch(/\[2\]/);
  });

  it('names the fault in bad meta', () => {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /meta: expected a map of family name to \[type, help, unit\], got array\(2\)/],
      [new Map([['x', 'gauge']]), /meta\["x"\]: expected an array \[type, help, unit\]/],
      [new Map([['x', ['gauge', 'h']]]), /meta\["x"\]: expected an array/],
      [new Map([['bad name', ['gauge', '', '']]]), /meta\["bad name"\]: invalid metric family name/],
      [new Map([['x', ['histo', '', '']]]), /meta\["x"\]\[0\]: unknown metric type "histo"/],
      [new Map([['x', ['gauge', 3, '']]]), /meta\["x"\]\[1\]: expected text string, got number 3/],
      [new Map([[7, ['gauge', '', '']]]), /meta: expected a text string key, got number 7/],
    ];
    for (const [meta, re] of cases) {
      const e = wireError(() => decodeMessage(rawBatch(meta)));
      expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
      expect(e.message).toMatch(re);
    }
    // Elements after the third are reserved: ignored.
    expect((decodeMessage(rawBatch(new Map([['x', ['gauge', 'h', 'u', 'later']]]))) as BatchMessage).meta).toEqual([{ metric: 'x', type: 'gauge', help: 'h', unit: 'u' }]);
  });

  it('property: any meta value decodes to checked entries or a WireError, never anything else', () => {
    const anyMeta = fc.oneof(
      fc.anything(),
      fc.array(fc.tuple(fc.oneof(fc.string(), fc.constantFrom('up', 'a_b', '__proto__'), fc.integer()), fc.oneof(fc.anything(), fc.tuple(fc.oneof(fc.constantFrom(...WIRE_METRIC_TYPES), fc.string()), fc.oneof(fc.string(), fc.integer()), fc.string()))), { maxLength: 5 }).map((e) => new Map(e)),
    );
    fc.assert(
      fc.property(anyMeta, (meta) => {
        let bytes: Uint8Array;
        try {
          bytes = rawBatch(meta);
        } catch {
          return; // cbor-x cannot encode it: nothing to send
        }
        for (const decode of [() => decodeMessage(bytes), () => decodeGeneric(bytes)]) {
          try {
            const m = decode() as BatchMessage;
            for (const e of m.meta ?? []) {
              expect(WIRE_METRIC_TYPES.has(e.type)).toBe(true);
              expect(typeof e.help).toBe('string');
              expect(typeof e.unit).toBe('string');
            }
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: random garbage bytes appended to meta never crash the decoder', () => {
    const good = encodeBatch(batch(META));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const bytes = good.slice();
        bytes[i] = b;
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
