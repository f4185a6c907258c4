/**
 * The small key-value seam under the buffer (abstract-level style: the buffer's public
 * methods hold the policy; a store only moves bytes). Keys sort bytewise.
 */
export type StoreOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

export interface BufferStore {
  /** Where it lives, for logs ("memory" for the in-memory store). */
  readonly location: string;
  /**
   * True when the last open() had to repair the store: its newest writes may be gone, so the
   * buffer must not trust its seq high-water marks (it starts a new seq space).
   */
  readonly repaired: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Entries whose key starts with the byte `prefix`, in key order. */
  scan(prefix: number): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Applies all ops atomically (all or none survive a crash), durable when it resolves. */
  write(ops: StoreOp[]): Promise<void>;
  /**
   * Gives up on the current contents (the buffer found them unreadable: an unknown format
   * version), keeping them aside where the store can, and reopens empty.
   */
  reset(reason: string): Promise<void>;
}

/** Bytes a batch hands to the store: what the write counter adds up. */
export function opBytes(ops: readonly StoreOp[]): number {
  let n = 0;
  for (const op of ops) n += op.key.length + (op.type === 'put' ? op.value.length : 0);
  return n;
}
