import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '../labels.js';
import { decodeMessage } from './decode.js';
import { encodeAck, encodeBatch, encodePresence } from './encode.js';
import { DEFAULT_MAX_WIRE_BYTES } from './message.js';
import { realisticBatch } from './realistic-batch.js';
import { WIRE_ERROR_CODES, WireError } from './wire-error.js';
import { mutatedArb, raw, wireError } from './wire-test-util.js';


const good = () => ({
  v: 1,
  type: 'batch',
  agent: 'a',
  boot: 'b',
  seqFrom: 10,
  seqTo: 20,
  symbols: ['__name__', 'up', 'job', 'node'],
  series: [
    { l: [0, 1], t: [1000, 15000], v: new Float64Array([1, 0]), q: [0, 2] },
    { l: [0, 1, 2, 3], t: [1000], v: new Float64Array([1]), q: [1] },
  ] as Record<string, unknown>[],
});

describe('decodeMessage rejects with typed errors', () => {
  it('the example batch is valid', () => {
    expect(decodeMessage(raw.encode(good())).type).toBe('batch');
  });

  it.each([
    ['unknown version', { ...good(), v: 2 }, WIRE_ERROR_CODES.VERSION, 'v: unsupported wire format version 2; this receiver speaks version 1'],
    ['missing version', { type: 'ack', agent: 'a', boot: 'b', seqTo: 1 }, WIRE_ERROR_CODES.MALFORMED, 'v: missing'],
    ['version not an integer', { ...good(), v: '1' }, WIRE_ERROR_CODES.MALFORMED, /^v: expected unsigned integer, got text "1"/],
    ['unknown type', { ...good(), type: 'hello' }, WIRE_ERROR_CODES.MALFORMED, /^type: expected "batch", "presence" or "ack"/],
    ['agent with a wildcard', { ...good(), agent: 'a/+' }, WIRE_ERROR_CODES.MALFORMED, /^agent: must not contain \+, #, \//],
    ['empty boot', { ...good(), boot: '' }, WIRE_ERROR_CODES.MALFORMED, 'boot: must not be empty'],
    ['seqTo < seqFrom', { ...good(), seqTo: 9 }, WIRE_ERROR_CODES.MALFORMED, 'seqTo: 9 is less than seqFrom 10'],
    ['seq beyond 2^53', { ...good(), seqTo: 2n ** 60n }, WIRE_ERROR_CODES.MALFORMED, /^seqTo: integer 1152921504606846976 out of range/],
    ['symbols not strings', { ...good(), symbols: ['__name__', 7] }, WIRE_ERROR_CODES.MALFORMED, 'symbols[1]: expected text string, got number 7'],
    ['series not an array', { ...good(), series: {} }, WIRE_ERROR_CODES.MALFORMED, /^series: expected array of maps/],
  ] as [string, unknown, string, string | RegExp][])('%s', (_, msg, code, message) => {
    const e = wireError(() => decodeMessage(raw.encode(msg)));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  const series = (patch: Record<string, unknown>, index = 1) => {
    const m = good();
    m.series[index] = { ...m.series[index], ...patch };
    return m;
  };
  it.each([
    ['labels as a map', series({ l: { __name__: 'up' } }), 'series[1].l: expected an array of [name, value] symbol index pairs, got map'],
    ['odd label array', series({ l: [0, 1, 2] }), /^series\[1\]\.l: expected an array of \[name, value\] symbol index pairs/],
    ['symbol index out of range', series({ l: [0, 1, 2, 9] }), 'series[1].l[3]: expected a symbol index below 4, got number 9'],
    ['missing __name__', series({ l: [2, 3] }), 'series[1].l: missing __name__'],
    ['invalid label name', { ...series({ l: [0, 1, 4, 3] }), symbols: ['__name__', 'up', 'job', 'node', 'bad-name'] }, 'series[1].l[2]: invalid label name "bad-name"'],
    ['invalid metric name', { ...series({ l: [0, 4] }, 0), symbols: ['__name__', 'up', 'job', 'node', 'bad-name'] }, 'series[0].l[1]: invalid metric name "bad-name"'],
    ['duplicate label', series({ l: [0, 1, 2, 3, 2, 1] }), 'series[1].l[4]: label job appears twice'],
    ['duplicate series', series({ l: [0, 1] }), /^series\[1\]\.l: series up appears twice in the batch/],
    ['empty timestamps', series({ t: [] }), /^series\[1\]\.t: expected a non-empty array of integers/],
    ['float timestamp', series({ t: [1.5] }), 'series[1].t[0]: expected integer, got number 1.5'],
    ['values as a plain array', series({ v: [1] }), /^series\[1\]\.v: expected a float64 array \(tag 86 byte string\), got array\(1\)/],
    ['values of the wrong length', series({ v: new Float64Array([1, 2]) }), 'series[1].v: 2 values for 1 timestamps'],
    ['float32 values', series({ v: new Float32Array([1]) }), /^series\[1\]\.v: expected a float64 array/],
    ['seq beyond seqTo', series({ q: [11] }), 'series[1].q[0]: seq 21 is beyond seqTo 20'],
    ['seq delta 0', series({ q: [0, 0] }, 0), 'series[0].q[1]: seq deltas must be at least 1'],
    ['wrong seq count', series({ t: [1, 2, 3], v: new Float64Array(3), q: [0, 1, 1, 1] }, 0), /^series\[0\]\.q: expected 3 seq deltas or \[offset, stride\]/],
    ['stride past seqTo', series({ t: [1, 2, 3], v: new Float64Array(3), q: [0, 6] }, 0), 'series[0].q[1]: 3 seqs with stride 6 go beyond seqTo 20'],
    ['more samples than seqs', { ...series({ q: [0, 1] }, 0), seqTo: 11 }, /^series\[1\]\.t: 1 samples exceed the seqs left/],
  ] as [string, unknown, string | RegExp][])('%s', (_, msg, message) => {
    const e = wireError(() => decodeMessage(raw.encode(msg)));
    expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
    expect(e.message).toMatch(message);
    expect(e.path).not.toBe('');
  });

  it('rejects presence and ack fields', () => {
    const p = { v: 1, type: 'presence', agent: 'a', boot: 'b', bootSeq: 1, state: 'online', version: '1', ts: 5 };
    expect(decodeMessage(raw.encode(p)).type).toBe('presence');
    expect(wireError(() => decodeMessage(raw.encode({ ...p, state: 'gone' }))).message).toBe('state: expected "online" or "offline"');
    expect(wireError(() => decodeMessage(raw.encode({ ...p, port: 70000 }))).message).toBe('port: expected 1..65535, got 70000');
    expect(wireError(() => decodeMessage(raw.encode({ ...p, metricsPath: 'metrics' }))).message).toBe('metricsPath: must start with "/"');
    expect(wireError(() => decodeMessage(raw.encode({ ...p, addresses: ['x', 3] }))).message).toBe('addresses[1]: expected text string, got number 3');
    expect(wireError(() => decodeMessage(raw.encode({ ...p, ts: undefined }))).message).toBe('ts: missing');
    expect(wireError(() => decodeMessage(raw.encode({ v: 1, type: 'ack', agent: 'a', boot: 'b', seqTo: -1 }))).message).toBe(
      'seqTo: expected unsigned integer, got number -1',
    );
  });

  it('rejects what is not one CBOR map', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(), /^empty message$/],
      [Uint8Array.of(0xa1, 0x61), /^not one well-formed CBOR data item/],
      [Uint8Array.of(0x01, 0x02), /^not one well-formed CBOR data item/], // trailing bytes
      [Uint8Array.of(0x80), /^expected a CBOR map, got array\(0\)/],
      [Uint8Array.of(0xf6), /^expected a CBOR map, got null/],
    ];
    for (const [bytes, message] of cases) {
      const e = wireError(() => decodeMessage(bytes));
      expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
      expect(e.message).toMatch(message);
    }
    expect(wireError(() => decodeMessage('abc' as unknown as Uint8Array)).code).toBe(WIRE_ERROR_CODES.MALFORMED);
  });

  it('enforces the size limit before decoding, on both sides', () => {
    const big = encodeBatch(realisticBatch(200, 20), { maxBytes: 1 << 20 });
    expect(big.length).toBeLessThan(DEFAULT_MAX_WIRE_BYTES);
    const e = wireError(() => decodeMessage(big, { maxBytes: 1000 }));
    expect(e.code).toBe(WIRE_ERROR_CODES.TOO_LARGE);
    expect(e.message).toBe(`message is ${big.length} bytes, over the maximum of 1000`);
    expect(wireError(() => decodeMessage(new Uint8Array(DEFAULT_MAX_WIRE_BYTES + 1))).code).toBe(WIRE_ERROR_CODES.TOO_LARGE);
    expect(wireError(() => encodeBatch(realisticBatch(200, 20), { maxBytes: 1000 })).code).toBe(WIRE_ERROR_CODES.TOO_LARGE);
    expect(wireError(() => encodeBatch(realisticBatch(200, 200))).code).toBe(WIRE_ERROR_CODES.TOO_LARGE);
  });
});

