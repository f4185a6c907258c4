/**
 * `thermal_zone` exporter: /sys/class/thermal zones and cooling devices, as node_exporter's
 * thermal_zone collector (on a Pi: `node_thermal_zone_temp{type="cpu-thermal",zone="0"}`,
 * and the fan's throttle state on a Pi 4/5 with a cooling fan).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { isMissing, readValue } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

export function thermalZoneExporter(roots?: Partial<OsRoots>): Exporter {
  const { sysfs } = resolveRoots(roots);
  return {
    name: 'thermal_zone',
    async collect(signal) {
      const base = join(sysfs, 'class', 'thermal');
      let entries: string[];
      try {
        entries = await readdir(base);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
      const byIndex = (prefix: string) =>
        entries
          .filter((e) => e.startsWith(prefix) && /^\d+$/.test(e.slice(prefix.length)))
          .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
      const fs = new FamilySet();
      for (const e of byIndex('thermal_zone')) {
        const [type, temp] = await Promise.all([readValue(join(base, e, 'type'), signal), readValue(join(base, e, 'temp'), signal)]);
        const t = num(temp);
        if (t === undefined) continue; // a zone whose sensor is off reads as an error
        fs.gauge('node_thermal_zone_temp', 'Zone temperature in Celsius', { zone: e.slice('thermal_zone'.length), type: type ?? '' }, t / 1000);
      }
      for (const e of byIndex('cooling_device')) {
        const [type, cur, max] = await Promise.all(
          ['type', 'cur_state', 'max_state'].map((f) => readValue(join(base, e, f), signal)),
        );
        const labels = { name: e.slice('cooling_device'.length), type: type ?? '' };
        const c = num(cur);
        const m = num(max);
        if (c !== undefined) fs.gauge('node_cooling_device_cur_state', 'Current throttle state of the cooling device', labels, c);
        if (m !== undefined) fs.gauge('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', labels, m);
      }
      return fs.list();
    },
  } satisfies Exporter;
}
