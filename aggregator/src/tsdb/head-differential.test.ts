/**
 * The Head against the reference MemoryStorage: the same random transactions, then the same
 * random queries, must give the same answers (and the same refusals). Twice: without an
 * out-of-order window (older samples refused) and with an unbounded one against the memory
 * store's out-of-order mode (older samples inserted in time order, a timestamp stored once).
 * Transactions come in pairs, both open at once and committed in either order, so commit's
 * re-checks are compared too.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, ManualClock } from '@edgeprom/shared';
import type { Storage } from '../storage/interface.js';
import { readSeriesSet } from '../storage/contract.js';
import { Matcher, type MatchType } from '../storage/matcher.js';
import { MemoryStorage } from '../storage/memory.js';
import { SampleError } from '../storage/errors.js';
import { float64FromBits } from '../storage/value.js';
import { Head } from './head.js';

const NAMES = ['__name__', 'job', 'zone', 'i'];
const VALUES = ['', 'x', 'y', 'z'];

const labelsArb = fc
  .tuple(fc.constantFrom('m1', 'm2'), fc.constantFrom(...VALUES), fc.constantFrom(...VALUES), fc.integer({ min: 0, max: 5 }))
  .map(([n, job, zone, i]) => Labels.from({ __name__: n, job, zone, i: i === 0 ? '' : String(i) }));

/** One append: a series, a time step forward (0 = same timestamp, negative = older), a value. */
const appendArb = fc.record({
  labels: labelsArb,
  dt: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(0), fc.integer({ min: -30, max: -1 })),
  // Value bit patterns from a small pool, so repeats (exact duplicates) happen.
  value: fc.constantFrom<[number, number]>([0x3ff00000, 0], [0x40000000, 0], [0x7ff00000, 2], [0x7ff80000, 0], [0, 0], [0x80000000, 0]),
});

const txnArb = fc.record({
  appends: fc.array(appendArb, { maxLength: 30 }),
  commit: fc.boolean(),
  /** A second transaction open at the same time, committed before the first or after it. */
  other: fc.option(fc.record({ appends: fc.array(appendArb, { maxLength: 20 }), commitFirst: fc.boolean() })),
});

const matcherArb = fc
  .tuple(
    fc.constantFrom<MatchType>('=', '!=', '=~', '!~'),
    fc.constantFrom(...NAMES, 'absent'),
    fc.constantFrom('', 'x', 'y', 'm1', 'x|y', '.*', '.+', 'm.*', 'y|', '[xz]'),
  )
  .filter(([t, , v]) => t.includes('~') || !/[|.*+[]/.test(v))
  .map(([t, n, v]) => Matcher.create(t, n, v));

const queryArb = fc.record({
  matchers: fc.array(matcherArb, { maxLength: 3 }),
  mint: fc.integer({ min: -10, max: 600 }),
  span: fc.integer({ min: 0, max: 600 }),
});

/** Appends to one store, returning the code of each refusal ('' when accepted). */
function apply(store: Storage, appends: { labels: Labels; t: number; value: [number, number] }[]) {
  const app = store.appender();
  const codes = appends.map(({ labels, t, value }) => {
    try {
      app.append(labels, t, float64FromBits(value[0], value[1]));
      return '';
    } catch (e) {
      if (e instanceof SampleError) return e.code;
      throw e;
    }
  });
  return { app, codes };
}

describe.each([
  { mode: 'without an out-of-order window', ooo: false },
  { mode: 'with an unbounded out-of-order window', ooo: true },
])('Head vs MemoryStorage $mode', ({ ooo }) => {
  it('answers every query the same way after the same transactions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(txnArb, { minLength: 1, maxLength: 8 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(Infinity, 50),
        async (txns, queries, chunkSamples, chunkRangeMs, outOfOrderCapacity, appendWindow) => {
          const head = new Head({
            clock: new ManualClock(),
            chunkSamples,
            chunkRangeMs,
            outOfOrderCapacity,
            // With a window, samples below the appendable window go out of order too.
            appendWindowMs: ooo ? appendWindow : Infinity,
            outOfOrderTimeWindowMs: ooo ? Infinity : 0,
          });
          const mem = new MemoryStorage({ outOfOrder: ooo });
          // Per-series clocks turn relative steps into timestamps.
          const clock = new Map<string, number>();
          const byText = new Map<string, Labels>();
          const stamp = (appends: { labels: Labels; dt: number; value: [number, number] }[]) =>
            appends.map(({ labels, dt, value }) => {
              const t = Math.max(0, (clock.get(labels.key) ?? 0) + dt);
              clock.set(labels.key, Math.max(t, clock.get(labels.key) ?? 0));
              byText.set(labels.toString(), labels);
              return { labels, t, value };
            });
          for (const txn of txns) {
            const appends = stamp(txn.appends);
            const h = apply(head, appends);
            const m = apply(mem, appends);
            expect(h.codes).toEqual(m.codes);
            let commitOther = async () => {};
            if (txn.other !== null) {
              const more = stamp(txn.other.appends);
              const h2 = apply(head, more);
              const m2 = apply(mem, more);
              expect(h2.codes).toEqual(m2.codes);
              const both = () => Promise.all([h2.app.commit(), m2.app.commit()]).then(() => {});
              if (txn.other.commitFirst) await both();
              else commitOther = both;
            }
            if (txn.commit) await Promise.all([h.app.commit(), m.app.commit()]);
            else [h.app, m.app].forEach((a) => a.rollback());
            await commitOther();
          }
          for (const { matchers, mint, span } of queries) {
            const hq = head.querier(mint, mint + span);
            const mq = mem.querier(mint, mint + span);
            const got = readSeriesSet(hq.select(matchers));
            expect(got).toEqual(readSeriesSet(mq.select(matchers)));
            // Seeking to every timestamp lands where a plain walk does.
            for (const s of hq.select(matchers)) {
              const ts = got.find((g) => g.labels === s.labels.toString())!.samples.map(([t]) => t);
              const it = s.iterator();
              for (let k = 0; k < ts.length; k += 2) {
                // Seek to the sample's own timestamp, or just after the one before it.
                expect(it.seek(k % 4 === 0 ? ts[k] : ts[k - 1] + 1)).toBe(1);
                expect(it.atT()).toBe(ts[k]);
              }
            }
            const hAll = head.querier(-Infinity, Infinity);
            const mAll = mem.querier(-Infinity, Infinity);
            expect(hAll.labelNames(matchers)).toEqual(mAll.labelNames(matchers));
            for (const n of NAMES) expect(hAll.labelValues(n, matchers)).toEqual(mAll.labelValues(n, matchers));
          }
          if (ooo) {
            // The compactor's view: every series merged over the whole range, as selected.
            const all = readSeriesSet(mem.querier(-Infinity, Infinity).select([]));
            for (const { labels, samples } of all) {
              const ref = head.refOf(byText.get(labels)!);
              const it = head.mergedSamples(ref, -Infinity, Infinity);
              const got: number[] = [];
              while (it.next()) got.push(it.atT());
              expect(got).toEqual(samples.map(([t]) => t));
            }
          }
        },
      ),
      { numRuns: ooo ? 300 : 200 },
    );
  });
});
