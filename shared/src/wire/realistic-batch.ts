/**
 * A realistic batch for size measurements and tests: a Raspberry Pi's node_exporter-like
 * series (200 of them), 20 samples each at a 15 s interval with a few ms of jitter, every
 * series collected each cycle (so seqs have a constant stride), counters and gauges with
 * realistic magnitudes. Deterministic (seeded), so the figures in docs/wire-format.md reproduce.
 */
import { Labels } from '../labels.js';
import type { BatchInput, BatchSeriesInput } from './message.js';

export function realisticBatch(seriesCount = 200, samplesPerSeries = 20): BatchInput {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

  const labelSets: Record<string, string>[] = [];
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  for (let cpu = 0; cpu < 4; cpu++) {
    for (const mode of modes) labelSets.push({ __name__: 'node_cpu_seconds_total', cpu: String(cpu), mode });
  }
  const fs = [
    { device: '/dev/mmcblk0p2', fstype: 'ext4', mountpoint: '/' },
    { device: '/dev/mmcblk0p1', fstype: 'vfat', mountpoint: '/boot/firmware' },
    { device: 'tmpfs', fstype: 'tmpfs', mountpoint: '/run' },
  ];
  for (const f of fs) {
    for (const m of ['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly']) {
      labelSets.push({ __name__: `node_filesystem_${m}`, ...f });
    }
  }
  for (const device of ['eth0', 'wlan0', 'lo']) {
    for (const m of ['receive_bytes_total', 'transmit_bytes_total', 'receive_packets_total', 'transmit_packets_total',
      'receive_errs_total', 'transmit_errs_total', 'receive_drop_total', 'transmit_drop_total']) {
      labelSets.push({ __name__: `node_network_${m}`, device });
    }
  }
  for (const zone of ['0', '1']) labelSets.push({ __name__: 'node_hwmon_temp_celsius', chip: 'thermal_thermal_zone' + zone, sensor: 'temp1' });
  for (const m of ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree', 'Dirty', 'Active', 'Inactive']) {
    labelSets.push({ __name__: `node_memory_${m}_bytes` });
  }
  for (const l of ['1', '5', '15']) labelSets.push({ __name__: `node_load${l}` });
  for (let i = 0; labelSets.length < seriesCount; i++) {
    labelSets.push({ __name__: 'node_disk_io_time_seconds_total', device: `mmcblk0p${i}` });
    labelSets.push({ __name__: 'node_disk_read_bytes_total', device: `mmcblk0p${i}` });
    labelSets.push({ __name__: 'node_disk_written_bytes_total', device: `mmcblk0p${i}` });
    labelSets.push({ __name__: 'node_gpio_value', chip: 'gpiochip0', pin: String(i) });
  }
  labelSets.length = seriesCount;

  const t0 = 1_767_225_600_000; // 2026-01-01
  const seqFrom = 1_000_001;
  const cycleTimes: number[] = [];
  for (let k = 0; k < samplesPerSeries; k++) cycleTimes.push(t0 + k * 15_000 + Math.floor(rnd() * 7) - 3);
  const series: BatchSeriesInput[] = labelSets.map((ls, i) => {
    const name = ls.__name__;
    const values = new Float64Array(samplesPerSeries);
    let v = name.endsWith('_total') ? Math.floor(rnd() * 1e9) / 100 : rnd() * 1e6;
    for (let k = 0; k < samplesPerSeries; k++) {
      if (name.endsWith('_total')) v += Math.floor(rnd() * 100_000) / 100;
      else if (name.includes('bytes')) v = Math.floor(rnd() * 4e9);
      else if (name.includes('gpio') || name.includes('readonly')) v = rnd() < 0.5 ? 0 : 1;
      else v = Math.round(rnd() * 80000) / 1000;
      values[k] = v;
    }
    return {
      labels: Labels.from(ls),
      timestamps: cycleTimes,
      values,
      seqs: cycleTimes.map((_, k) => seqFrom + k * seriesCount + i),
    };
  });
  return { agent: 'pi-kitchen', boot: '6f1c2d4e-9a7b-4c1d-8e2f-0a1b2c3d4e5f', seqFrom, seqTo: seqFrom + seriesCount * samplesPerSeries - 1, series };
}
