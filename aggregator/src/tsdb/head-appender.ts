/**
 * A head write transaction. Samples are buffered in pooled arrays (AppendBuffers: no object
 * per sample of their own) and applied in append order at commit; rollback drops them.
 *
 * Validation at append time compares a sample with the newest one of its series: the
 * committed one, or the newest appended in this transaction. Rather than a per-transaction
 * map, the transaction marks each series it touches in its head record (txnId, txnIdx: the
 * buffer slot of its newest pending sample). Another transaction touching the same series
 * overwrites the mark; the first then validates against committed data only, and commit,
 * which re-checks every sample (Head.commitSample), catches what slipped through.
 *
 * Out-of-order samples (head.ts) are checked against everything stored at their timestamp
 * (HeadLookup) and against every pending sample of the transaction (TxnIndex, built at the
 * first one); they do not move the series' mark, which tracks in-order samples only. An
 * appender opened with `{ discardOutOfOrder: true }` gets a window of 0 (Head.appender): it
 * refuses them as a head without the window does, and passes that window to commitSample.
 *
 * Series that do not exist yet are created only at commit, so a rolled-back transaction
 * leaves no trace in the index. Until then they live in a small per-transaction map and are
 * referred to by negative refs in the buffer.
 */
import type { Labels } from '@edgeprom/shared';
import type { Appender, SeriesRef } from '../storage/interface.js';
import { appenderClosed, SampleError, type SampleErrorCode } from '../storage/errors.js';
import { isValidTimestamp, sameBits } from '../storage/value.js';
import { CommitStatus, type Head, type HeadLog, type HeadMetrics } from './head.js';
import { LabelsMap } from './head-labels-map.js';
import { TxnIndex } from './head-txn-index.js';

/**
 * Pending samples: series ref (or -(i+1) for the i-th new series), timestamp, value.
 *
 * Timestamps and values sit in plain arrays of tagged elements (taggedArray), not in
 * Float64Arrays: they hold the very number objects the caller passed to append, and commit
 * hands those on (to the head, the chunk encoder, the WAL) as they are. Read from a
 * Float64Array, every timestamp (beyond 2^31) and every non-integer value would be boxed in
 * a new heap number at each call it is passed to: ~60 bytes of garbage per sample at commit,
 * measured (docs/tsdb.md, "Garbage per sample").
 */
export interface AppendBuffers {
  refs: Int32Array;
  ts: number[];
  vs: number[];
}

/**
 * An array whose elements V8 keeps tagged (pointers or small integers) whatever numbers it
 * later holds: seeded with a non-number, so it never turns into a double array, which would
 * unbox (and re-box on every read) what is stored, and canonicalize NaN payloads such as the
 * stale marker.
 */
export function taggedArray(n: number): number[] {
  return new Array<unknown>(n).fill(null) as number[];
}

/** Buffers of n slots. */
export function newAppendBuffers(n: number): AppendBuffers {
  return { refs: new Int32Array(n), ts: taggedArray(n), vs: taggedArray(n) };
}

/** Re-read the clock after this many appends, so a long transaction's "now" stays current. */
const CLOCK_REFRESH_APPENDS = 4096;

const REJECT_COUNTER: Record<SampleErrorCode, keyof HeadMetrics['rejected']> = {
  ERR_OUT_OF_ORDER_SAMPLE: 'outOfOrder',
  ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP: 'duplicate',
  ERR_TOO_OLD_SAMPLE: 'tooOld',
  ERR_TOO_FAR_IN_FUTURE: 'tooFarInFuture',
  ERR_INVALID_SAMPLE: 'invalid',
};

/** A transaction's series the head does not hold yet (referred to by -(index + 1) in the buffer). */
interface NewSeries {
  /** Labels → index into the arrays below. */
  map: LabelsMap;
  labels: Labels[];
  /** Labels.hash of each, handed to the head at commit. */
  hash: number[];
  /** Buffer slot of each one's newest pending in-order sample (-1: none yet). */
  last: number[];
  /** Head ref of each, once commit created (or found) it; -1 before. */
  ref: number[];
}

function newSeries(): NewSeries {
  const labels: Labels[] = [];
  return { map: new LabelsMap(labels), labels, hash: [], last: [], ref: [] };
}

export class HeadAppender implements Appender {
  readonly #head: Head;
  readonly #id: number;
  #buf: AppendBuffers | undefined;
  #n = 0;
  #now: number;
  #sinceNow = 0;
  /** Out-of-order window of this transaction (ms): the head's, or 0 when discarding. */
  readonly #window: number;
  /** Series of this transaction that the head does not hold yet; created at the first one. */
  #new: NewSeries | undefined;
  /** Pending samples by (ref, t), once an out-of-order sample needed it. */
  #index: TxnIndex | undefined;

