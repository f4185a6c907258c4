/**
 * The SampleBuffer contract: one suite that every implementation runs (abstract-level's
 * `suite(options)`). `level-buffer.test.ts` and `memory-buffer.test.ts` call it; a new
 * implementation passes it before it is wired in.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Labels, ManualClock, encodeOpenMetrics, parseExposition, type MetricFamily } from '@edgeprom/shared';
import type { SampleBuffer } from './interface.js';
import type { SampleBufferOptions } from './sample-buffer.js';
import { bitsAt, fromBits, gauges } from './testing.js';

/** One place a buffer lives; every `open()` of the same place is a restart. */
export interface ContractPlace {
  open(opts: SampleBufferOptions): Promise<SampleBuffer>;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  name: string;
  /** A fresh, empty place for one test. */
  place(): Promise<ContractPlace>;
}

const STALE = 0x7ff0000000000002n;

export function suite(opts: ContractOptions): void {
  describe(`SampleBuffer contract: ${opts.name}`, () => {
    let place: ContractPlace;
    let dir: string;
    let clock: ManualClock;
    let open: SampleBuffer[] = [];
    const bootFile = () => join(dir, 'boot_id');
    const setBoot = (id: string) => writeFile(bootFile(), `${id}\n`);
    const make = async (over: SampleBufferOptions = {}) => {
      const b = await place.open({ clock, bootIdPath: bootFile(), flushIntervalMs: 5_000, ...over });
      open.push(b);
      return b;
    };
    const restart = async (b: SampleBuffer, over: SampleBufferOptions = {}) => {
      await b.close();
      return make(over);
    };
    const all = async (b: SampleBuffer) => {
      const runs = await b.readFrom(undefined, 1_000_000);
      return runs.flatMap((r) => [...r.seqs].map((seq, i) => ({ boot: r.boot, seq, t: r.timestamps[i], v: r.values[i], name: r.labels[i].name, i: r.labels[i].get('i') })));
    };

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'edgeprom-buffer-contract-'));
      await setBoot('boot-a');
      clock = new ManualClock();
      place = await opts.place();
    });
    afterEach(async () => {
      for (const b of open) await b.close().catch(() => undefined);
      open = [];
      await place.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses calls before open and after close, with codes', async () => {
      const b = await make();
      await b.close();
      expect(() => b.append([gauges('g', 1)], 1)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_CLOSED' }));
      expect(() => b.flush()).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_CLOSED' }));
      await b.close(); // idempotent
    });

    it('numbers samples 1, 2, 3, ... in append order and reads them back oldest first with labels', async () => {
      const b = await make();
      b.append([gauges('a', 2, (i) => 10 + i), gauges('b', 1, () => 7)], clock.now());
      b.append([gauges('a', 2, (i) => 20 + i)], clock.now() + 15_000);
      await b.flush();
      const got = await all(b);
      const a = b.stats().boot;
      expect(a).toMatch(/^boot-a\.[0-9a-f]{12}$/); // <kernel boot id>.<store id>
      expect(got.map((s) => [s.boot, s.seq, s.name, s.i, s.v, s.t - clock.now()])).toEqual([
        [a, 1, 'a', '0', 10, 0],
        [a, 2, 'a', '1', 11, 0],
        [a, 3, 'b', '0', 7, 0],
        [a, 4, 'a', '0', 20, 15_000],
        [a, 5, 'a', '1', 21, 15_000],
      ]);
      const runs = await b.readFrom(undefined, 10);
      expect(runs[0].labels[0]).toBe(runs[0].labels[3]); // interned: one Labels per series
      expect(b.stats()).toMatchObject({ samples: 5, pendingSamples: 0, appended: 5, series: 3 });
    });

    it('reads only flushed samples', async () => {
      const b = await make();
      b.append([gauges('a', 3)], clock.now());
      expect(await b.readFrom(undefined, 10)).toEqual([]);
      expect(b.stats().pendingSamples).toBe(3);
      await b.flush();
      expect((await all(b)).length).toBe(3);
    });

    it('pages with readFrom(after, max) and restarts from the oldest for an unknown boot', async () => {
      const b = await make();
      for (let c = 0; c < 5; c++) b.append([gauges('a', 4)], clock.now() + c * 1000);
      await b.flush();
      const seen: number[] = [];
      let after: { boot: string; seq: number } | undefined;
      for (;;) {
        const runs = await b.readFrom(after, 3);
        if (runs.length === 0) break;
        const r = runs[runs.length - 1];
        expect(runs.reduce((n, x) => n + x.seqs.length, 0)).toBeLessThanOrEqual(3);
        for (const x of runs) seen.push(...x.seqs);
        after = { boot: r.boot, seq: r.seqs[r.seqs.length - 1] };
      }
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await b.readFrom({ boot: 'gone', seq: 99 }, 2))[0].seqs).toEqual(Float64Array.of(1, 2));
      expect(() => b.readFrom(undefined, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    });

    it('keeps a sample\'s own timestamp, truncated to integer ms', async () => {
      const b = await make();
      const f: MetricFamily = { name: 'x', type: 'gauge', samples: [{ labels: Labels.from({ __name__: 'x' }), value: 1, timestampMs: clock.now() - 1000 + 0.9 }] };
      b.append([f], clock.now());
      await b.flush();
      expect((await all(b))[0].t).toBe(clock.now() - 1000);
    });

    it('keeps values bit for bit: stale marker, other NaNs, -0, infinities, subnormals', async () => {
      const bits = [STALE, 0x7ff8000000000000n, 0xfff8000000000001n, 0x7ff0000000000001n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 1n, 0x7fefffffffffffffn, 0x3ff0000000000000n];
      const f: MetricFamily = { name: 'v', type: 'gauge', samples: bits.map((x, i) => ({ labels: Labels.from({ __name__: 'v', i: String(i) }), value: fromBits(x) })) };
      let b = await make();
      b.append([f], clock.now());
      await b.flush();
      const check = async () => {
        const [run] = await b.readFrom(undefined, 100);
        expect(bits.map((_, i) => bitsAt(run.values, i))).toEqual(bits.map((x) => x.toString(16).padStart(16, '0')));
      };
      await check();
      b = await restart(b);
      await check();
    });

    it('trims on ack only: cumulative, idempotent, clamped; unknown boots are ignored', async () => {
      const b = await make();
      b.append([gauges('a', 10)], clock.now());
      await b.flush();
      const a = b.stats().boot;
      expect(await b.ack(a, 4)).toBe(4);
      expect((await all(b)).map((s) => s.seq)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(await b.ack(a, 4)).toBe(0);
      expect(await b.ack(a, 2)).toBe(0);
      expect(await b.ack('other-boot', 10)).toBe(0);
      expect(b.stats().samples).toBe(6);
      expect(await b.ack(a, 1_000)).toBe(6); // clamped to the last durable seq
      expect(b.stats()).toMatchObject({ samples: 0, boots: [{ boot: a, lastSeq: 10, ackedSeq: 10 }] });
      expect(() => b.ack(a, -1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    });

    it('continues seqs after a restart within one boot, keeping data and acks', async () => {
      let b = await make();
      b.append([gauges('a', 3)], clock.now());
      await b.flush();
      const a = b.stats().boot;
      await b.ack(a, 1);
      b = await restart(b);
      expect(b.stats().boot).toBe(a);
      expect((await all(b)).map((s) => s.seq)).toEqual([2, 3]);
      b.append([gauges('a', 2)], clock.now());
      await b.flush();
      expect((await all(b)).map((s) => [s.seq, s.i])).toEqual([[2, '1'], [3, '2'], [4, '0'], [5, '1']]);
      expect(b.stats().series).toBe(3); // a0 (only in acked seq 1) was forgotten on open and came back
    });

    it('starts a new seq space after a reboot and reads older boots first', async () => {
      let b = await make();
      b.append([gauges('a', 2)], clock.now());
      await b.flush();
      const a = b.stats().boot;
      await setBoot('boot-b');
      b = await restart(b);
      const bb = b.stats().boot;
      expect(bb).toMatch(/^boot-b\./);
      b.append([gauges('a', 3)], clock.now());
      await b.flush();
      const runs = await b.readFrom(undefined, 100);
      expect(runs.map((r) => [r.boot, [...r.seqs]])).toEqual([[a, [1, 2]], [bb, [1, 2, 3]]]);
      expect(runs[1].labels[0]).toBe(runs[0].labels[0]); // the dictionary spans boots
      expect((await b.readFrom({ boot: a, seq: 2 }, 100)).map((r) => r.boot)).toEqual([bb]);
      expect(b.stats()).toMatchObject({ boot: bb, bootOrdinal: 2 });
      await b.ack(a, 2);
      expect(b.stats().boots.map((x) => x.boot)).toEqual([bb]); // a finished old boot is forgotten
    });

    it('starts a new seq space for a new store in the same kernel boot (a wiped or lost store)', async () => {
      const b = await make();
      b.append([gauges('a', 2)], clock.now());
      await b.flush();
      const other = await opts.place();
      try {
        const b2 = await other.open({ clock, bootIdPath: bootFile() });
        expect(b2.stats().boot).toMatch(/^boot-a\./);
        expect(b2.stats().boot).not.toBe(b.stats().boot); // the aggregator would drop seqs 1, 2 as duplicates
        await b2.close();
      } finally {
        await other.cleanup();
      }
    });

    it('uses the store id alone when the kernel has no boot id, kept across restarts', async () => {
      await unlink(bootFile());
      let b = await make();
      const id = b.stats().boot;
      expect(id).toMatch(/^store\.[0-9a-f]{12}$/);
      b.append([gauges('a', 2)], clock.now());
      await b.flush();
      b = await restart(b);
      expect(b.stats().boot).toBe(id);
      b.append([gauges('a', 1)], clock.now());
      await b.flush();
      expect((await all(b)).map((s) => s.seq)).toEqual([1, 2, 3]);
    });

    it('batches writes: nothing is written before the flush interval', async () => {
      const b = await make({ flushIntervalMs: 5_000 });
      const before = b.stats().bytesWritten;
      b.append([gauges('a', 50)], clock.now());
      await clock.advance(4_999);
      expect(b.stats()).toMatchObject({ flushes: 0, bytesWritten: before, pendingSamples: 50 });
      await clock.advance(1);
      await b.flush(); // waits for the timer's flush, which the store may still be writing
      const s = b.stats();
      expect(s).toMatchObject({ flushes: 1, pendingSamples: 0, samples: 50 });
      expect(s.bytesWritten).toBeGreaterThan(before + 50 * 8);
      await clock.advance(5_000);
      await b.flush();
      expect(b.stats().flushes).toBe(1); // nothing new: no write
    });

    it('flushes on close', async () => {
      let b = await make();
      b.append([gauges('a', 4)], clock.now());
      b = await restart(b);
      expect((await all(b)).length).toBe(4);
    });

    it('exports its metrics', async () => {
      const b = await make();
      b.append([gauges('a', 4)], clock.now());
      await b.flush();
      const fams = b.metrics();
      const names = fams.map((f) => f.name);
      for (const n of ['edgeprom_buffer_bytes_written_total', 'edgeprom_buffer_samples_total', 'edgeprom_buffer_dropped_samples_total', 'edgeprom_buffer_size_bytes', 'edgeprom_buffer_oldest_sample_timestamp_seconds', 'edgeprom_buffer_flushes_total']) {
        expect(names).toContain(n);
      }
      const v = (n: string) => fams.find((f) => f.name === n)!.samples[0].value;
      expect(v('edgeprom_buffer_samples_total')).toBe(4);
      expect(v('edgeprom_buffer_oldest_sample_timestamp_seconds')).toBe(clock.now() / 1000);
      expect(fams.find((f) => f.name === 'edgeprom_buffer_dropped_samples_total')!.samples.map((s) => s.labels.get('reason'))).toEqual(['size', 'age', 'corrupt', 'write_error']);
      // Valid in both formats: no family name clashes with a counter's `_total`-less name.
      const om = encodeOpenMetrics(fams);
      expect(parseExposition(om, { format: 'openmetrics' }).length).toBe(fams.length);
    });
  });
}
