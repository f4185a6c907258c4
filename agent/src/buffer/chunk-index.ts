/**
 * What the buffer keeps in memory about each stored chunk, in store order ((boot, seq)
 * order, oldest first). Roughly 100–150 bytes a chunk: a full 64 MiB buffer of a default
 * agent (one ~2.5 KB chunk per collection) holds ~26 000 chunks, ~3–4 MB.
 */
export interface ChunkMeta {
  ord: number;
  /** The seq in the key (the first sample's seq when written; survivors may start later). */
  keySeq: number;
  lastSeq: number;
  /** Live (unacked) samples. */
  n: number;
  /** Key + value bytes. */
  bytes: number;
  minT: number;
  maxT: number;
}

export class ChunkIndex {
  #list: ChunkMeta[] = [];
  #bytes = 0;

  get list(): readonly ChunkMeta[] {
    return this.#list;
  }
  get length(): number {
    return this.#list.length;
  }
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a chunk that sorts after every other. */
  push(m: ChunkMeta): void {
    this.#list.push(m);
    this.#bytes += m.bytes;
  }

  /** Replaces `old` (a run of consecutive chunks) with `next`, keeping the order. */
  replace(old: Set<ChunkMeta>, next: ChunkMeta[] = []): void {
    if (old.size === 0 && next.length === 0) return;
    let at = this.#list.length;
    const kept: ChunkMeta[] = [];
    this.#list.forEach((m, i) => {
      if (old.has(m)) at = Math.min(at, i);
      else kept.push(m);
    });
    for (const m of old) this.#bytes -= m.bytes;
    for (const m of next) this.#bytes += m.bytes;
    const before = this.#list.slice(0, at).filter((m) => !old.has(m));
    this.#list = before.concat(next, kept.slice(before.length));
  }

  /** A chunk changed size in place. */
  resize(m: ChunkMeta, bytes: number): void {
    this.#bytes += bytes - m.bytes;
    m.bytes = bytes;
  }

  liveSamples(): number {
    let n = 0;
    for (const c of this.#list) n += c.n;
    return n;
  }

  hasBoot(ord: number): boolean {
    return this.#list.some((c) => c.ord === ord);
  }
}