describe('encoders refuse what a receiver would reject', () => {
  const s = (labels: Record<string, string>, extra: Partial<{ timestamps: number[]; values: number[]; seqs: number[] }> = {}) => ({
    labels: Labels.from(labels),
    timestamps: [1],
    values: [1],
    seqs: [1],
    ...extra,
  });
  const batch = (series: ReturnType<typeof s>[], seqTo = 10) => ({ agent: 'a', boot: 'b', seqFrom: 1, seqTo, series });
  it.each([
    ['missing name', batch([s({ a: 'b' })]), 'series[0].l: missing __name__'],
    ['bad label name', batch([s({ __name__: 'x', 'a-b': 'c' })]), 'series[0].l: invalid label name "a-b"'],
    ['duplicate series', batch([s({ __name__: 'x' }), s({ __name__: 'x' }, { seqs: [2] })]), /^series\[1\]\.l: series x appears twice/],
    ['no samples', batch([s({ __name__: 'x' }, { timestamps: [], values: [], seqs: [] })]), 'series[0].t: a series needs at least one sample'],
    ['length mismatch', batch([s({ __name__: 'x' }, { values: [1, 2] })]), 'series[0].v: 2 values for 1 timestamps'],
    ['fractional timestamp', batch([s({ __name__: 'x' }, { timestamps: [1.5] })]), 'series[0].t[0]: expected integer milliseconds, got 1.5'],
    ['delta too large', batch([s({ __name__: 'x' }, { timestamps: [-(2 ** 53 - 1), 2 ** 53 - 1], values: [1, 2], seqs: [1, 2] })]), /^series\[0\]\.t\[1\]: .* too far/],
    ['seq outside range', batch([s({ __name__: 'x' }, { seqs: [11] })]), 'series[0].q[0]: seq 11 outside [seqFrom, seqTo] = [1, 10]'],
    ['seqs not increasing', batch([s({ __name__: 'x' }, { timestamps: [1, 2], values: [1, 2], seqs: [3, 3] })]), 'series[0].q[1]: seqs must increase within a series (3 then 3)'],
    ['too many samples', batch([s({ __name__: 'x' }), s({ __name__: 'y' })], 1), 'series: 2 samples do not fit the 1 seqs of [seqFrom, seqTo]'],
    ['bad agent', { ...batch([]), agent: 'a#' }, /^agent: must not contain/],
  ] as [string, Parameters<typeof encodeBatch>[0], string | RegExp][])('%s', (_, b, message) => {
    const e = wireError(() => encodeBatch(b));
    expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
    expect(e.message).toMatch(message);
  });

  it('checks presence and ack input', () => {
    expect(wireError(() => encodeAck({ agent: 'a', boot: 'b', seqTo: 1.5 })).message).toBe('seqTo: expected unsigned integer, got number 1.5');
    expect(
      wireError(() => encodePresence({ agent: 'a', boot: 'b', bootSeq: 1, state: 'up' as 'online', version: '1', ts: 1 })).message,
    ).toBe('state: expected "online" or "offline"');
  });
});

