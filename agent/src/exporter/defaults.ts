/**
 * The default exporter set. On Linux every exporter reads procfs/sysfs directly (exact,
 * cheap, and no 10 MB systeminformation import); elsewhere the portable ones stand in.
 */
import type { Clock } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import type { Logger } from '../logger.js';
import { resolveRoots, type OsRoots } from './roots.js';
import { cpuExporter, statExporter } from './cpu.js';
import { loadavgExporter } from './loadavg.js';
import { meminfoExporter } from './meminfo.js';
import { filesystemExporter } from './filesystem.js';
import { diskstatsExporter } from './diskstats.js';
import { netdevExporter } from './netdev.js';
import { hwmonExporter } from './hwmon.js';
import { thermalZoneExporter } from './thermal-zone.js';
import { timeExporter } from './time.js';
import { unameExporter } from './uname.js';
import { osReleaseExporter } from './os-release.js';
import { hardwareExporter } from './hardware.js';
import { processExporter } from '@edgeprom/shared';
import { textfileExporter } from './textfile.js';
import {
  portableCpuExporter,
  portableFilesystemExporter,
  portableLoadavgExporter,
  portableMeminfoExporter,
  portableNetdevExporter,
  portableStatExporter,
} from './portable.js';

export interface DefaultExportersOptions {
  clock: Clock;
  logger?: Logger;
  roots?: Partial<OsRoots>;
  /** Enables the textfile exporter on this directory. */
  textfileDirectory?: string;
  agentId?: string;
  version?: string;
  /** Defaults to process.platform. */
  platform?: NodeJS.Platform;
}

export function defaultExporters(opts: DefaultExportersOptions): Exporter[] {
  const roots = resolveRoots(opts.roots);
  const platform = opts.platform ?? process.platform;
  const list: Exporter[] =
    platform === 'linux'
      ? [
          cpuExporter(roots),
          statExporter(roots),
          loadavgExporter(roots),
          meminfoExporter(roots),
          filesystemExporter({ roots }),
          diskstatsExporter({ roots }),
          netdevExporter({ roots }),
          hwmonExporter(roots),
          thermalZoneExporter(roots),
        ]
      : [
          portableCpuExporter(),
          portableStatExporter(opts.clock),
          portableLoadavgExporter(),
          portableMeminfoExporter(),
          portableFilesystemExporter(),
          portableNetdevExporter(),
        ];
  list.push(
    timeExporter(opts.clock),
    unameExporter({ roots }),
    osReleaseExporter(roots),
    hardwareExporter({ roots, platform }),
    processExporter({ clock: opts.clock, roots, agentId: opts.agentId, version: opts.version }),
  );
  if (opts.textfileDirectory) list.push(textfileExporter({ directory: opts.textfileDirectory, logger: opts.logger }));
  return list;
}
