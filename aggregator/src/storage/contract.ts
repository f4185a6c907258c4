/**
 * The storage contract: behaviour every Appendable & Queryable must share, as a vitest
 * suite. Each implementation's test file calls runStorageContract with a factory returning
 * a fresh, empty store. Time-window policies (too old, too far in the future) are store
 * options, not part of the contract: factories should switch them off or make them wide.
 *
 * An out-of-order window is a capability, so the suite takes it as an option: a store that
 * has one (wide enough for the suite's timestamps, which span seconds) runs with
 * `{ outOfOrder: true }`, and the tests about older samples then expect them to be kept
 * and merged in time order instead of refused.
 */
import { describe, expect, it } from 'vitest';
import { Labels } from '@edgeprom/shared';
import type { SampleIterator, SeriesSet, Storage } from './interface.js';
import { ValueType } from './interface.js';
import { Matcher } from './matcher.js';
import { SampleError, type SampleErrorCode } from './errors.js';
import {
  float64FromBits,
  float64Hi,
  float64Lo,
  isStaleNaN,
  STALE_NAN,
  STALE_NAN_BITS_HI,
  STALE_NAN_BITS_LO,
} from './value.js';

export type StorageFactory = () => Storage | Promise<Storage>;

export interface StorageContractOptions {
  /** The store takes samples older than their series' newest (an out-of-order window). */
  outOfOrder?: boolean;
}

const L = (o: Record<string, string>): Labels => Labels.from(o);
const eq = Matcher.equal;
const neq = Matcher.notEqual;
const re = Matcher.regex;
const nre = Matcher.notRegex;

/** A sample value by bit pattern, so NaN payloads and -0 compare exactly. */
const bits = (v: number): string =>
  `${float64Hi(v).toString(16).padStart(8, '0')}${float64Lo(v).toString(16).padStart(8, '0')}`;

/** Reads a series set into plain data: labels as text, samples as [t, value bits]. */
export function readSeriesSet(set: SeriesSet): { labels: string; samples: [number, string][] }[] {
  const out: { labels: string; samples: [number, string][] }[] = [];
  let it: SampleIterator | undefined;
  for (const s of set) {
    it = s.iterator(it);
    const samples: [number, string][] = [];
    while (it.next() !== ValueType.None) samples.push([it.atT(), bits(it.atV())]);
    out.push({ labels: s.labels.toString(), samples });
  }
  return out;
}

async function write(store: Storage, samples: [Labels, number, number][]): Promise<void> {
  const app = store.appender();
  for (const [l, t, v] of samples) app.append(l, t, v);
  await app.commit();
}

function names(store: Storage, ms: Matcher[], mint = -Infinity, maxt = Infinity): string[] {
  const q = store.querier(mint, maxt);
  try {
    return [...q.select(ms)].map((s) => s.labels.toString());
  } finally {
    q.close();
  }
}

function expectSampleError(fn: () => void, code: SampleErrorCode, labels: Labels, t: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SampleError);
    const se = e as SampleError;
    expect(se.code).toBe(code);
    expect(se.labels.equals(labels)).toBe(true);
    expect(se.t).toBe(t);
    return;
  }
  throw new Error(`expected ${code}`);
}

