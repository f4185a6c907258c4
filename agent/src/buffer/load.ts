/**
 * Opening a buffer store: check the format, find the boot, rebuild the in-memory index and
 * dictionary from the entries, and clean up what nothing needs any more. Returns the
 * cleanup writes instead of doing them, so the buffer counts their bytes like any other.
 *
 * Each chunk is decoded once here (not only its key): to count the live samples behind a
 * partial ack, and to learn which series are still referenced. Decoding runs at roughly
 * 10–20 M samples/s on x86, so a full 64 MiB buffer (~5 M samples) takes well under a
 * second there and a few seconds on a Pi.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { readBootId } from './boot-id.js';
import type { ChunkIndex } from './chunk-index.js';
import { FORMAT_VERSION, PREFIX_BOOT, PREFIX_CHUNK, PREFIX_HELD, PREFIX_SERIES, bootKey, decodeBoot, encodeBoot, decodeChunk, decodeHeld, decodeLabels, keyU32, metaKey, parseChunkKey, parseHeldKey, seriesKey, type ChunkColumns } from './codec.js';
import { liveSummary } from './columns.js';
import type { BootState, HeldMeta } from './sample-buffer.js';
import type { SeriesDictionary } from './series-dictionary.js';
import type { BufferStore, StoreOp } from './store.js';

export interface LoadInput {
  store: BufferStore;
  logger: Logger;
  bootIdPath: string;
  /** Filled by the load. */
  series: SeriesDictionary;
  /** Filled by the load. */
  chunks: ChunkIndex;
}

export interface Loaded {
  /** Boots with buffered samples, and the current one, by ordinal. */
  boots: BootState[];
  current: BootState;
  /** Cleanup and bookkeeping writes to apply. */
  ops: StoreOp[];
  /** Samples in entries that had to be deleted. */
  corruptSamples: number;
  /** Held chunks (untrusted-clock samples), in hold order. */
  held: HeldMeta[];
  /** The next hold seq to hand out. */
  nextHoldSeq: number;
  /** Held samples in entries that had to be deleted (when their count was readable). */
  corruptHeldSamples: number;
}

