/**
 * The pushed groups and the rules for changing them: PUT replaces a group, POST replaces
 * the families it names, DELETE drops the group, expiry drops groups past their TTL. Every
 * change is synchronous and checked as a whole before it is applied, so a refused push
 * leaves the groups as they were (apart from push_failure_time_seconds, as Pushgateway).
 *
 * The store knows nothing of HTTP or of the TSDB: it returns what changed and the writer
 * (tsdb-writer.ts) appends it.
 */
import { checkConsistency } from './consistency.js';
import { limitExceeded, type PushError } from './errors.js';
import { groupKey, type GroupingLabels } from './grouping-key.js';
import { newGroup, seriesCount, type Group, type StoredFamily } from './group.js';

export interface PushRequest {
  grouping: GroupingLabels;
  /** Families of the push, already sanitized (toStoredFamilies). */
  families: Map<string, StoredFamily>;
  /** true for PUT (replace the group), false for POST (replace families by name). */
  replace: boolean;
  ttlMs: number;
  now: number;
}

export interface StoreLimits {
  maxSeriesPerGroup: number;
  maxGroups: number;
}

export type PushOutcome = { ok: true; group: Group } | { ok: false; error: PushError; group: Group | undefined };

export class GroupStore {
  readonly #groups = new Map<string, Group>();
  #limits: StoreLimits;
  /** Bumped on every change, so persistence knows when to write. */
  version = 0;

  constructor(limits: StoreLimits) {
    this.#limits = { maxSeriesPerGroup: limits.maxSeriesPerGroup, maxGroups: limits.maxGroups };
  }

  /** New limits apply to later pushes; groups already over them are kept. */
  setLimits(limits: StoreLimits): void {
    this.#limits = { maxSeriesPerGroup: limits.maxSeriesPerGroup, maxGroups: limits.maxGroups };
  }

  get size(): number {
    return this.#groups.size;
  }

  groups(): IterableIterator<Group> {
    return this.#groups.values();
  }

  get(grouping: GroupingLabels): Group | undefined {
    return this.#groups.get(groupKey(grouping));
  }

  /** Applies a PUT or POST, or records its failure. */
  push(req: PushRequest): PushOutcome {
    const key = groupKey(req.grouping);
    const existing = this.#groups.get(key);
    let families: Map<string, StoredFamily>;
    if (req.replace || existing === undefined) {
      families = req.families;
    } else {
      families = new Map(existing.families);
      for (const [name, f] of req.families) families.set(name, f);
    }
    try {
      if (existing === undefined && this.#groups.size >= this.#limits.maxGroups) {
        // Refused without creating a group: a failure timestamp would need one.
        return { ok: false, error: limitExceeded(`too many groups (limit ${this.#limits.maxGroups})`), group: undefined };
      }
      const n = seriesCount(families);
      if (n > this.#limits.maxSeriesPerGroup) {
        throw limitExceeded(`group has ${n} series, more than the limit of ${this.#limits.maxSeriesPerGroup}`);
      }
      checkConsistency(this.#familiesWith(key, families));
    } catch (e) {
      const g = existing ?? this.#create(key, req.grouping, req.ttlMs);
      g.failureTimeMs = req.now;
      this.version++;
      return { ok: false, error: e as PushError, group: g };
    }
    const g = existing ?? this.#create(key, req.grouping, req.ttlMs);
    g.families = families;
    g.pushTimeMs = req.now;
    g.ttlMs = req.ttlMs;
    this.version++;
    return { ok: true, group: g };
  }

  /** Records a failed push that never got to the consistency check (timestamps present). */
  fail(grouping: GroupingLabels, now: number, ttlMs: number): Group | undefined {
    const key = groupKey(grouping);
    let g = this.#groups.get(key);
    if (g === undefined) {
      if (this.#groups.size >= this.#limits.maxGroups) return undefined;
      g = this.#create(key, grouping, ttlMs);
    }
    g.failureTimeMs = now;
    this.version++;
    return g;
  }

  /** Deletes a group; returns it (to write stale markers) or undefined if there was none. */
  delete(grouping: GroupingLabels): Group | undefined {
    return this.#remove(groupKey(grouping));
  }

  /** Removes and returns the groups whose TTL has run out at `now`. */
  expire(now: number): Group[] {
    const out: Group[] = [];
    for (const g of this.#groups.values()) {
      if (g.ttlMs <= 0) continue;
      const since = g.pushTimeMs > 0 ? g.pushTimeMs : g.failureTimeMs;
      if (now - since >= g.ttlMs) out.push(g);
    }
    for (const g of out) this.#remove(g.key);
    return out;
  }

  /** Puts a group back as it was persisted (restore at start). */
  restore(g: Group): void {
    this.#groups.set(g.key, g);
  }

  #remove(key: string): Group | undefined {
    const g = this.#groups.get(key);
    if (g === undefined) return undefined;
    this.#groups.delete(key);
    this.version++;
    return g;
  }

  #create(key: string, grouping: GroupingLabels, ttlMs: number): Group {
    const g = newGroup(key, grouping, ttlMs);
    this.#groups.set(key, g);
    return g;
  }

  *#familiesWith(key: string, families: Map<string, StoredFamily>): Generator<ReadonlyMap<string, StoredFamily>> {
    let placed = false;
    for (const g of this.#groups.values()) {
      if (g.key === key) {
        placed = true;
        yield families;
      } else {
        yield g.families;
      }
    }
    if (!placed) yield families;
  }
}
