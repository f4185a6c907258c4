/**
 * Family metadata (TYPE, HELP, UNIT) that push devices sent in their batches' `meta`
 * (docs/wire-format.md), per device, for `/api/v1/metadata`. An agent sends a family once
 * per MQTT connection (and again when it changes), so this keeps the latest per device and
 * family; a device's entries are replaced family by family, never per sample. Bounded: at
 * most `maxFamiliesPerDevice` families per device (further new ones are ignored and
 * counted) and `maxDevices` devices.
 */
import type { WireFamilyMetadata } from '@edgeprom/shared/wire';

export interface DeviceMetadataLimits {
  /** Families kept per device; new ones past it are ignored. Default 10000. */
  maxFamiliesPerDevice: number;
  /** Devices with metadata kept; a new device past it is ignored. Default 10000. */
  maxDevices: number;
}

export const DEFAULT_DEVICE_METADATA_LIMITS: DeviceMetadataLimits = Object.freeze({ maxFamiliesPerDevice: 10_000, maxDevices: 10_000 });

/** One entry as the API lists it (api/sources.ts MetricMetadata). */
export interface PushedMetadata {
  metric: string;
  type: string;
  help: string;
  unit: string;
}

export class DeviceMetadata {
  readonly #limits: DeviceMetadataLimits;
  readonly #byDevice = new Map<string, Map<string, PushedMetadata>>();
  /** Entries ignored because a limit was reached (for logs and tests). */
  ignored = 0;

  constructor(limits?: Partial<DeviceMetadataLimits>) {
    this.#limits = { ...DEFAULT_DEVICE_METADATA_LIMITS, ...limits };
  }

  /** Records what an accepted batch of `agent` declared. Returns how many entries were ignored. */
  record(agent: string, meta: readonly WireFamilyMetadata[]): number {
    let fams = this.#byDevice.get(agent);
    if (fams === undefined) {
      if (this.#byDevice.size >= this.#limits.maxDevices) {
        this.ignored += meta.length;
        return meta.length;
      }
      this.#byDevice.set(agent, (fams = new Map()));
    }
    let ignored = 0;
    for (const m of meta) {
      if (!fams.has(m.metric) && fams.size >= this.#limits.maxFamiliesPerDevice) {
        ignored++;
        continue;
      }
      fams.set(m.metric, { metric: m.metric, type: m.type, help: m.help, unit: m.unit });
    }
    this.ignored += ignored;
    return ignored;
  }

  /** Forgets a device (it is gone from the fleet). */
  forget(agent: string): void {
    this.#byDevice.delete(agent);
  }

  /** The families `agent` declared (tests, the fleet view). */
  device(agent: string): ReadonlyMap<string, PushedMetadata> | undefined {
    return this.#byDevice.get(agent);
  }

  /** Every device's entries, or only `metric`'s (a MetadataSource for the HTTP API). */
  *metadata(metric?: string): IterableIterator<PushedMetadata> {
    for (const fams of this.#byDevice.values()) {
      if (metric === undefined) yield* fams.values();
      else {
        const m = fams.get(metric);
        if (m !== undefined) yield m;
      }
    }
  }
}