describe('decodeMessage never throws anything but WireError', () => {
  const valid = [
    encodeBatch(realisticBatch(12, 3)),
    encodeAck({ agent: 'a', boot: 'b', seqTo: 7 }),
    encodePresence({ agent: 'a', boot: 'b', bootSeq: 1, state: 'online', version: '1', addresses: ['::1'], port: 1, ts: 5 }),
    raw.encode(good()),
  ];
  const check = (bytes: Uint8Array) => {
    try {
      decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw new Error(`non-WireError for ${Buffer.from(bytes).toString('hex')}: ${String(e)}`);
    }
  };

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 3000 });
  });

  it('on random CBOR-ish structures', () => {
    const leaf = fc.oneof(fc.integer(), fc.bigInt(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 16 }).map((u) => new Float64Array(u.buffer, 0, u.length >> 3)));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('v', 'type', 'l', 't', 'v', 'q', 'agent', 'boot', 'symbols', 'series', 'seqFrom', 'seqTo'), tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(fc.property(tree, (t) => check(raw.encode({ v: 1, type: 'batch', agent: 'a', boot: 'b', seqFrom: 0, seqTo: 100, symbols: ['__name__', 'x'], series: [t] }))), { numRuns: 1000 });
    fc.assert(fc.property(tree, (t) => check(raw.encode(t))), { numRuns: 1000 });
  });

  it('on every truncation of valid messages (always an error)', () => {
    for (const bytes of valid) {
      for (let n = 0; n < bytes.length; n++) {
        const e = wireError(() => decodeMessage(bytes.subarray(0, n)));
        expect(e.code).toBe(WIRE_ERROR_CODES.MALFORMED);
      }
    }
  });

  it('on mutated valid messages', () => {
    fc.assert(
      fc.property(mutatedArb(valid), (b) => {
        check(b);
      }),
      { numRuns: 3000 },
    );
  });
});
