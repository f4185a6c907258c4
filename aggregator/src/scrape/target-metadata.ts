/**
 * Per-target metric metadata (`# TYPE`, `# HELP`, `# UNIT`), as Prometheus's scrape cache
 * keeps `metaEntry`s: what the target's last successful scrape exposed. Per family, never
 * per sample: the parser hands each family object over once (ExpositionSink.family) and
 * finishes it before the scrape ends, so `commit()` reads each one once. A failed scrape
 * keeps the previous metadata (as Prometheus flushes metadata only on a successful scrape);
 * a family the target stopped exposing goes with the next successful scrape; the whole
 * record goes with its loop when the target goes.
 */
import { declaredUnknown, type Labels, type MetricFamily } from '@edgeprom/shared';

/** One family's metadata; `type` is Prometheus's name (`unknown` for the text format's untyped). */
export interface FamilyMetadata {
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** Whether a family had a metadata line (`# TYPE`, `# HELP` or `# UNIT`), as Prometheus lists them. */
function hasMetadata(f: MetricFamily): boolean {
  return f.type !== 'unknown' || f.help !== undefined || f.unit !== undefined || declaredUnknown(f);
}

function sameMetadata(m: FamilyMetadata, f: MetricFamily): boolean {
  return m.type === f.type && m.help === (f.help ?? '') && m.unit === (f.unit ?? '');
}

export class TargetMetadata {
  /** The last successful scrape's families, by name. */
  #byName = new Map<string, FamilyMetadata>();
  /** The same entries in order (for commit's unchanged check without iterator objects). */
  #names: string[] = [];
  #metas: FamilyMetadata[] = [];
  /** This scrape's families, in order of appearance. */
  readonly #pending: MetricFamily[] = [];
  #pendingN = 0;

  /** A family of the scrape in progress (the parser's object, completed by the end of the parse). */
  seen(f: MetricFamily): void {
    this.#pending[this.#pendingN++] = f;
  }

  /**
   * The scrape succeeded: its families with a metadata line become the target's metadata.
   * Families a sample alone created (no TYPE, HELP or UNIT) have none, as in Prometheus.
   * Metadata as the last scrape's (the usual case) keeps the same map: nothing is built.
   */
  commit(): void {
    const pending = this.#pending;
    const n = this.#pendingN;
    const names = this.#names;
    const metas = this.#metas;
    let k = 0;
    let same = true;
    for (let i = 0; i < n && same; i++) {
      const f = pending[i];
      if (!hasMetadata(f)) continue;
      same = k < names.length && names[k] === f.name && sameMetadata(metas[k], f);
      k++;
    }
    if (!same || k !== names.length) {
      const old = this.#byName;
      const next = new Map<string, FamilyMetadata>();
      for (let i = 0; i < n; i++) {
        const f = pending[i];
        if (!hasMetadata(f)) continue;
        const was = old.get(f.name);
        next.set(f.name, was !== undefined && sameMetadata(was, f) ? was : { type: f.type, help: f.help ?? '', unit: f.unit ?? '' });
      }
      this.#byName = next;
      this.#names = [...next.keys()];
      this.#metas = [...next.values()];
    }
    this.#clearPending();
  }

  #clearPending(): void {
    // Let the parser's family objects (and their samples, for a collecting parser) go.
    this.#pending.fill(undefined as unknown as MetricFamily, 0, this.#pendingN);
    this.#pendingN = 0;
  }

  /** The scrape failed: keep what the last successful one saw. */
  discard(): void {
    this.#clearPending();
  }

  get size(): number {
    return this.#byName.size;
  }

  get(metric: string): FamilyMetadata | undefined {
    return this.#byName.get(metric);
  }

  /** Entries in the order the target exposed them. */
  entries(): IterableIterator<[string, FamilyMetadata]> {
    return this.#byName.entries();
  }
}

const BY_CACHE = new WeakMap<object, TargetMetadata>();

/**
 * The metadata kept with a scrape cache: a loop that reuses its predecessor's cache (a
 * reload that keeps the target) keeps the metadata too.
 */
export function metadataOf(cache: object): TargetMetadata {
  let m = BY_CACHE.get(cache);
  if (m === undefined) BY_CACHE.set(cache, (m = new TargetMetadata()));
  return m;
}

/** One metadata entry with its family name (the API's MetricMetadata). */
export interface NamedMetadata extends FamilyMetadata {
  metric: string;
}

/** What the metadata API reads from the scrape side: the active loops. */
export interface MetadataLoops {
  activeLoops(): Iterable<{ readonly target: { readonly publicLabels: Labels }; readonly metadata: TargetMetadata }>;
}

function* named(md: TargetMetadata, metric: string | undefined): IterableIterator<NamedMetadata> {
  if (metric !== undefined) {
    const m = md.get(metric);
    if (m !== undefined) yield { metric, type: m.type, help: m.help, unit: m.unit };
    return;
  }
  for (const [name, m] of md.entries()) yield { metric: name, type: m.type, help: m.help, unit: m.unit };
}

/**
 * The scrape side of `/api/v1/metadata` (every active target's entries, duplicates left to
 * the API to merge) and `/api/v1/targets/metadata` (per target, with its labels).
 */
export function scrapeMetadata(loops: MetadataLoops): {
  metadata(metric?: string): Iterable<NamedMetadata>;
  targetMetadata(metric?: string): Iterable<{ target: Labels; entries: Iterable<NamedMetadata> }>;
} {
  return {
    *metadata(metric) {
      for (const l of loops.activeLoops()) yield* named(l.metadata, metric);
    },
    *targetMetadata(metric) {
      for (const l of loops.activeLoops()) yield { target: l.target.publicLabels, entries: named(l.metadata, metric) };
    },
  };
}
