/**
 * The Head against the reference MemoryStorage: the same random transactions, then the same
 * random queries, must give the same answers (and the same refusals).
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

const NAMES = ['__name__', 'job', 'zone'];
const VALUES = ['', 'x', 'y', 'z'];

const labelsArb = fc
  .tuple(fc.constantFrom('m1', 'm2'), fc.constantFrom(...VALUES), fc.constantFrom(...VALUES))
  .map(([n, job, zone]) => Labels.from({ __name__: n, job, zone }));

/** One append: a series, a time step forward (0 = same timestamp, negative = older), a value. */
const appendArb = fc.record({
  labels: labelsArb,
  dt: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(0), fc.integer({ min: -30, max: -1 })),
  // Value bit patterns from a small pool, so repeats (exact duplicates) happen.
  value: fc.constantFrom<[number, number]>([0x3ff00000, 0], [0x40000000, 0], [0x7ff00000, 2], [0x7ff80000, 0], [0, 0], [0x80000000, 0]),
});

const txnArb = fc.record({ appends: fc.array(appendArb, { maxLength: 30 }), commit: fc.boolean() });

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

describe('Head vs MemoryStorage', () => {
  it('answers every query the same way after the same transactions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(txnArb, { minLength: 1, maxLength: 8 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 20, max: 200 }),
        async (txns, queries, chunkSamples, chunkRangeMs) => {
          const head = new Head({ clock: new ManualClock(), appendWindowMs: Infinity, chunkSamples, chunkRangeMs });
          const mem = new MemoryStorage();
          // Per-series clocks turn relative steps into timestamps.
          const clock = new Map<string, number>();
          for (const txn of txns) {
            const appends = txn.appends.map(({ labels, dt, value }) => {
              const t = Math.max(0, (clock.get(labels.key) ?? 0) + dt);
              clock.set(labels.key, Math.max(t, clock.get(labels.key) ?? 0));
              return { labels, t, value };
            });
            const h = apply(head, appends);
            const m = apply(mem, appends);
            expect(h.codes).toEqual(m.codes);
            if (txn.commit) await Promise.all([h.app.commit(), m.app.commit()]);
            else [h.app, m.app].forEach((a) => a.rollback());
          }
          for (const { matchers, mint, span } of queries) {
            const hq = head.querier(mint, mint + span);
            const mq = mem.querier(mint, mint + span);
            expect(readSeriesSet(hq.select(matchers))).toEqual(readSeriesSet(mq.select(matchers)));
            const hAll = head.querier(-Infinity, Infinity);
            const mAll = mem.querier(-Infinity, Infinity);
            expect(hAll.labelNames(matchers)).toEqual(mAll.labelNames(matchers));
            for (const n of NAMES) expect(hAll.labelValues(n, matchers)).toEqual(mAll.labelValues(n, matchers));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
