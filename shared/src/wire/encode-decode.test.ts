import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '../labels.js';
import { decodeMessage } from './decode.js';
import { encodeAck, encodeBatch, encodePresence } from './encode.js';
import type { BatchMessage, WireMessage } from './message.js';
import { STALE_NAN_BITS, isStaleMarkerAt, setStaleMarkerAt } from './stale.js';
import { WireError } from './wire-error.js';
import { batchArb, raw } from './wire-test-util.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length), (b) => b.toString(16));

function expectWireError(fn: () => unknown, code: string, message?: string | RegExp): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    const we = e as WireError;
    expect(we.code).toBe(code);
    if (message !== undefined) expect(we.message).toMatch(message);
    return we;
  }
  throw new Error('expected a WireError');
}

function asBatch(m: WireMessage): BatchMessage {
  expect(m.type).toBe('batch');
  return m as BatchMessage;
}

describe('spec examples (docs/wire-format.md)', () => {
  it('ack', () => {
    const bytes = encodeAck({ agent: 'pi-kitchen', boot: 'b7', seqTo: 1200 });
    expect(hex(bytes)).toBe('a561760164747970656361636b656167656e746a70692d6b69746368656e64626f6f7462623765736571546f1904b0');
    expect(decodeMessage(bytes)).toEqual({ v: 1, type: 'ack', agent: 'pi-kitchen', boot: 'b7', seqTo: 1200 });
  });

  it('presence', () => {
    const p = {
      agent: 'pi-kitchen',
      boot: 'b7',
      bootSeq: 3,
      state: 'online' as const,
      version: '0.1.0',
      metricsPath: '/metrics',
      addresses: ['192.168.1.20'],
      port: 9100,
      ts: 1767225600000,
    };
    const bytes = encodePresence(p);
    expect(hex(bytes)).toBe(
      'ab61760164747970656870726573656e6365656167656e746a70692d6b69746368656e64626f6f7462623767626f6f74536571036573746174' +
        '65666f6e6c696e656776657273696f6e65302e312e306b6d65747269637350617468682f6d65747269637369616464726573736573816c3139' +
        '322e3136382e312e323064706f727419238c6274731b0000019b76daa800',
    );
    expect(decodeMessage(bytes)).toEqual({ v: 1, type: 'presence', ...p });
    const minimal = { agent: 'a', boot: 'b', bootSeq: 0, state: 'offline' as const, version: 'x', ts: 0 };
    expect(decodeMessage(encodePresence(minimal))).toEqual({ v: 1, type: 'presence', ...minimal });
  });

  it('batch with a stale marker, stride and explicit seqs', () => {
    const v = new Float64Array([21.5, 21.75, NaN]);
    setStaleMarkerAt(v, 2);
    const bytes = encodeBatch({
      agent: 'pi-kitchen',
      boot: 'b7',
      seqFrom: 1001,
      seqTo: 1006,
      series: [
        {
          labels: Labels.from({ __name__: 'temp_celsius', sensor: 'a' }),
          timestamps: [1767225600000, 1767225615000, 1767225630002],
          values: v,
          seqs: [1001, 1003, 1005],
        },
        { labels: Labels.from({ __name__: 'up' }), timestamps: [1767225600000, 1767225615000], values: [1, 1], seqs: [1002, 1004] },
      ],
    });
    expect(hex(bytes)).toBe(
      'a86176016474797065656261746368656167656e746a70692d6b69746368656e64626f6f746262376773657146726f6d1903e965736571546f19' +
        '03ee6773796d626f6c7385685f5f6e616d655f5f6c74656d705f63656c736975736673656e736f7261616275706673657269657382a4616c84' +
        '000102036174831b0000019b76daa800193a98193a9a6176d856581800000000008035400000000000c03540020000000000f07f6171820002' +
        'a4616c8200046174821b0000019b76daa800193a986176d85650000000000000f03f000000000000f03f6171820102',
    );
    const m = asBatch(decodeMessage(bytes));
    expect(m.series[0].labels.toString()).toBe('temp_celsius{sensor="a"}');
    expect(Array.from(m.series[0].timestamps)).toEqual([1767225600000, 1767225615000, 1767225630002]);
    expect(Array.from(m.series[0].seqs)).toEqual([1001, 1003, 1005]);
    expect(isStaleMarkerAt(m.series[0].values, 2)).toBe(true);
    expect(isStaleMarkerAt(m.series[0].values, 1)).toBe(false);
    expect(Array.from(m.series[1].seqs)).toEqual([1002, 1004]);
  });
});

