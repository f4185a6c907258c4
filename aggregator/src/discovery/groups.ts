/** Small helpers shared by the discoverers. */
import type { TargetGroup } from './interface.js';

/** Prometheus's strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** `host:port`, with IPv6 literals bracketed (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  return true;
}

/** Whether two groups carry the same targets (in order) and labels. */
export function sameGroup(a: TargetGroup, b: TargetGroup): boolean {
  if (a.source !== b.source || a.targets.length !== b.targets.length || !sameRecord(a.labels, b.labels)) return false;
  for (let i = 0; i < a.targets.length; i++) if (!sameRecord(a.targets[i], b.targets[i])) return false;
  return true;
}

/**
 * Keeps the last emitted group per source and turns a new full set into the emit a
 * Discoverer owes: changed or new groups, plus an empty group for each source that vanished.
 * The first call returns the full set (even when empty).
 */
export class GroupDiffer {
  #last = new Map<string, TargetGroup>();
  #first = true;

  /** Groups to emit for `next` (the complete current set), or undefined when nothing changed. */
  diff(next: readonly TargetGroup[]): TargetGroup[] | undefined {
    const out: TargetGroup[] = [];
    const seen = new Set<string>();
    for (const g of next) {
      seen.add(g.source);
      const prev = this.#last.get(g.source);
      if (!prev || !sameGroup(prev, g)) out.push(g);
      this.#last.set(g.source, g);
    }
    for (const [source] of this.#last) {
      if (!seen.has(source)) {
        out.push({ source, targets: [], labels: {} });
        this.#last.delete(source);
      }
    }
    if (this.#first) {
      this.#first = false;
      return out;
    }
    return out.length > 0 ? out : undefined;
  }
}

/** Resolves when `signal` aborts (immediately if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
