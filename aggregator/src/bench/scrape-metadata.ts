/**
 * The cost of keeping scraped metadata (scrape/target-metadata.ts): what the scrape loop's
 * hook does per scrape, in isolation. `node aggregator/dist/bench/scrape-metadata.js [families] [scrapes]`.
 * CPU seconds (process.cpuUsage), a fresh family object per family and scrape as the parser
 * hands them over.
 */
import type { MetricFamily } from '@edgeprom/shared';
import { TargetMetadata } from '../scrape/target-metadata.js';

const families = Number(process.argv[2] ?? 20);
const scrapes = Number(process.argv[3] ?? 200_000);
const fams: MetricFamily[] = Array.from({ length: families }, (_, i) => ({ name: `fam_${i}`, type: 'gauge', help: `Help ${i}.`, samples: [] }));
const md = new TargetMetadata();
const c0 = process.cpuUsage();
for (let k = 0; k < scrapes; k++) {
  for (const f of fams) md.seen({ ...f });
  md.commit();
}
const c = process.cpuUsage(c0);
const us = (c.user + c.system) / scrapes;
console.log(`${families} families per scrape: ${us.toFixed(3)} µs CPU per scrape, ${((us / families) * 1000).toFixed(0)} ns per family`);
