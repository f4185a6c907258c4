/**
 * `hardware` exporter: `edgeprom_hardware_info{vendor,model,version,serial,revision} 1`.
 * node_exporter has no equivalent that works on ARM boards (node_dmi_info needs DMI, which a
 * Pi lacks), hence our own name.
 *
 * On Linux the board is read directly: devicetree (every Pi and most ARM boards), then
 * /proc/cpuinfo (Pi "Model", "Serial", "Revision"), then DMI (x86). systeminformation is
 * loaded only on other platforms: importing it costs ~10 MB of RSS, half the agent's budget.
 */
import { join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { readOptional, readValue } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

export interface HardwareInfo {
  vendor: string;
  model: string;
  version: string;
  serial: string;
  revision: string;
}

/** Pure parser: the `Key : value` lines of /proc/cpuinfo that describe the board (not a core). */
export function parseCpuinfoBoard(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === 'Model' || key === 'Serial' || key === 'Revision' || key === 'Hardware') out[key] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Placeholders firmware writes when it has nothing to say. */
function meaningful(s: string | undefined): string {
  if (!s) return '';
  return /^(to be filled by o\.e\.m\.|default string|not specified|none|system serial number|0+|-)$/i.test(s) ? '' : s;
}

export async function readLinuxHardware(roots: OsRoots, signal?: AbortSignal): Promise<HardwareInfo> {
  const dt = join(roots.sysfs, 'firmware', 'devicetree', 'base');
  const dmi = join(roots.sysfs, 'class', 'dmi', 'id');
  const [dtModel, dtSerial, cpuinfo, vendor, product, version, dmiSerial] = await Promise.all([
    readValue(join(dt, 'model'), signal),
    readValue(join(dt, 'serial-number'), signal),
    readOptional(join(roots.procfs, 'cpuinfo'), signal).catch(() => undefined),
    readValue(join(dmi, 'sys_vendor'), signal),
    readValue(join(dmi, 'product_name'), signal),
    readValue(join(dmi, 'product_version'), signal),
    readValue(join(dmi, 'product_serial'), signal), // root-only on most systems: then absent
  ]);
  const ci = parseCpuinfoBoard(cpuinfo ?? '');
  return {
    vendor: meaningful(vendor),
    model: meaningful(dtModel) || meaningful(ci.Model) || meaningful(product) || meaningful(ci.Hardware),
    version: meaningful(version),
    serial: meaningful(ci.Serial) || meaningful(dtSerial) || meaningful(dmiSerial),
    revision: meaningful(ci.Revision),
  };
}

async function readPortableHardware(): Promise<HardwareInfo> {
  const si = (await import('systeminformation')).default;
  const s = await si.system();
  return { vendor: meaningful(s.manufacturer), model: meaningful(s.model), version: meaningful(s.version), serial: meaningful(s.serial), revision: '' };
}

export interface HardwareExporterOptions {
  roots?: Partial<OsRoots>;
  platform?: NodeJS.Platform;
}

export function hardwareExporter(opts: HardwareExporterOptions = {}): Exporter {
  const roots = resolveRoots(opts.roots);
  const platform = opts.platform ?? process.platform;
  let cached: HardwareInfo | undefined; // the board does not change while we run
  return {
    name: 'hardware',
    async collect(signal) {
      cached ??= platform === 'linux' ? await readLinuxHardware(roots, signal) : await readPortableHardware();
      return new FamilySet()
        .gauge('edgeprom_hardware_info', 'Board identity: vendor, model, version, serial and (Raspberry Pi) revision code.', { ...cached }, 1)
        .list();
    },
  } satisfies Exporter;
}
