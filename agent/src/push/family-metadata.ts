/**
 * The agent's family metadata for the wire (`meta` of a batch, docs/wire-format.md): what
 * the last collect cycle's families declare (TYPE, HELP, UNIT), and which of them this MQTT
 * connection has already delivered. A family goes out with the first batch after it is new
 * or changed, or after a reconnect (the aggregator may have restarted); never in every batch.
 * Per family per cycle, never per sample.
 */
import type { MetricFamily } from '@edgeprom/shared';
import { resolveMetadataLimits, WIRE_METRIC_TYPES, type WireFamilyMetadata, type WireMetadataLimits } from '@edgeprom/shared/wire';
import { isValidMetricName } from '@edgeprom/shared';

export class FamilyMetadata {
  readonly #limits: WireMetadataLimits;
  /** The last cycle's families, by name. */
  #current = new Map<string, WireFamilyMetadata>();
  /** Delivered (acked) on this connection, by name. */
  readonly #delivered = new Map<string, WireFamilyMetadata>();

  constructor(limits?: Partial<WireMetadataLimits>) {
    this.#limits = resolveMetadataLimits(limits);
  }

  /** A collect cycle's families (Collector.onCollect): the metadata they declare. */
  readonly observe = (families: readonly MetricFamily[]): void => {
    const next = new Map<string, WireFamilyMetadata>();
    for (const f of families) {
      if (!isValidMetricName(f.name)) continue;
      const was = this.#current.get(f.name);
      const type = WIRE_METRIC_TYPES.has(f.type) ? f.type : 'unknown';
      // The receiver refuses longer texts: cut rather than lose the batch.
      const help = (f.help ?? '').slice(0, this.#limits.maxHelpLength);
      const unit = (f.unit ?? '').length <= this.#limits.maxUnitLength ? (f.unit ?? '') : '';
      next.set(f.name, was !== undefined && was.type === type && was.help === help && was.unit === unit ? was : { metric: f.name, type, help, unit });
    }
    this.#current = next;
  };

  /**
   * What the next batch should carry: families not yet delivered on this connection (or
   * changed since), at most `maxFamilies` and about `maxBytes` of text, so a batch always
   * has room for samples. The rest follow in later batches.
   */
  pending(maxBytes: number): WireFamilyMetadata[] {
    const out: WireFamilyMetadata[] = [];
    let bytes = 0;
    for (const m of this.#current.values()) {
      const d = this.#delivered.get(m.metric);
      if (d !== undefined && d.type === m.type && d.help === m.help && d.unit === m.unit) continue;
      const size = m.metric.length + m.type.length + m.help.length + m.unit.length + 8;
      if (out.length >= this.#limits.maxFamilies || (out.length > 0 && bytes + size > maxBytes)) break;
      if (size > maxBytes) continue; // never fits: left out rather than blocking the rest
      bytes += size;
      out.push(m);
    }
    return out;
  }

  /** The batch that carried `meta` was acked. */
  delivered(meta: readonly WireFamilyMetadata[]): void {
    for (const m of meta) this.#delivered.set(m.metric, m);
  }

  /** A new connection: the other side may not have seen anything. */
  reset(): void {
    this.#delivered.clear();
  }
}

/** A FamilyMetadata fed by every collect cycle of `collector`. */
export function pushMetadata(collector: { onCollect(l: (families: readonly MetricFamily[]) => void): unknown }, limits?: Partial<WireMetadataLimits>): FamilyMetadata {
  const m = new FamilyMetadata(limits);
  collector.onCollect(m.observe);
  return m;
}