describe('batch round trip', () => {
  it('keeps NaN payloads, -0, extreme floats and large or negative timestamps bit-exact', () => {
    const values = new Float64Array([NaN, -0, 0, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, NaN]);
    setStaleMarkerAt(values, 0);
    new BigUint64Array(values.buffer)[7] = 0xfff8000000000001n; // some other NaN
    const ts = [8.64e15, 0, -8.64e15, -1, 1, 2 ** 53 - 1, 2 ** 40, 2 ** 32];
    const m = asBatch(
      decodeMessage(
        encodeBatch({
          agent: 'dev-1',
          boot: 'boot',
          seqFrom: 2 ** 53 - 100,
          seqTo: 2 ** 53 - 1,
          series: [{ labels: Labels.from({ __name__: 'x' }), timestamps: ts, values, seqs: ts.map((_, i) => 2 ** 53 - 100 + i * 10) }],
        }),
      ),
    );
    expect(bits(m.series[0].values)).toEqual(bits(values));
    expect(new BigUint64Array(m.series[0].values.buffer, m.series[0].values.byteOffset, 1)[0]).toBe(STALE_NAN_BITS);
    expect(Array.from(m.series[0].timestamps)).toEqual(ts);
    expect(Array.from(m.series[0].seqs)).toEqual(ts.map((_, i) => 2 ** 53 - 100 + i * 10));
  });

  it('decoded values do not alias the input bytes', () => {
    const bytes = encodeBatch({
      agent: 'a',
      boot: 'b',
      seqFrom: 1,
      seqTo: 1,
      series: [{ labels: Labels.from({ __name__: 'x' }), timestamps: [1], values: [42], seqs: [1] }],
    });
    const m = asBatch(decodeMessage(bytes));
    bytes.fill(0);
    expect(m.series[0].values[0]).toBe(42);
  });

  it('decode(encode(batch)) is the batch, bit for bit', () => {
    fc.assert(
      fc.property(batchArb('binary'), (b) => {
        const m = asBatch(decodeMessage(encodeBatch(b, { maxBytes: 1 << 22 }), { maxBytes: 1 << 22 }));
        expect(m).toMatchObject({ v: 1, agent: b.agent, boot: b.boot, seqFrom: b.seqFrom, seqTo: b.seqTo });
        expect(m.dropped).toBe(b.dropped);
        expect(m.series.length).toBe(b.series.length);
        m.series.forEach((s, i) => {
          const want = b.series[i];
          expect(s.labels.key).toBe(want.labels.key);
          expect(Array.from(s.timestamps)).toEqual(Array.from(want.timestamps));
          expect(Array.from(s.seqs)).toEqual(Array.from(want.seqs));
          expect(bits(s.values)).toEqual(bits(want.values as Float64Array));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('accepts labels in any order and an empty batch', () => {
    const bytes = raw.encode({
      v: 1, type: 'batch', agent: 'a', boot: 'b', seqFrom: 5, seqTo: 9,
      symbols: ['zone', '3', '__name__', 'temp', 'a', 'x'],
      series: [{ l: [0, 1, 2, 3, 4, 5], t: [1000], v: new Float64Array([1]), q: [2] }],
    });
    const m = asBatch(decodeMessage(bytes));
    expect(m.series[0].labels.toString()).toBe('temp{a="x", zone="3"}');
    expect(m.series[0].seqs[0]).toBe(7);
    expect(asBatch(decodeMessage(encodeBatch({ agent: 'a', boot: 'b', seqFrom: 1, seqTo: 10, series: [] }))).series).toEqual([]);
  });

  it('ignores unknown keys (additive changes within v1)', () => {
    const m = decodeMessage(raw.encode({ v: 1, type: 'ack', agent: 'a', boot: 'b', seqTo: 3, future: [1, 2, { x: 1 }] }));
    expect(m).toEqual({ v: 1, type: 'ack', agent: 'a', boot: 'b', seqTo: 3 });
  });
});
