/** `time` exporter: `node_time_seconds`, live so a scrape reads the time of the scrape. */
import type { Clock } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';

export function timeExporter(clock: Clock): Exporter {
  return {
    name: 'time',
    live: true,
    async collect() {
      return new FamilySet().gauge('node_time_seconds', 'System time in seconds since epoch (1970).', undefined, clock.now() / 1000).list();
    },
  } satisfies Exporter;
}