export async function loadBuffer({ store, logger, bootIdPath, series, chunks }: LoadInput): Promise<Loaded> {
  const version = await store.get(metaKey('version'));
  if (version !== undefined && !(version.length === 1 && version[0] === FORMAT_VERSION)) {
    const reason = `unknown buffer format version ${[...version].join(',')}`;
    logger.error({ path: store.location, reason }, 'buffer database is in an unknown format');
    await store.reset(reason);
  }
  const ops: StoreOp[] = [{ type: 'put', key: metaKey('version'), value: Uint8Array.of(FORMAT_VERSION) }];
  let corruptSamples = 0;

  // The seq space is (kernel boot, store): a store that was lost, moved aside or wiped
  // within one kernel boot must not hand out seqs the aggregator already has (it would drop
  // the new samples as duplicates). So every store carries a random id, renewed after a
  // repair (its high-water marks may have lost their newest writes), and the boot id is
  // `<kernel boot id>.<store id>`; without a kernel boot id (not Linux), `store.<store id>`.
  const saved = await store.get(metaKey('store-id'));
  let storeId = saved ? new TextDecoder().decode(saved) : '';
  if (!/^[0-9a-f]{12}$/.test(storeId) || store.repaired) {
    if (store.repaired && storeId) logger.warn({ path: store.location }, 'buffer: starting a new seq space after the repair');
    storeId = randomBytes(6).toString('hex');
    ops.push({ type: 'put', key: metaKey('store-id'), value: new TextEncoder().encode(storeId) });
  }
  const bootId = `${(await readBootId(bootIdPath)) ?? 'store'}.${storeId}`;

  const corrupt = (what: string, key: Uint8Array, err: unknown) => {
    logger.error({ path: store.location, entry: what, err: (err as Error).message }, 'buffer entry does not decode; deleting it');
    ops.push({ type: 'del', key });
  };
  let boots: BootState[] = [];
  for await (const [key, value] of store.scan(PREFIX_BOOT)) {
    try {
      boots.push({ ...decodeBoot(keyU32(key), value), bytes: key.length + value.length });
    } catch (err) {
      corrupt('boot', key, err);
    }
  }
  for await (const [key, value] of store.scan(PREFIX_SERIES)) {
    try {
      series.add(keyU32(key), decodeLabels(value), key.length + value.length);
    } catch (err) {
      corrupt('series', key, err);
    }
  }
  const byOrd = new Map(boots.map((b) => [b.ord, b]));
  /** Live samples per series id: the dictionary's reference counts. */
  const referenced = new Map<number, number>();
  const count = (c: ChunkColumns, from: (i: number) => boolean) => {
    for (let i = 0; i < c.n; i++) if (from(i)) referenced.set(c.series[i], (referenced.get(c.series[i]) ?? 0) + 1);
  };
  for await (const [key, value] of store.scan(PREFIX_CHUNK)) {
    let k: { ord: number; firstSeq: number };
    let c: ChunkColumns;
    try {
      k = parseChunkKey(key);
      c = decodeChunk(k.firstSeq, value);
    } catch (err) {
      corrupt('chunk', key, err);
      continue;
    }
    const boot = byOrd.get(k.ord);
    if (!boot) {
      corrupt('chunk', key, new Error(`no boot record ${k.ord}`));
      corruptSamples += c.n;
      continue;
    }
    if (c.n > 0) boot.lastSeq = Math.max(boot.lastSeq, c.seqs[c.n - 1]);
    const live = liveSummary(c, boot.ackedSeq);
    if (live.n === 0) {
      ops.push({ type: 'del', key });
      continue;
    }
    count(c, (i) => c.seqs[i] > boot.ackedSeq);
    chunks.push({ ord: k.ord, keySeq: k.firstSeq, lastSeq: live.lastSeq, n: live.n, bytes: key.length + value.length, minT: live.minT, maxT: live.maxT });
  }

  const held: HeldMeta[] = [];
  let nextHoldSeq = 1;
  let corruptHeldSamples = 0;
  for await (const [key, value] of store.scan(PREFIX_HELD)) {
    try {
      const holdSeq = parseHeldKey(key);
      const { domain, cols } = decodeHeld(holdSeq, value);
      if (cols.n === 0) {
        ops.push({ type: 'del', key });
        continue;
      }
      count(cols, () => true);
      held.push({ holdSeq, n: cols.n, bytes: key.length + value.length, domain });
      nextHoldSeq = Math.max(nextHoldSeq, cols.seqs[cols.n - 1] + 1);
    } catch (err) {
      corrupt('held chunk', key, err);
    }
  }

  // Series no chunk refers to any more are forgotten (they come back with their next sample);
  // ids still in chunks are never reused, even if their dictionary entry was lost.
  for (const id of [...series.ids()]) {
    const refs = referenced.get(id);
    if (refs !== undefined) {
      series.ref(id, refs);
      continue;
    }
    series.remove(id);
    ops.push({ type: 'del', key: seriesKey(id) });
  }
  for (const id of referenced.keys()) series.reserve(id);

  let current = boots.find((b) => b.id === bootId);
  if (!current) {
    const ord = boots.reduce((m, b) => Math.max(m, b.ord), 0) + 1;
    current = { ord, id: bootId, lastSeq: 0, ackedSeq: 0, dropped: 0, bytes: 0 };
    boots.push(current);
    logger.info({ boot: bootId, ordinal: ord }, 'buffer: new boot');
  }
  // Old boots with nothing left to push are forgotten; the current one always stays.
  const withChunks = new Set(chunks.list.map((c) => c.ord));
  const cur = current;
  boots = boots.filter((b) => {
    if (b === cur || withChunks.has(b.ord)) return true;
    ops.push({ type: 'del', key: bootKey(b.ord) });
    return false;
  });
  boots.sort((a, b) => a.ord - b.ord);
  return { boots, current, ops: ops.concat(bootPut(current)), corruptSamples, held, nextHoldSeq, corruptHeldSamples };
}

function bootPut(b: BootState): StoreOp {
  const key = bootKey(b.ord);
  const value = encodeBoot(b);
  b.bytes = key.length + value.length;
  return { type: 'put', key, value };
}
