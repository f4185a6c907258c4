/**
 * static_configs: the targets written in the config, one group per static config (source
 * `0`, `1`, ... as in Prometheus's StaticProvider). Emits once, then waits to be stopped.
 */
import type { StaticConfig } from '@edgeprom/shared/config';
import { aborted } from './groups.js';
import { ADDRESS_LABEL, type Discoverer, type TargetGroup } from './interface.js';

export function staticGroups(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((sc, i) => ({
    source: String(i),
    targets: sc.targets.map((t) => ({ [ADDRESS_LABEL]: t })),
    labels: { ...sc.labels },
  }));
}

export class StaticDiscoverer implements Discoverer {
  readonly #groups: TargetGroup[];

  constructor(configs: readonly StaticConfig[]) {
    this.#groups = staticGroups(configs);
  }

  async run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void> {
    if (signal.aborted) return;
    emit(this.#groups);
    await aborted(signal);
  }
}

StaticDiscoverer satisfies new (c: readonly StaticConfig[]) => Discoverer;
