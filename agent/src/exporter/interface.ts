/**
 * The Exporter seam: everything the agent measures enters through it.
 *
 * An exporter turns one source (procfs, sysfs, a directory of textfiles, the agent process
 * itself, a sensor bus in firmware-exporters) into metric families. It knows nothing about
 * HTTP, encoding, buffering or pushing: the Collector runs it on an interval, caches what it
 * returns and hands every batch to whoever listens (the /metrics server today, the LevelDB
 * buffer later). So an exporter is tested alone, against a fake tree in a temp dir.
 */
import type { MetricFamily } from '@edgeprom/shared';

export interface Exporter {
  /**
   * Stable, short, snake_case name, used as the `exporter` label of
   * `edgeprom_exporter_up` / `edgeprom_exporter_duration_seconds` and in logs. Where
   * node_exporter has the same collector, the name is node_exporter's (`cpu`, `meminfo`,
   * `filesystem`, `netdev`, ...), so both read alike on a dashboard.
   */
  readonly name: string;

  /**
   * Reads the source once and returns complete families (HELP, TYPE, every sample).
   *
   * Contract:
   * - Returns the whole current state, never a delta: the previous result is replaced.
   * - Family names must be valid metric names; samples carry `__name__`. Samples normally
   *   have no timestamp (the scrape or collection time applies).
   * - Throws (or rejects) when the source cannot be read at all; the collector then reports
   *   `edgeprom_exporter_up{exporter=name} 0`, logs the error once, and serves nothing from
   *   this exporter for that cycle. A partly readable source (one mount point failing) is
   *   reported inside the families instead, as node_exporter does
   *   (`node_filesystem_device_error`).
   * - Must honour `signal`: the collector aborts it on timeout and on shutdown. An exporter
   *   that cannot stop an operation midway (a hung statfs) must at least not start new work
   *   after the abort. The collector never runs two collections of one exporter at once.
   * - Must not keep state that grows without bound between calls.
   */
  collect(signal?: AbortSignal): Promise<MetricFamily[]>;

  /**
   * `true` for exporters whose value only means something at the instant it is read and
   * that are cheap (no I/O, no waiting): `node_time_seconds`, the agent's "last scraped"
   * time. The collector runs them on the interval like every other exporter (so the buffer
   * records them) and also on every snapshot, so a scrape sees the current value rather than
   * one up to an interval old. Everything else leaves this unset: scrapes then read the
   * cache and never trigger slow calls.
   */
  readonly live?: boolean;
}
