/**
 * A BufferStore on LevelDB (`level`, i.e. classic-level), and the recovery that keeps a bad
 * database from turning into a crash loop:
 *
 *   open ─ok─► done
 *    │ lock held by another process: retry every lockRetryMs for up to lockWaitMs (a
 *    │   previous agent still flushing on SIGTERM), then treat as unopenable
 *    │ any other failure (garbage in CURRENT/MANIFEST, truncated tables, a file where the
 *    ▼   directory should be)
 *   repair (LevelDB's RepairDB: rebuilds the MANIFEST from the tables and logs it finds)
 *    │ then open ─ok─► done (error log: "repaired", some recent writes may be gone)
 *    ▼ repair or the reopen failed
 *   move `<path>` aside to `<path>.corrupt-<UTC stamp>` (kept for a human), error log,
 *   open a fresh, empty database ─ok─► done; failure ─► ERR_BUFFER_OPEN
 *
 * Every step logs at error level with the path and the LevelDB message, because a device
 * losing its buffered history is something an operator must be able to find.
 *
 * `level` is imported when the store opens, not when the module loads: its native addon may
 * not load on a board (an ARM prebuild needing a newer glibc). That is ERR_BUFFER_OPEN, the
 * database is left alone, and the agent goes on with a memory buffer instead of crashing.
 */
import { rename } from 'node:fs/promises';
import { exists } from '../exporter/family.js';
import type { Level } from 'level';
import { RealClock, type Clock } from '@edgeprom/shared';
import { silentLogger, type Logger } from '../logger.js';
import { BufferError } from './errors.js';
import type { BufferStore, StoreOp } from './store.js';

export interface LevelStoreOptions {
  clock?: Clock;
  logger?: Logger;
  /**
   * fsync every batch (default true): a resolved flush survives power loss. The flush
   * interval, not this, is what bounds SD page writes (docs/agent.md "SD-card writes").
   */
  sync?: boolean;
  /** How long to wait for a LevelDB lock held by another process. Default 10 s. */
  lockWaitMs?: number;
  /** Default 500 ms. */
  lockRetryMs?: number;
  /** LevelDB's memtable size: RAM held before a table is written. Default 1 MiB. */
  writeBufferSize?: number;
  /** LevelDB's block cache. Default 1 MiB: the buffer reads little (push backlog only). */
  cacheSize?: number;
  /** Replaces LevelDB's repair (tests make it fail to reach the move-aside path). */
  repair?: (path: string) => Promise<void>;
}

type Db = Level<Uint8Array, Uint8Array>;
type LevelClass = typeof Level & { repair(path: string): Promise<void> };

let levelModule: Promise<LevelClass> | undefined;
function loadLevel(): Promise<LevelClass> {
  levelModule ??= import('level').then((m) => m.Level as LevelClass);
  levelModule.catch(() => (levelModule = undefined));
  return levelModule;
}

function isLockError(err: unknown): boolean {
  const msg = `${(err as Error)?.message ?? ''} ${((err as Error)?.cause as Error | undefined)?.message ?? ''}`;
  return /\block\b/i.test(msg) && /(already held|temporarily unavailable|resource busy)/i.test(msg);
}

function reasonOf(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e?.cause?.message ? `${e.message}: ${e.cause.message}` : String(e?.message ?? err);
}

/** `20260101T000000Z`: sortable, no colons (safe in any file system). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class LevelStore implements BufferStore {
  readonly location: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #opts: LevelStoreOptions;
  #db: Db | undefined;
  #Level: LevelClass | undefined;
  repaired = false;

  constructor(path: string, opts: LevelStoreOptions = {}) {
    this.location = path;
    this.#opts = opts;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger();
  }

  #create(): Db {
    return new this.#Level!<Uint8Array, Uint8Array>(this.location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      writeBufferSize: this.#opts.writeBufferSize ?? 1 << 20,
      cacheSize: this.#opts.cacheSize ?? 1 << 20,
      maxOpenFiles: 64,
    });
  }

  async #tryOpen(): Promise<Db> {
    const db = this.#create();
    await db.open();
    return db;
  }

  async open(): Promise<void> {
    const path = this.location;
    this.repaired = false;
    try {
      this.#Level = await loadLevel();
    } catch (err) {
      throw new BufferError('ERR_BUFFER_OPEN', `cannot load LevelDB (the classic-level native addon): ${reasonOf(err)}`, { cause: err });
    }
    const Level = this.#Level;
    let firstErr: unknown;
    try {
      this.#db = await this.#openWaitingForLock();
      return;
    } catch (err) {
      firstErr = err;
    }
    if (isLockError(firstErr)) {
      this.#logger.error({ path, err: reasonOf(firstErr) }, 'buffer database is locked by another process; moving it aside and starting an empty one');
    } else {
      this.#logger.error({ path, err: reasonOf(firstErr) }, 'buffer database cannot be opened; trying to repair it');
      try {
        await (this.#opts.repair ?? ((p: string) => Level.repair(p)))(path);
        this.#db = await this.#tryOpen();
        this.repaired = true;
        this.#logger.error({ path }, 'buffer database repaired and opened; samples written just before the damage may be lost');
        return;
      } catch (err) {
        this.#logger.error({ path, err: reasonOf(err) }, 'buffer database repair failed; moving it aside and starting an empty one');
      }
    }
    await this.#moveAside(reasonOf(firstErr));
    try {
      this.#db = await this.#tryOpen();
    } catch (err) {
      throw new BufferError('ERR_BUFFER_OPEN', `cannot open a fresh buffer database at ${path}: ${reasonOf(err)}`, { cause: err });
    }
  }

  async #openWaitingForLock(): Promise<Db> {
    const wait = this.#opts.lockWaitMs ?? 10_000;
    const every = this.#opts.lockRetryMs ?? 500;
    const start = this.#clock.monotonic();
    for (;;) {
      try {
        return await this.#tryOpen();
      } catch (err) {
        if (!isLockError(err) || this.#clock.monotonic() - start + every > wait) throw err;
        this.#logger.warn({ path: this.location }, 'buffer database is locked; waiting for the other process to let go');
        await this.#clock.sleep(every);
      }
    }
  }

  async #moveAside(reason: string): Promise<void> {
    const base = `${this.location}.corrupt-${stamp(this.#clock.now())}`;
    let target = base;
    for (let i = 2; await exists(target); i++) target = `${base}-${i}`;
    try {
      await rename(this.location, target);
      this.#logger.error({ path: this.location, movedTo: target, reason }, `BUFFER DATABASE MOVED ASIDE to ${target}; buffered samples in it are not pushed. Starting with an empty buffer`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new BufferError('ERR_BUFFER_OPEN', `cannot move the broken buffer database ${this.location} aside: ${(err as Error).message}`, { cause: err });
    }
  }

  async reset(reason: string): Promise<void> {
    await this.close();
    await this.#moveAside(reason);
    this.#db = await this.#tryOpen();
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db && db.status !== 'closed') await db.close();
  }

  #open(): Db {
    if (!this.#db) throw new BufferError('ERR_BUFFER_NOT_OPEN', `buffer database ${this.location} is not open`);
    return this.#db;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.#open().get(key)) ?? undefined;
  }

  async *scan(prefix: number): AsyncIterable<[Uint8Array, Uint8Array]> {
    const it = this.#open().iterator({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) });
    try {
      for await (const entry of it) yield entry;
    } finally {
      await it.close();
    }
  }

  async write(ops: StoreOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.#open().batch(ops, { sync: this.#opts.sync ?? true });
  }
}
