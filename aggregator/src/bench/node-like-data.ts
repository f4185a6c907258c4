/**
 * Synthetic data shaped like node_exporter output, for benchmarks: targets scraped every 15s
 * with millisecond jitter, each exposing a mix of counters (CPU seconds, network bytes),
 * gauges (memory, temperatures) and constants (filesystem sizes). Deterministic (seeded)
 * so runs compare.
 *
 * Values are produced into Float64Arrays, never number[] (see storage/value.ts on NaNs).
 */
import { Labels } from '@edgeprom/shared';
import { prng } from '@edgeprom/shared/testing';

export type SeriesKind = 'counter' | 'gauge' | 'constant';

export interface SeriesSpec {
  labels: Labels;
  kind: SeriesKind;
  target: number;
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'softirq', 'system', 'user'];
const NET_COUNTERS = [
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_network_receive_packets_total',
];
const MEM_GAUGES = [
  'node_memory_numa_MemFree_bytes',
  'node_memory_numa_MemUsed_bytes',
  'node_memory_numa_Active_bytes',
  'node_memory_numa_Inactive_bytes',
];

/**
 * `perTarget` series for each of `targets` targets: about 45% counters, 35% gauges and
 * 20% constants, with node_exporter's metric and label names.
 */
export function nodeLikeSeries(targets: number, perTarget: number): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  for (let t = 0; t < targets; t++) {
    const instance = `10.0.${t >> 8}.${t & 255}:9100`;
    const base = { job: 'node', instance };
    for (let i = 0; i < perTarget; i++) {
      const r = i % 20;
      const k = String(Math.floor(i / 20));
      let labels: Record<string, string>;
      let kind: SeriesKind;
      if (r < 6) {
        kind = 'counter';
        labels = { __name__: 'node_cpu_seconds_total', cpu: k, mode: CPU_MODES[r] };
      } else if (r < 9) {
        kind = 'counter';
        labels = { __name__: NET_COUNTERS[r - 6], device: `eth${k}` };
      } else if (r < 13) {
        kind = 'gauge';
        labels = { __name__: MEM_GAUGES[r - 9], node: k };
      } else if (r < 16) {
        kind = 'gauge';
        labels = { __name__: 'node_hwmon_temp_celsius', chip: `platform_coretemp_${k}`, sensor: `temp${r}` };
      } else {
        kind = 'constant';
        labels = { __name__: 'node_filesystem_size_bytes', device: `/dev/sda${i}`, fstype: 'ext4', mountpoint: `/mnt/${i}` };
      }
      out.push({ labels: Labels.from({ ...base, ...labels }), kind, target: t });
    }
  }
  return out;
}

/**
 * Scrape timestamps: scrapes[target * samples + k] is the k-th scrape of that target, every
 * 15s from a per-target offset. Scrapes start a few milliseconds late (0-12ms, mostly under
 * 1ms); as in Prometheus since 2.45, a delay within 2ms is snapped back to the schedule, so
 * most timestamps sit on the grid and about one scrape in fifteen carries jitter.
 */
export function scrapeTimes(targets: number, samples: number, start: number, seed = 1): Float64Array {
  const rnd = prng(seed);
  const ts = new Float64Array(targets * samples);
  for (let t = 0; t < targets; t++) {
    const offset = Math.floor(rnd() * 15_000);
    for (let k = 0; k < samples; k++) {
      const late = Math.floor(rnd() ** 20 * 12);
      ts[t * samples + k] = start + offset + k * 15_000 + (late <= 2 ? 0 : late);
    }
  }
  return ts;
}

/** Values: values[s * samples + k] is the k-th sample of series s. */
export function seriesValues(specs: SeriesSpec[], samples: number, seed = 2): Float64Array {
  const rnd = prng(seed);
  const vs = new Float64Array(specs.length * samples);
  specs.forEach((spec, s) => {
    const name = spec.labels.name;
    const out = (k: number, v: number) => (vs[s * samples + k] = v);
    if (spec.kind === 'counter' && name === 'node_cpu_seconds_total') {
      // Seconds with 1/100 s resolution: idle near 15 per scrape, others small or idle.
      const mode = spec.labels.get('mode');
      const rate = mode === 'idle' ? 0.95 : mode === 'user' || mode === 'system' ? 0.05 : 0.002;
      let v = Math.round(rnd() * 1e7) / 100;
      for (let k = 0; k < samples; k++) {
        v = Math.round((v + rate * 15 * (0.8 + 0.4 * rnd())) * 100) / 100;
        out(k, v);
      }
    } else if (spec.kind === 'counter') {
      // Bytes or packets: half the interfaces idle (a rare small increment), half busy.
      const busy = rnd() < 0.5;
      const rate = busy ? rnd() * 1e6 : 0;
      let v = Math.floor(rnd() * 1e11);
      for (let k = 0; k < samples; k++) {
        v += busy ? Math.floor(rate * 15 * (0.5 + rnd())) : rnd() < 0.1 ? Math.floor(rnd() * 300) : 0;
        out(k, v);
      }
    } else if (spec.kind === 'gauge' && name.includes('temp')) {
      // Sensors report whole or half degrees; they move now and then.
      let v = 40 + Math.floor(rnd() * 40) / 2;
      for (let k = 0; k < samples; k++) {
        if (rnd() < 0.4) v += rnd() < 0.5 ? -0.5 : 0.5;
        out(k, v);
      }
    } else if (spec.kind === 'gauge') {
      // Memory in 4 KiB pages, drifting; often unchanged between scrapes.
      let v = Math.floor((rnd() * 8e9) / 4096) * 4096;
      for (let k = 0; k < samples; k++) {
        if (rnd() < 0.7) v += Math.floor((rnd() - 0.5) * 512) * 4096;
        out(k, v);
      }
    } else {
      const v = Math.floor(rnd() * 1e12);
      for (let k = 0; k < samples; k++) out(k, v);
    }
  });
  return vs;
}