export function runStorageContract(name: string, factory: StorageFactory, opts: StorageContractOptions = {}): void {
  const ooo = opts.outOfOrder === true;
  describe(`storage contract: ${name}`, () => {
    const a = L({ __name__: 'up', job: 'node', instance: 'a' });
    const b = L({ __name__: 'up', job: 'node', instance: 'b' });
    const c = L({ __name__: 'up', job: 'push', instance: 'c', env: 'prod' });
    const d = L({ __name__: 'temp', instance: 'a', env: '' /* dropped: same as absent */ });
    // Expected selections, in label order (d, c, a, b: `env` sorts before `instance`).
    const S = (...ls: Labels[]): string[] => [...ls].sort(Labels.compare).map((l) => l.toString());
    const fixture = async (): Promise<Storage> => {
      const store = await factory();
      await write(store, [
        [a, 1000, 1], [b, 1000, 2], [c, 1000, 3], [d, 1000, 4],
        [a, 2000, 1], [b, 2000, 2], [c, 2000, 3], [d, 2000, 4],
      ]);
      return store;
    };

    it('makes samples visible at commit and not before', async () => {
      const store = await factory();
      const app = store.appender();
      app.append(a, 1000, 1);
      app.append(a, 2000, 2);
      expect(names(store, [])).toEqual([]);
      await app.commit();
      const q = store.querier(-Infinity, Infinity);
      expect(readSeriesSet(q.select([eq('instance', 'a')]))).toEqual([
        { labels: a.toString(), samples: [[1000, bits(1)], [2000, bits(2)]] },
      ]);
      q.close();
    });

    it('rollback discards samples and leaves no series or label behind', async () => {
      const store = await fixture();
      const app = store.appender();
      app.append(a, 3000, 9);
      app.append(L({ __name__: 'ghost', zone: 'x' }), 3000, 1);
      app.rollback();
      const q = store.querier(-Infinity, Infinity);
      expect(readSeriesSet(q.select([eq('instance', 'a'), eq('__name__', 'up')]))[0].samples).toHaveLength(2);
      expect(q.labelNames()).not.toContain('zone');
      expect(q.labelValues('__name__')).toEqual(['temp', 'up']);
    });

    it('closes the appender after commit or rollback', async () => {
      const store = await factory();
      const app = store.appender();
      app.append(a, 1, 1);
      await app.commit();
      expect(() => app.append(a, 2, 2)).toThrow(expect.objectContaining({ code: 'ERR_APPENDER_CLOSED' }));
      await expect(app.commit()).rejects.toMatchObject({ code: 'ERR_APPENDER_CLOSED' });
      expect(() => app.rollback()).not.toThrow();
      const other = store.appender();
      other.rollback();
      expect(() => other.append(a, 2, 2)).toThrow(expect.objectContaining({ code: 'ERR_APPENDER_CLOSED' }));
    });

    it('returns series refs that are only hints: a passed-back, stale or foreign ref changes nothing', async () => {
      const store = await factory();
      const other = await factory();
      const first = store.appender();
      const r0 = first.append(a, 1000, 1); // new series: 0, or a ref if the store knows one
      expect(Number.isFinite(r0)).toBe(true);
      first.append(b, 1000, 2);
      await first.commit();
      const warm = other.appender();
      const foreign = warm.append(c, 1000, 3);
      await warm.commit();
      const app = store.appender();
      const ra = app.append(a, 2000, 1);
      expect(Number.isFinite(ra)).toBe(true);
      expect(app.append(a, 2000, 1, ra)).toBe(ra); // a repeat, ignored, same ref
      app.append(a, 3000, 1, ra);
      // Refs the store does not know: another store's, garbage numbers.
      app.append(b, 2000, 2, foreign);
      app.append(b, 3000, 2, 123456789);
      app.append(b, 4000, 2, 0.5);
      app.append(c, 2000, 3, -7);
      expectSampleError(() => app.append(a, 3000, 9, ra), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 3000);
      await app.commit();
      const q = store.querier(-Infinity, Infinity);
      expect(readSeriesSet(q.select([re('instance', 'a|b|c')]))).toEqual(
        [
          { labels: a.toString(), samples: [[1000, bits(1)], [2000, bits(1)], [3000, bits(1)]] },
          { labels: b.toString(), samples: [[1000, bits(2)], [2000, bits(2)], [3000, bits(2)], [4000, bits(2)]] },
          { labels: c.toString(), samples: [[2000, bits(3)]] },
        ].sort((x, y) => (x.labels < y.labels ? -1 : 1)),
      );
      q.close();
      const oq = other.querier(-Infinity, Infinity);
      expect(readSeriesSet(oq.select([]))).toHaveLength(1);
      oq.close();
    });

    it('selects with = and != where an absent label equals ""', async () => {
      const store = await fixture();
      expect(names(store, [eq('job', 'node')])).toEqual(S(a, b));
      expect(names(store, [neq('job', 'node')])).toEqual(S(d, c));
      expect(names(store, [eq('env', '')])).toEqual(S(d, a, b));
      expect(names(store, [neq('env', '')])).toEqual(S(c));
      expect(names(store, [eq('nope', 'x')])).toEqual([]);
      expect(names(store, [eq('nope', '')])).toHaveLength(4);
    });

    it('anchors regexes at both ends', async () => {
      const store = await fixture();
      expect(names(store, [re('job', 'od')])).toEqual([]);
      expect(names(store, [re('job', 'no.*')])).toEqual(S(a, b));
      expect(names(store, [re('job', '.*sh')])).toEqual(S(c));
      expect(names(store, [re('instance', 'a|c')])).toEqual(S(d, a, c));
      expect(names(store, [re('instance', '[ab]'), nre('__name__', 'te.p')])).toEqual(S(a, b));
      expect(names(store, [nre('job', 'node|push')])).toEqual(S(d));
      expect(names(store, [re('job', '(?i)NODE')])).toEqual(S(a, b));
    });

    it('treats matchers that match "" as also matching series without the label', async () => {
      const store = await fixture();
      const all = S(a, b, c, d);
      expect(names(store, [re('env', '.*')])).toEqual(all);
      expect(names(store, [re('env', '.+')])).toEqual(S(c));
      expect(names(store, [re('env', 'prod|')])).toEqual(all);
      expect(names(store, [re('env', 'dev|')])).toEqual(S(d, a, b));
      expect(names(store, [nre('env', 'prod|')])).toEqual([]);
      expect(names(store, [nre('env', 'dev')])).toEqual(all);
      expect(names(store, [neq('env', 'prod')])).toEqual(S(d, a, b));
      expect(names(store, [nre('env', '')])).toEqual(S(c));
      expect(names(store, [re('job', ''), eq('instance', 'a')])).toEqual(S(d));
    });

    it('intersects several matchers, including on the same label', async () => {
      const store = await fixture();
      expect(names(store, [eq('__name__', 'up'), neq('instance', 'a')])).toEqual(S(b, c));
      expect(names(store, [re('instance', '.+'), neq('instance', 'b'), eq('job', 'node')])).toEqual(S(a));
      expect(names(store, [eq('job', 'node'), eq('job', 'push')])).toEqual([]);
      expect(names(store, [re('env', '.+'), eq('env', '')])).toEqual([]);
      expect(names(store, [neq('job', 'node'), neq('job', 'push')])).toEqual(S(d));
    });

    it('selects every series for an empty matcher list, sorted by labels', async () => {
      const store = await factory();
      const ls = ['z', 'a', 'm', 'b'].flatMap((x) => [L({ __name__: x }), L({ __name__: x, k: x })]);
      await write(store, ls.map((l, i) => [l, 1000 + i, i] as [Labels, number, number]));
      const got = names(store, []);
      const want = [...ls].sort(Labels.compare).map((l) => l.toString());
      expect(got).toEqual(want);
    });

    it('treats mint and maxt as inclusive and omits series without samples in range', async () => {
      const store = await factory();
      await write(store, [[a, 10, 1], [a, 20, 2], [a, 30, 3], [b, 40, 4], [a, 50, 5]]);
      const read = (mint: number, maxt: number) => {
        const q = store.querier(mint, maxt);
        const r = readSeriesSet(q.select([])).map((s) => [s.labels, s.samples.map(([t]) => t)]);
        q.close();
        return r;
      };
      expect(read(20, 30)).toEqual([[a.toString(), [20, 30]]]);
      expect(read(21, 29)).toEqual([]);
      expect(read(30, 40)).toEqual([[a.toString(), [30]], [b.toString(), [40]]]);
      expect(read(41, 49)).toEqual([]);
      expect(read(50, 50)).toEqual([[a.toString(), [50]]]);
      expect(read(51, Infinity)).toEqual([]);
      expect(read(-Infinity, 10)).toEqual([[a.toString(), [10]]]);
      expect(read(30, 20)).toEqual([]); // an inverted range holds nothing
    });

    it('lists label names and values, sorted, optionally filtered by matchers', async () => {
      const store = await fixture();
      const q = store.querier(-Infinity, Infinity);
      expect(q.labelNames()).toEqual(['__name__', 'env', 'instance', 'job']);
      expect(q.labelNames([eq('__name__', 'temp')])).toEqual(['__name__', 'instance']);
      expect(q.labelNames([eq('job', 'nope')])).toEqual([]);
      expect(q.labelValues('instance')).toEqual(['a', 'b', 'c']);
      expect(q.labelValues('instance', [eq('job', 'node')])).toEqual(['a', 'b']);
      expect(q.labelValues('instance', [re('instance', 'a|b')])).toEqual(['a', 'b']);
      expect(q.labelValues('env')).toEqual(['prod']);
      expect(q.labelValues('env', [eq('job', 'node')])).toEqual([]);
      expect(q.labelValues('nope')).toEqual([]);
      q.close();
      const outside = store.querier(5000, 6000);
      expect(outside.labelNames()).toEqual([]);
      expect(outside.labelValues('instance')).toEqual([]);
    });

    it(ooo ? 'ignores an exact repeat, refuses a conflicting one, keeps older samples' : 'ignores an exact repeat and refuses a conflicting or older sample', async () => {
      const store = await fixture();
      const app = store.appender();
      app.append(a, 2000, 1); // same t, same value as committed: ignored
      expectSampleError(() => app.append(a, 2000, 7), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 2000);
      if (ooo) app.append(a, 1500, 1);
      else expectSampleError(() => app.append(a, 1500, 1), 'ERR_OUT_OF_ORDER_SAMPLE', a, 1500);
      app.append(a, 3000, 3); // the transaction is still usable
      app.append(a, 3000, 3); // repeat of a pending sample: ignored
      expectSampleError(() => app.append(a, 3000, 4), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 3000);
      if (ooo) app.append(a, 2500, 4);
      else expectSampleError(() => app.append(a, 2500, 4), 'ERR_OUT_OF_ORDER_SAMPLE', a, 2500);
      const fresh = L({ __name__: 'fresh' });
      app.append(fresh, 100, 1);
      if (ooo) app.append(fresh, 99, 1);
      else expectSampleError(() => app.append(fresh, 99, 1), 'ERR_OUT_OF_ORDER_SAMPLE', fresh, 99);
      if (ooo) {
        // Older samples are checked against everything stored or pending at their timestamp.
        app.append(a, 1000, 1); // committed, not the newest: ignored
        expectSampleError(() => app.append(a, 1000, 2), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 1000);
        app.append(a, 1500, 1); // pending out-of-order sample: ignored
        expectSampleError(() => app.append(a, 1500, 2), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 1500);
        expectSampleError(() => app.append(fresh, 99, 2), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', fresh, 99);
      }
      await app.commit();
      const q = store.querier(-Infinity, Infinity);
      expect(readSeriesSet(q.select([eq('instance', 'a'), eq('__name__', 'up')]))[0].samples).toEqual(
        ooo
          ? [[1000, bits(1)], [1500, bits(1)], [2000, bits(1)], [2500, bits(4)], [3000, bits(3)]]
          : [[1000, bits(1)], [2000, bits(1)], [3000, bits(3)]],
      );
      expect(readSeriesSet(q.select([eq('__name__', 'fresh')]))[0].samples).toEqual(
        ooo ? [[99, bits(1)], [100, bits(1)]] : [[100, bits(1)]],
      );
      if (ooo) {
        const again = store.appender();
        again.append(a, 1500, 1); // committed out-of-order sample: ignored
        expectSampleError(() => again.append(a, 2500, 5), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 2500);
        again.rollback();
      }
    });

    it(ooo ? 'keeps at commit what another transaction made out of order, without throwing' : 'drops at commit what another transaction made out of order, without throwing', async () => {
      const store = await fixture();
      const slow = store.appender();
      const fast = store.appender();
      slow.append(a, 2500, 25);
      slow.append(b, 3500, 35);
      fast.append(a, 3000, 30);
      fast.append(b, 3000, 30);
      await fast.commit();
      await slow.commit();
      const q = store.querier(2001, Infinity);
      expect(readSeriesSet(q.select([eq('job', 'node')]))).toEqual([
        { labels: a.toString(), samples: ooo ? [[2500, bits(25)], [3000, bits(30)]] : [[3000, bits(30)]] },
        { labels: b.toString(), samples: [[3000, bits(30)], [3500, bits(35)]] },
      ]);
    });

    if (ooo) {
      it('with discardOutOfOrder refuses older samples with ERR_OUT_OF_ORDER_SAMPLE and stores none', async () => {
        const store = await fixture();
        const app = store.appender({ discardOutOfOrder: true });
        expectSampleError(() => app.append(a, 1500, STALE_NAN), 'ERR_OUT_OF_ORDER_SAMPLE', a, 1500);
        // Older than the newest even when another stored sample has the same timestamp.
        expectSampleError(() => app.append(a, 1000, 1), 'ERR_OUT_OF_ORDER_SAMPLE', a, 1000);
        app.append(a, 2000, 1); // the newest, same value: still an ignored repeat
        expectSampleError(() => app.append(a, 2000, 7), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, 2000);
        app.append(a, 3000, STALE_NAN); // newer: in order, taken
        expectSampleError(() => app.append(a, 2500, 1), 'ERR_OUT_OF_ORDER_SAMPLE', a, 2500); // older than pending
        const fresh = L({ __name__: 'fresh' });
        app.append(fresh, 2600, 1); // a new series (within any appendable window)
        expectSampleError(() => app.append(fresh, 2599, 1), 'ERR_OUT_OF_ORDER_SAMPLE', fresh, 2599);
        await app.commit();
        const q = store.querier(-Infinity, Infinity);
        expect(readSeriesSet(q.select([eq('instance', 'a'), eq('__name__', 'up')]))[0].samples).toEqual([
          [1000, bits(1)], [2000, bits(1)], [3000, bits(STALE_NAN)],
        ]);
        expect(readSeriesSet(q.select([eq('__name__', 'fresh')]))[0].samples).toEqual([[2600, bits(1)]]);
        q.close();
        // The option is per transaction: a default appender still stores the older sample.
        const plain = store.appender();
        plain.append(a, 1500, STALE_NAN);
        await plain.commit();
        const q2 = store.querier(-Infinity, Infinity);
        expect(readSeriesSet(q2.select([eq('instance', 'a'), eq('__name__', 'up')]))[0].samples.map(([t]) => t)).toEqual([
          1000, 1500, 2000, 3000,
        ]);
        q2.close();
      });

      it('with discardOutOfOrder drops at commit what another transaction made out of order', async () => {
        const store = await fixture();
        const late = store.appender({ discardOutOfOrder: true });
        const plain = store.appender();
        const fast = store.appender();
        late.append(a, 2500, STALE_NAN); // in order when appended
        late.append(b, 3500, STALE_NAN);
        plain.append(c, 2500, 25);
        fast.append(a, 3000, 30);
        fast.append(c, 3000, 30);
        await fast.commit();
        await late.commit();
        await plain.commit();
        const q = store.querier(2001, Infinity);
        expect(readSeriesSet(q.select([]))).toEqual([
          { labels: c.toString(), samples: [[2500, bits(25)], [3000, bits(30)]] },
          { labels: a.toString(), samples: [[3000, bits(30)]] },
          { labels: b.toString(), samples: [[3500, bits(STALE_NAN)]] },
        ]);
        q.close();
      });

      it('drops at commit a conflicting older sample that another transaction stored first', async () => {
        const store = await fixture();
        const slow = store.appender();
        const fast = store.appender();
        slow.append(a, 1500, 1);
        slow.append(a, 1600, 1);
        fast.append(a, 1500, 2);
        fast.append(a, 1600, 1);
        await fast.commit();
        await slow.commit();
        const [s] = readSeriesSet(store.querier(1001, 1999).select([eq('instance', 'a'), eq('__name__', 'up')]));
        expect(s.samples).toEqual([[1500, bits(2)], [1600, bits(1)]]);
      });

      it('merges older samples into time order, across chunks, with bounds and seek', async () => {
        const store = await factory();
        // Even seconds in order, then odd ones older than the newest, newest first, in batches.
        await write(store, Array.from({ length: 200 }, (_, i) => [a, i * 2000, i] as [Labels, number, number]));
        for (let k = 199; k >= 0; k -= 40) {
          const app = store.appender();
          for (let i = k; i > k - 40 && i >= 0; i--) app.append(a, i * 2000 + 1000, -i);
          await app.commit();
        }
        const all = (mint: number, maxt: number) =>
          readSeriesSet(store.querier(mint, maxt).select([]))[0]?.samples.map(([t]) => t) ?? [];
        const want = Array.from({ length: 400 }, (_, j) => j * 1000);
        expect(all(-Infinity, Infinity)).toEqual(want);
        expect(all(1000, 1000)).toEqual([1000]);
        expect(all(123_001, 130_999)).toEqual(want.filter((t) => t >= 123_001 && t <= 130_999));
        expect(all(1001, 1999)).toEqual([]);
        const [s] = [...store.querier(50_000, 300_000).select([])];
        const it = s.iterator();
        expect(it.seek(0)).toBe(ValueType.Float);
        expect(it.atT()).toBe(50_000);
        expect(it.seek(77_777)).toBe(ValueType.Float);
        expect([it.atT(), it.atV()]).toEqual([78_000, 39]);
        expect(it.next()).toBe(ValueType.Float);
        expect([it.atT(), it.atV()]).toEqual([79_000, -39]);
        expect(it.seek(299_001)).toBe(ValueType.Float);
        expect(it.atT()).toBe(300_000);
        expect(it.next()).toBe(ValueType.None);
      });
    }

    it('keeps values bit-exact: stale markers, NaN payloads, -0, infinities, subnormals', async () => {
      const store = await factory();
      // Bit patterns, not numbers: an array literal of numbers would already have lost the
      // NaN payloads (V8 quiets NaNs stored in double arrays), making the test vacuous.
      const patterns: [number, number][] = [
        [STALE_NAN_BITS_HI, STALE_NAN_BITS_LO],
        [0x7ff80000, 0], // the usual NaN
        [0xfff80000, 1], // a negative NaN with a payload
        [0x7ff00000, 0x12345], // another signalling NaN
        [0x80000000, 0], // -0
        [0, 0],
        [0x7ff00000, 0], // +Infinity
        [0xfff00000, 0], // -Infinity
        [0, 1], // the smallest subnormal
        [0xffefffff, 0xffffffff], // -Number.MAX_VALUE
        [float64Hi(42.5), float64Lo(42.5)],
        [STALE_NAN_BITS_HI, STALE_NAN_BITS_LO],
      ];
      const hex = ([hi, lo]: [number, number]) => bits(float64FromBits(hi, lo));
      const app = store.appender();
      patterns.forEach(([hi, lo], i) => app.append(a, 1000 + i * 15_000, float64FromBits(hi, lo)));
      await app.commit();
      const q = store.querier(-Infinity, Infinity);
      const [s] = [...q.select([])];
      const it = s.iterator();
      const got: string[] = [];
      let stale = 0;
      while (it.next()) {
        got.push(bits(it.atV()));
        if (isStaleNaN(it.atV())) stale++;
      }
      expect(got).toEqual(patterns.map(hex));
      expect(got[0]).toBe('7ff0000000000002');
      expect(stale).toBe(2);
      // A re-sent stale marker is an exact repeat; another NaN at that time is a conflict.
      const again = store.appender();
      const lastT = 1000 + 11 * 15_000;
      again.append(a, lastT, STALE_NAN);
      expectSampleError(() => again.append(a, lastT, NaN), 'ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', a, lastT);
      again.rollback();
    });

    it('refuses samples that are not samples', async () => {
      const store = await factory();
      const app = store.appender();
      expectSampleError(() => app.append(Labels.EMPTY, 1, 1), 'ERR_INVALID_SAMPLE', Labels.EMPTY, 1);
      expectSampleError(() => app.append(a, 1.5, 1), 'ERR_INVALID_SAMPLE', a, 1.5);
      expectSampleError(() => app.append(a, NaN, 1), 'ERR_INVALID_SAMPLE', a, NaN);
      expectSampleError(() => app.append(a, 2 ** 53, 1), 'ERR_INVALID_SAMPLE', a, 2 ** 53);
      app.append(a, -5000, 1); // negative timestamps are fine
      await app.commit();
      expect(names(store, [], -Infinity, 0)).toEqual([a.toString()]);
    });

    it('seeks forward only and reports exhaustion', async () => {
      const store = await factory();
      await write(store, [10, 20, 30, 40].map((t) => [a, t, t / 10] as [Labels, number, number]));
      const q = store.querier(15, 35);
      const [s] = [...q.select([])];
      const it = s.iterator();
      expect(it.seek(0)).toBe(ValueType.Float);
      expect([it.atT(), it.atV()]).toEqual([20, 2]);
      expect(it.seek(5)).toBe(ValueType.Float); // never backwards
      expect(it.atT()).toBe(20);
      expect(it.seek(21)).toBe(ValueType.Float);
      expect(it.atT()).toBe(30);
      expect(it.next()).toBe(ValueType.None); // 40 is beyond maxt
      expect(it.seek(0)).toBe(ValueType.None);
      const again = s.iterator(it); // reuse starts over
      expect(again.seek(36)).toBe(ValueType.None);
      const third = s.iterator();
      expect(third.next()).toBe(ValueType.Float);
      expect(third.atT()).toBe(20);
    });

    it('returns snapshots: samples committed after select are not seen through it', async () => {
      const store = await factory();
      await write(store, [[a, 10, 1], [a, 20, 2]]);
      const q = store.querier(-Infinity, Infinity);
      const set = q.select([]);
      await write(store, [[a, 30, 3], [b, 30, 3]]);
      expect(readSeriesSet(set).map((s) => s.samples.length)).toEqual([2]);
      expect(readSeriesSet(q.select([])).map((s) => s.samples.length)).toEqual([3, 1]);
    });

    it('refuses use of a closed querier', async () => {
      const store = await fixture();
      const q = store.querier(0, 10_000);
      q.close();
      q.close();
      for (const f of [() => q.select([]), () => q.labelNames(), () => q.labelValues('job')]) {
        expect(() => [...f()]).toThrow(expect.objectContaining({ code: 'ERR_QUERIER_CLOSED' }));
      }
    });

    it('handles many series and long series across chunk boundaries', async () => {
      const store = await factory();
      const series = Array.from({ length: 400 }, (_, i) =>
        L({ __name__: `m${i % 4}`, instance: `host-${i % 50}`, shard: String(i % 7), i: String(i) }),
      );
      const step = 15_000;
      const T = 300;
      for (let k = 0; k < T; k += 100) {
        const app = store.appender();
        for (let j = k; j < k + 100; j++) {
          for (let i = 0; i < series.length; i++) app.append(series[i], j * step + (i % 13), i * 1000 + j + (i % 3) * 0.5);
        }
        await app.commit();
      }
      const q = store.querier(-Infinity, Infinity);
      const sel = readSeriesSet(q.select([eq('__name__', 'm1'), re('instance', 'host-(1|2).*'), neq('shard', '3')]));
      const want = series
        .filter((l, i) => i % 4 === 1 && /^host-(1|2)/.test(l.get('instance')) && l.get('shard') !== '3')
        .sort(Labels.compare);
      expect(sel.map((s) => s.labels)).toEqual(want.map((l) => l.toString()));
      for (const s of sel) expect(s.samples).toHaveLength(T);
      const i = 77;
      const [one] = readSeriesSet(store.querier(100 * step, 250 * step + 20).select([eq('i', String(i))]));
      expect(one.samples.map(([t]) => t)).toEqual(
        Array.from({ length: 151 }, (_, j) => (100 + j) * step + (i % 13)).filter((t) => t <= 250 * step + 20),
      );
      expect(one.samples[0][1]).toBe(bits(i * 1000 + 100 + (i % 3) * 0.5));
      expect(q.labelValues('shard')).toEqual(['0', '1', '2', '3', '4', '5', '6']);
      expect(q.labelValues('i', [eq('instance', 'host-7')])).toEqual(
        ['7', '57', '107', '157', '207', '257', '307', '357'].sort(),
      );
    });
  });
}
