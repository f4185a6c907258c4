/**
 * `pnpm bench:parse`: our exposition parser against `parse-prometheus-text-format` on two
 * text-format (0.0.4) bodies, a node_exporter-like one (~1,000 series) and a 100,000-series
 * one. After a warm-up, the parsers take turns (so that machine noise and GC debt hit both
 * alike), each turn timing a batch of parses; the table shows medians per parse. The last
 * line of output is one JSON object with the figures. (No forced GC between turns: on V8 a
 * full GC slows the code that runs next several-fold, which would measure the GC, not us.)
 *
 * The parsers do different amounts of work: ours builds Labels (sorted), numbers, typed
 * families and validates everything; theirs returns plain objects with string values.
 */
import { createRequire } from 'node:module';
import { parseExposition } from '../exposition/parse.js';
import { largeBody, nodeExporterBody } from './bodies.js';

const require = createRequire(import.meta.url);
const theirs = require('parse-prometheus-text-format') as (text: string) => unknown[];

interface Figures {
  /** Median milliseconds per parse. */
  ms: number;
  mbPerS: number;
  samplesPerS: number;
}

interface BodyResult {
  body: string;
  bytes: number;
  samples: number;
  turns: number;
  parsesPerTurn: number;
  ours: Figures;
  oursBytes: Figures;
  theirs: Figures;
  /** theirs.ms / ours.ms: how many times faster ours is. */
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds per call of fn, over a batch of n calls. */
function timeBatch(fn: () => unknown, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

function figures(ms: number, bytes: number, samples: number): Figures {
  return { ms, mbPerS: bytes / 1e6 / (ms / 1e3), samplesPerS: samples / (ms / 1e3) };
}

function run(name: string, text: string, turns: number, parsesPerTurn: number): BodyResult {
  const bytes = Buffer.byteLength(text);
  const encoded = new TextEncoder().encode(text);
  // The 100k body is larger than the default 10 MiB limit.
  const opts = { format: 'text', limits: { maxBodyBytes: 0 } } as const;
  let samples = 0;
  for (const f of parseExposition(text, opts)) samples += f.samples.length;
  const parsers: (() => unknown)[] = [
    () => parseExposition(text, opts),
    () => theirs(text),
    () => parseExposition(encoded, opts),
  ];
  for (const p of parsers) timeBatch(p, parsesPerTurn); // warm-up
  const times: number[][] = parsers.map(() => []);
  // Rotate the order every turn: whoever runs after a parser inherits its GC debt.
  for (let t = 0; t < turns; t++) {
    for (let k = 0; k < parsers.length; k++) {
      const i = (t + k) % parsers.length;
      times[i].push(timeBatch(parsers[i], parsesPerTurn));
    }
  }
  const [ours, theirsF, oursBytes] = times.map((ts) => figures(median(ts), bytes, samples));
  return { body: name, bytes, samples, turns, parsesPerTurn, ours, oursBytes, theirs: theirsF, ratio: theirsF.ms / ours.ms };
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(results: BodyResult[]): string {
  const rows = [['body', 'parser', 'ms/parse', 'MB/s', 'samples/s', 'ours/theirs']];
  for (const r of results) {
    const label = `${r.body} (${fmt(r.bytes / 1e3, 0)} kB, ${r.samples.toLocaleString('en-US')} samples)`;
    rows.push([label, 'edgeprom (string)', fmt(r.ours.ms, 3), fmt(r.ours.mbPerS), fmt(r.ours.samplesPerS, 0), `${fmt(r.ratio, 2)}x faster`]);
    rows.push(['', 'edgeprom (bytes)', fmt(r.oursBytes.ms, 3), fmt(r.oursBytes.mbPerS), fmt(r.oursBytes.samplesPerS, 0), '']);
    rows.push(['', 'parse-prometheus-text-format', fmt(r.theirs.ms, 3), fmt(r.theirs.mbPerS), fmt(r.theirs.samplesPerS, 0), '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row, ri) => {
      const line = row.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function main(): void {
  const started = performance.now();
  const results = [run('node_exporter-like', nodeExporterBody(), 25, 20), run('100k series', largeBody(100_000), 9, 1)];
  console.log(`Node ${process.version} ${process.arch}; median per parse over interleaved turns`);
  console.log(table(results));
  console.log(`(${fmt((performance.now() - started) / 1e3)} s)`);
  console.log(
    JSON.stringify({
      node: process.version,
      results: results.map((r) => ({ ...r, ratio: Number(r.ratio.toFixed(2)) })),
    }),
  );
}

main();
