/**
 * The discovery seam (Prometheus's discovery/discovery.go, cut down): each discovery kind
 * (static, file, mDNS, MQTT presence) is a Discoverer that emits target groups; one manager
 * (manager.ts) runs them per job, merges their groups and hands the scrape manager a
 * `Map<job, TargetGroup[]>`. Nothing here knows about scraping, HTTP or relabeling.
 */

/**
 * A set of targets that share a source and common labels, exactly Prometheus's
 * `targetgroup.Group`.
 */
export interface TargetGroup {
  /**
   * Identifies the group within its discoverer, stable across updates: a later group with the
   * same source replaces the earlier one. Examples: `0` (the first static config),
   * `/etc/edgeprom/sd/pis.json:2` (third group of a file), `mdns/pi-kitchen._edgeprom._tcp.local`,
   * `mqtt/edgeprom/presence/pi-kitchen`.
   */
  source: string;
  /**
   * One label set per target. Each has `__address__` (`host:port`) and may carry
   * `__meta_*` labels (discovery metadata for relabeling, dropped after it) and any other
   * label that should reach the target (including `__metrics_path__`, `__scheme__`).
   * Empty: the group no longer has targets, which removes the source.
   */
  targets: Record<string, string>[];
  /** Labels common to every target of the group; a target's own label of the same name wins. */
  labels: Record<string, string>;
}

/**
 * One running discovery mechanism.
 *
 * Contract (every implementation, checked by the tests beside each one):
 * - `run` calls `emit` with its **full set** of groups first (possibly `[]` when it knows of
 *   nothing yet), and again **on every change** after that.
 * - A later emit need only carry the groups that changed; a source that is not mentioned
 *   keeps its previous group. To remove a source, emit its group with `targets: []`.
 * - Emitted groups and their label objects are never mutated afterwards: a change emits a
 *   new object, so consumers may keep references without copying.
 * - `emit` is synchronous and cheap (the manager only records the groups and schedules a
 *   debounced send); a discoverer may call it from any callback.
 * - `run` resolves once `signal` is aborted and every socket, watcher and timer it opened is
 *   released. It rejects only for errors that leave it unable to discover anything
 *   (a bad file or a lost broker connection are logged and survived instead).
 * - `run` is called at most once per instance.
 */
export interface Discoverer {
  run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void>;
}

/**
 * The logging surface discovery needs; a pino logger (or aggregator/src/main's Logger)
 * satisfies it. Parts default to a silent one.
 */
export interface DiscoveryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const silentLogger: DiscoveryLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** The label Prometheus gives every target's address. */
export const ADDRESS_LABEL = '__address__';
