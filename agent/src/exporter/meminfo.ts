/**
 * `meminfo` exporter: every /proc/meminfo field as node_exporter names it
 * (`node_memory_MemAvailable_bytes`, `node_memory_Active_anon_bytes`,
 * `node_memory_HugePages_Total`), so existing dashboards work unchanged.
 */
import { join } from 'node:path';
import { EdgepromError } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

export interface MeminfoField {
  /** Metric name suffix as node_exporter builds it: `Active(anon)` -> `Active_anon_bytes`. */
  key: string;
  value: number;
}

/** Pure parser: fields in file order; kB values converted to bytes and suffixed `_bytes`. */
export function parseMeminfo(text: string): MeminfoField[] {
  const out: MeminfoField[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const f = fields(line.slice(colon + 1));
    const n = Number(f[0]);
    if (f.length === 0 || !Number.isFinite(n)) continue;
    const key = line.slice(0, colon).replace('(', '_').replace(')', '');
    if (f[1] === 'kB') out.push({ key: `${key}_bytes`, value: n * 1024 });
    else out.push({ key, value: n });
  }
  return out;
}

export function meminfoExporter(roots?: Partial<OsRoots>): Exporter {
  const { procfs } = resolveRoots(roots);
  return {
    name: 'meminfo',
    async collect(signal) {
      const path = join(procfs, 'meminfo');
      const text = await readOptional(path, signal);
      if (text === undefined) throw new EdgepromError('ERR_SOURCE_MISSING', `${path} does not exist`);
      const fs = new FamilySet();
      for (const { key, value } of parseMeminfo(text)) {
        fs.gauge(`node_memory_${key}`, `Memory information field ${key}.`, undefined, value);
      }
      return fs.list();
    },
  } satisfies Exporter;
}
