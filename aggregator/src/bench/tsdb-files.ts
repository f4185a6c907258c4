/**
 * The parts of `pnpm bench:tsdb` (./tsdb.ts) that are not the run itself: the dataset,
 * streamed to an OpenMetrics file, and the accounting of what a store put on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { escapeLabelValue, type Labels } from '@edgeprom/shared';
import { nodeLikeSeries, scrapeTimes, seriesValues, type SeriesSpec } from './node-like-data.js';

/** The dataset's first scrape (2026-01-01T00:00:00Z plus each target's offset). */
export const START_MS = Date.UTC(2026, 0, 1);

/** `1767225600.123` from integer ms (exact: the digits are shifted, not divided). */
function seconds(ms: number): string {
  const r = ms % 1000;
  return r === 0 ? String((ms - r) / 1000) : `${(ms - r) / 1000}.${String(r).padStart(3, '0')}`;
}

/** `name{a="b",c="d"}`: OpenMetrics has no space after the comma (Labels#toString has one). */
export function seriesText(labels: Labels): string {
  let body = '';
  for (const [n, v] of labels) if (n !== '__name__') body += `${body ? ',' : ''}${n}="${escapeLabelValue(v)}"`;
  return `${labels.name}{${body}}`;
}

/** Families in order of first appearance, each with its series (indices into specs). */
function families(specs: SeriesSpec[]): { name: string; kind: SeriesSpec['kind']; series: number[] }[] {
  const byName = new Map<string, { name: string; kind: SeriesSpec['kind']; series: number[] }>();
  specs.forEach((s, i) => {
    const name = s.labels.name;
    let f = byName.get(name);
    if (!f) byName.set(name, (f = { name, kind: s.kind, series: [] }));
    f.series.push(i);
  });
  return [...byName.values()];
}

export interface Written {
  series: number;
  samples: number;
  bytes: number;
  ms: number;
}

/**
 * Streams the dataset to `file`: each family's series one after another, each series'
 * samples in time order. Values come series by series from node-like-data's generator (one
 * seed per series), so memory stays at one series' worth.
 */
export function writeDataset(file: string, targets: number, perTarget: number, samples: number): Written {
  const t0 = performance.now();
  const specs = nodeLikeSeries(targets, perTarget);
  const times = scrapeTimes(targets, samples, START_MS);
  const timeText = Array.from(times, seconds);
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    const buf = Buffer.from(parts.join(''), 'utf8');
    fs.writeSync(fd, buf);
    bytes += buf.length;
    parts = [];
    size = 0;
  };
  const put = (s: string): void => {
    parts.push(s);
    size += s.length;
    if (size >= 1 << 20) flush();
  };
  try {
    for (const f of families(specs)) {
      const counter = f.kind === 'counter' && f.name.endsWith('_total');
      const family = counter ? f.name.slice(0, -'_total'.length) : f.name;
      put(`# HELP ${family} node_exporter-like ${f.kind}.\n# TYPE ${family} ${counter ? 'counter' : 'gauge'}\n`);
      for (const s of f.series) {
        const spec = specs[s]!;
        const values = seriesValues([spec], samples, 1_000_003 + s);
        const prefix = `${seriesText(spec.labels)} `;
        const base = spec.target * samples;
        for (let k = 0; k < samples; k++) put(`${prefix}${values[k]} ${timeText[base + k]}\n`);
      }
    }
    put('# EOF\n');
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return { series: specs.length, samples: specs.length * samples, bytes, ms: performance.now() - t0 };
}

/** Bytes per line, from the first target's series (for the free-space check). */
export function estimateFileBytes(targets: number, perTarget: number, samples: number): number {
  const specs = nodeLikeSeries(1, perTarget);
  const avgPrefix = specs.reduce((n, s) => n + seriesText(s.labels).length + 1, 0) / specs.length;
  // value (up to 13 digits) + space + `1767225600.123` + newline; instance labels grow a little.
  return Math.ceil((avgPrefix + 4 + 14 + 16) * targets * perTarget * samples);
}

interface FileSize {
  path: string;
  bytes: number;
}

function walk(dir: string, out: FileSize[] = []): FileSize[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push({ path: p, bytes: fs.statSync(p).size });
  }
  return out;
}

export interface Disk {
  /** 'blocks': chunks/ + index of every block; 'wal': no block found, the WAL counted. */
  kind: 'blocks' | 'wal';
  blocks: number;
  countedBytes: number;
  totalBytes: number;
  /** What was counted, as `name (count × ...)` lines. */
  counted: string;
  notCounted: string;
}

/** Files grouped by their path relative to their block (or the store), ULIDs folded. */
function describe(files: FileSize[], root: string): string {
  const groups = new Map<string, { n: number; bytes: number }>();
  for (const f of files) {
    const rel = path.relative(root, f.path).split(path.sep);
    // <ULID>/chunks/000001 → block/chunks/*; wal/00000003 → wal/*
    const key = rel.length >= 2 && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(rel[0]!) ? ['<block>', ...rel.slice(1)] : rel;
    const name = key.length > 1 && /^[0-9]+$/.test(key[key.length - 1]!) ? [...key.slice(0, -1), '*'].join('/') : key.join('/');
    const g = groups.get(name) ?? { n: 0, bytes: 0 };
    g.n++;
    g.bytes += f.bytes;
    groups.set(name, g);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([name, g]) => `${name} (${g.n} file${g.n === 1 ? '' : 's'}, ${(g.bytes / 2 ** 20).toFixed(1)} MiB)`)
    .join(', ');
}

export function disk(dir: string): Disk {
  const files = walk(dir);
  const blockDirs = new Set(files.filter((f) => path.basename(f.path) === 'meta.json').map((f) => path.dirname(f.path)));
  const inBlock = (f: FileSize): string | undefined => [...blockDirs].find((b) => f.path.startsWith(b + path.sep));
  let counted: FileSize[];
  let kind: Disk['kind'];
  if (blockDirs.size > 0) {
    kind = 'blocks';
    counted = files.filter((f) => {
      const b = inBlock(f);
      if (!b) return false;
      const rel = path.relative(b, f.path);
      return rel === 'index' || rel.startsWith(`chunks${path.sep}`);
    });
  } else {
    kind = 'wal';
    counted = files.filter((f) => path.relative(dir, f.path).split(path.sep)[0] === 'wal');
  }
  const set = new Set(counted);
  const rest = files.filter((f) => !set.has(f));
  const sum = (list: FileSize[]): number => list.reduce((n, f) => n + f.bytes, 0);
  return {
    kind,
    blocks: blockDirs.size,
    countedBytes: sum(counted),
    totalBytes: sum(files),
    counted: describe(counted, dir),
    notCounted: rest.length ? describe(rest, dir) : 'nothing',
  };
}