  constructor(head: Head, id: number, now: number, window: number) {
    this.#head = head;
    this.#id = id;
    this.#now = now;
    this.#window = window;
    this.#buf = head.takeBuffers();
  }

  append(labels: Labels, t: number, v: number, hint: SeriesRef = 0): SeriesRef {
    const buf = this.#buf;
    if (buf === undefined) throw appenderClosed();
    const head = this.#head;
    const window = this.#window;
    if (!isValidTimestamp(t)) this.#reject('ERR_INVALID_SAMPLE', labels, t, 'timestamp must be an integer within ±2^52 ms');
    // Below the appendable window: too old, unless the out-of-order window takes it.
    const belowWindow = t < head.minValidTime(window > 0);
    if (belowWindow && window === 0) this.#reject('ERR_TOO_OLD_SAMPLE', labels, t);
    if (++this.#sinceNow >= CLOCK_REFRESH_APPENDS) {
      this.#sinceNow = 0;
      this.#now = head.clock.now();
    }
    if (t > this.#now + head.futureToleranceMs) this.#reject('ERR_TOO_FAR_IN_FUTURE', labels, t);

    // The caller's ref when it is still a live series of this head, else a lookup by labels.
    let ref = hint === 0 ? -1 : head.slotOf(hint);
    let hash = 0;
    // What to return: the hint itself when it was right (the caller's number object: a
    // SeriesRef is beyond 2^31, so computing it anew would box it in a heap number each time).
    let seriesRef = hint;
    if (ref < 0) {
      hash = labels.hash;
      ref = head.refOf(labels, hash);
      seriesRef = head.refBase + ref;
    }
    if (ref >= 0) {
      const store = head.store;
      let lastT: number;
      let lastV: number;
      if (store.txnId(ref) === this.#id) {
        const slot = store.txnIdx(ref);
        lastT = buf.ts[slot];
        lastV = buf.vs[slot];
      } else {
        lastT = store.maxT(ref);
        lastV = store.lastV(ref);
      }
      if (window === 0 && t > lastT) {
        // Newer samples may be in the out-of-order store (see Head.commitSample).
        const o = head.ooo.get(ref);
        if (o !== undefined && t <= o.maxT) {
          if (head.findStored(ref, t)) {
            this.#repeat(labels, t, v, head.foundV, false);
            return seriesRef;
          }
          this.#reject('ERR_OUT_OF_ORDER_SAMPLE', labels, t);
        }
      }
      if (t > lastT && !belowWindow) {
        store.markTxn(ref, this.#id, this.#n);
      } else if (t === lastT) {
        this.#repeat(labels, t, v, lastV, false);
        return seriesRef;
      } else if (window === 0) {
        this.#reject('ERR_OUT_OF_ORDER_SAMPLE', labels, t);
      } else if (this.#outOfOrder(labels, ref, t, v, true)) {
        return seriesRef;
      }
      this.#push(buf, ref, t, v);
      return seriesRef;
    } else {
      // Checked only for unknown series: reading the Labels object costs a cache miss.
      if (labels.size === 0) this.#reject('ERR_INVALID_SAMPLE', labels, t, 'empty label set');
      const ns = (this.#new ??= newSeries());
      let i = ns.map.get(labels, hash);
      if (i < 0) {
        i = ns.labels.length;
        ns.labels.push(labels);
        ns.hash.push(hash);
        ns.last.push(-1);
        ns.ref.push(-1);
        ns.map.add(hash, i);
      }
      ref = -(i + 1);
      // With an out-of-order window, below the floor, a series the head does not hold (never
      // held, or gc() removed it) may still have this timestamp in a block: a timestamp is
      // stored once, wherever it went. (Without a window, order decides: see below.)
      if (window !== 0 && t < head.truncatedBefore && head.olderLookup?.(labels, t) === true) {
        this.#repeat(labels, t, v, head.foundV, true);
        return 0;
      }
      const slot = ns.last[i];
      let lastT = slot < 0 ? -Infinity : buf.ts[slot];
      let lastV = slot < 0 ? 0 : buf.vs[slot];
      // Without an out-of-order window, below the floor: the series may have been garbage-
      // collected from the head, and its newest sample (now in a block) decides the order.
      if (slot < 0 && window === 0 && t < head.truncatedBefore && head.olderNewest?.(labels) === true) {
        lastT = head.foundT;
        lastV = head.foundV;
      }
      if (t > lastT && !belowWindow) {
        ns.last[i] = this.#n;
      } else if (t === lastT) {
        this.#repeat(labels, t, v, lastV, false);
        return 0;
      } else if (window === 0) {
        this.#reject('ERR_OUT_OF_ORDER_SAMPLE', labels, t);
      } else if (this.#outOfOrder(labels, ref, t, v, false)) {
        return 0;
      }
      this.#push(buf, ref, t, v);
      return 0;
    }
  }

  /** @internal Marks the head refs of the pending samples (Head.gc must keep them). */
  pin(pinned: Uint8Array): void {
    const buf = this.#buf;
    if (buf === undefined) return;
    const refs = buf.refs;
    for (let i = 0; i < this.#n; i++) if (refs[i] >= 0) pinned[refs[i]] = 1;
  }

  /**
   * Decides an out-of-order sample (the window is on): throws if it is too old or conflicts
   * with a stored or pending sample; true when it repeats one exactly (ignore it); false when
   * it is to be buffered.
   */
  #outOfOrder(labels: Labels, ref: number, t: number, v: number, stored: boolean): boolean {
    const head = this.#head;
    if (t < head.minOutOfOrderTime()) {
      head.metrics.outOfOrder.tooOld++;
      this.#reject('ERR_TOO_OLD_SAMPLE', labels, t);
    }
    if (stored && head.findStored(ref, t)) {
      this.#repeat(labels, t, v, head.foundV, true);
      return true;
    }
    const buf = this.#buf!;
    if (this.#index === undefined) {
      this.#index = new TxnIndex(this.#n + 64);
      for (let i = 0; i < this.#n; i++) this.#index.add(buf, i);
    }
    const slot = this.#index.get(buf, ref, t);
    if (slot >= 0) {
      this.#repeat(labels, t, v, buf.vs[slot], true);
      return true;
    }
    return false;
  }

  /** A sample at a timestamp already stored or pending: ignored if the value is the same. */
  #repeat(labels: Labels, t: number, v: number, old: number, ooo: boolean): void {
    const m = this.#head.metrics;
    if (!sameBits(v, old)) {
      if (ooo) m.outOfOrder.duplicate++;
      this.#reject('ERR_DUPLICATE_SAMPLE_FOR_TIMESTAMP', labels, t);
    }
    m.duplicatesIgnored++;
    if (ooo) m.outOfOrder.duplicatesIgnored++;
  }

  #reject(code: SampleErrorCode, labels: Labels, t: number, detail?: string): never {
    this.#head.metrics.rejected[REJECT_COUNTER[code]]++;
    throw new SampleError(code, labels, t, detail);
  }

  #push(buf: AppendBuffers, ref: number, t: number, v: number): void {
    const n = this.#n;
    if (n === buf.refs.length) {
      const grown = newAppendBuffers(n * 2);
      grown.refs.set(buf.refs);
      for (let i = 0; i < n; i++) {
        grown.ts[i] = buf.ts[i];
        grown.vs[i] = buf.vs[i];
      }
      this.#buf = buf = grown;
    }
    buf.refs[n] = ref;
    buf.ts[n] = t;
    buf.vs[n] = v;
    this.#n = n + 1;
    this.#index?.add(buf, n);
  }

  async commit(): Promise<void> {
    const buf = this.#buf;
    if (buf === undefined) throw appenderClosed();
    const head = this.#head;
    const log = head.log;
    if (log !== undefined) {
      try {
        log.begin();
      } catch (e) {
        this.rollback();
        throw e;
      }
    }
    this.#buf = undefined;
    head.closed(this);
    // Refs of new series are resolved lazily, in append order, so series are created in the
    // order their first samples arrived (and only if they get one).
    const { refs, ts, vs } = buf;
    for (let i = 0; i < this.#n; i++) {
      let ref = refs[i];
      if (ref < 0) ref = this.#created(-ref - 1, log);
      const status = head.commitSample(ref, ts[i], vs[i], this.#window);
      if (log !== undefined) {
        if (status === CommitStatus.Appended) log.sample(ref, ts[i], vs[i]);
        else if (status === CommitStatus.AppendedOutOfOrder) log.oooSample(ref, ts[i], vs[i]);
      }
    }
    head.metrics.commits++;
    head.releaseBuffers(buf, this.#n);
    const durable = log?.end();
    if (durable !== undefined) await durable;
  }

  /** The head ref of the transaction's k-th new series, created at its first sample. */
  #created(k: number, log: HeadLog | undefined): number {
    const ns = this.#new as NewSeries; // a negative ref in the buffer means it exists
    let ref = ns.ref[k];
    if (ref < 0) {
      const store = this.#head.store;
      const before = store.count;
      ref = ns.ref[k] = this.#head.getOrCreate(ns.labels[k], ns.hash[k]);
      // Another transaction may have created it since this one appended.
      if (log !== undefined && store.count > before) log.series(ref, store.labels[ref]);
    }
    return ref;
  }

  rollback(): void {
    const buf = this.#buf;
    if (buf === undefined) return; // idempotent, so it can sit in a finally block
    this.#buf = undefined;
    this.#head.closed(this);
    this.#head.metrics.rollbacks++;
    this.#head.releaseBuffers(buf, this.#n);
  }
}
