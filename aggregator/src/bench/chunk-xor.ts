/**
 * XOR chunk density on node_exporter-like data: bytes per sample for each kind of series
 * (and each metric) in 120-sample chunks, plus the cost of timestamps alone.
 *
 *   npx tsx aggregator/src/bench/chunk-xor.ts [targets=50] [seriesPerTarget=100]
 */
import { XorChunk } from '../tsdb/chunk-xor.js';
import { nodeLikeSeries, scrapeTimes, seriesValues } from './node-like-data.js';

const [targets = 50, perTarget = 100] = process.argv.slice(2).map(Number);
const SAMPLES = 120;
const specs = nodeLikeSeries(targets, perTarget);
const times = scrapeTimes(targets, SAMPLES, Date.UTC(2026, 0, 1));
const values = seriesValues(specs, SAMPLES);

const totals = new Map<string, { bytes: number; samples: number }>();
const add = (key: string, bytes: number) => {
  const e = totals.get(key) ?? { bytes: 0, samples: 0 };
  e.bytes += bytes;
  e.samples += SAMPLES;
  totals.set(key, e);
};

specs.forEach((spec, s) => {
  const c = new XorChunk();
  const constant = new XorChunk(); // same timestamps, constant value: the timestamp cost
  for (let k = 0; k < SAMPLES; k++) {
    const t = times[spec.target * SAMPLES + k];
    c.append(t, values[s * SAMPLES + k]);
    constant.append(t, 0);
  }
  const bytes = c.bytes().length;
  add(`kind ${spec.kind}`, bytes);
  add(`metric ${spec.labels.name}`, bytes);
  add('all series', bytes);
  add('timestamps only', constant.bytes().length);
});

console.log(`XOR chunks of ${SAMPLES} samples, ${specs.length} series (${targets} targets), 15s interval`);
for (const [key, { bytes, samples }] of [...totals].sort()) {
  console.log(`${key.padEnd(50)} ${(bytes / samples).toFixed(3)} B/sample`);
}
const all = totals.get('all series')!;
console.log(JSON.stringify({ bytesPerSample: +(all.bytes / all.samples).toFixed(3), series: specs.length }));
