/** `loadavg` exporter: node_load1/5/15 from /proc/loadavg. */
import { join } from 'node:path';
import { EdgepromError } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

/** Pure parser: the three load averages. */
export function parseLoadavg(text: string): [number, number, number] {
  const f = fields(text.trim());
  const v = f.slice(0, 3).map(Number);
  if (v.length < 3 || v.some((x) => !Number.isFinite(x))) {
    throw new EdgepromError('ERR_SOURCE_FORMAT', `unexpected /proc/loadavg content: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return [v[0], v[1], v[2]];
}

export function loadavgExporter(roots?: Partial<OsRoots>): Exporter {
  const { procfs } = resolveRoots(roots);
  return {
    name: 'loadavg',
    async collect(signal) {
      const path = join(procfs, 'loadavg');
      const text = await readOptional(path, signal);
      if (text === undefined) throw new EdgepromError('ERR_SOURCE_MISSING', `${path} does not exist`);
      const [l1, l5, l15] = parseLoadavg(text);
      return new FamilySet()
        .gauge('node_load1', '1m load average.', undefined, l1)
        .gauge('node_load5', '5m load average.', undefined, l5)
        .gauge('node_load15', '15m load average.', undefined, l15)
        .list();
    },
  } satisfies Exporter;
}
