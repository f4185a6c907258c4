/**
 * `edgeprom-aggregator tsdb import openmetrics FILE [--storage.tsdb.path DIR]`: the
 * command-line face of ./tsdb-import.ts. Progress goes to stderr (rewritten in place on a
 * terminal, one line every few seconds otherwise); the summary goes to stdout.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './flags.js';
import type { Output } from './check-config.js';
import { importOpenMetrics, type ImportProgress, type ImportSummary } from './tsdb-import.js';

export const TSDB_IMPORT_HELP = `usage: edgeprom-aggregator tsdb import openmetrics FILE [flags]

Loads an OpenMetrics file whose samples carry timestamps into a TSDB directory, like
\`promtool tsdb create-blocks-from openmetrics\`. The server must not be running on the
same directory (the lock file refuses it). Samples are appended in transactions of
--batch.samples. A bad line is reported with its line number and reason and skipped;
samples the store refuses (out of order, conflicting duplicates, no timestamp) are
counted by reason. Samples older than what the store holds are taken at any age
(out of order); an exact repeat of a stored sample is a no-op, so importing the same
file twice is harmless.

Memory is bounded by --max-samples-in-memory whatever the file's size: whenever the
head holds that many samples it is written into blocks, and the overlapping blocks
this makes are merged at the end (the file is read once).

Flags:
  --storage.tsdb.path=DIR      TSDB directory (default data/aggregator).
  --batch.samples=N            Samples per transaction (default 10000).
  --max-samples-in-memory=N    Samples held in the head at most (default 10000000);
                               see docs/tsdb.md "Import" for the memory it takes.
  -h, --help                   Show this help.

Exit code 0 when every line was imported, 1 when some were rejected or the import
failed, 2 on a usage error.
`;

const TSDB_HELP = `usage: edgeprom-aggregator tsdb import openmetrics FILE [--storage.tsdb.path DIR]

Subcommands:
  import openmetrics FILE   Backfill an OpenMetrics file (see \`tsdb import openmetrics --help\`).
`;

export interface ImportIo extends Output {
  /** Progress is rewritten in place when stderr is a terminal. */
  isTty: boolean;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

function rate(samples: number, ms: number): number {
  return ms > 0 ? Math.round((samples / ms) * 1000) : 0;
}

function progressLine(p: ImportProgress): string {
  const pct = p.totalBytes > 0 ? ((p.bytesRead / p.totalBytes) * 100).toFixed(1) : '100.0';
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  const what = p.cuts > 0 ? `importing (head written to blocks ${p.cuts}×)` : 'importing';
  return (
    `${what}: ${pct}% (${mb(p.bytesRead)}/${mb(p.totalBytes)} MiB), ${p.samples} samples, ` +
    `${p.series} series, ${p.rejected} rejected, ${rate(p.samples, p.elapsedMs)} samples/s`
  );
}

export function formatSummary(s: ImportSummary): string {
  const out = [
    `Imported ${s.file} into ${s.dir}`,
    `  series:     ${s.series}`,
    `  samples:    ${s.samples}`,
    `  time range: ${iso(s.minTime)} .. ${iso(s.maxTime)} (${s.minTime} .. ${s.maxTime} ms)`,
    `  lines:      ${s.lines} (${s.bytes} bytes)`,
    `  took:       ${(s.durationMs / 1000).toFixed(2)}s (${rate(s.samples, s.durationMs)} samples/s)`,
    `  blocks:     ${s.blocks} in the store`,
    `  head:       written to blocks ${s.cuts}×, at most ${s.peakHeadSamples} samples in memory`,
    `  rejected:   ${s.rejectedTotal}`,
  ];
  for (const [reason, r] of s.rejected) out.push(`    ${r.count} × ${reason}; first: ${r.first}`);
  return out.join('\n') + '\n';
}

export async function tsdbCommand(argv: readonly string[], io: ImportIo): Promise<number> {
  const [sub, format, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(TSDB_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'import') throw new UsageError(`tsdb: unknown subcommand ${JSON.stringify(sub)}`);
  if (format === '--help' || format === '-h') {
    io.out(TSDB_IMPORT_HELP);
    return 0;
  }
  if (format !== 'openmetrics') throw new UsageError(`tsdb import: unknown format ${JSON.stringify(format ?? '')} (supported: openmetrics)`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        'storage.tsdb.path': { type: 'string', default: 'data/aggregator' },
        'batch.samples': { type: 'string', default: '10000' },
        'max-samples-in-memory': { type: 'string', default: '10000000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (parsed.values.help) {
    io.out(TSDB_IMPORT_HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError('tsdb import openmetrics: expected exactly one FILE');
  const batch = Number(parsed.values['batch.samples']);
  if (!Number.isSafeInteger(batch) || batch <= 0) throw new UsageError('--batch.samples: expected a positive integer');
  const maxSamples = Number(parsed.values['max-samples-in-memory']);
  if (!Number.isSafeInteger(maxSamples) || maxSamples <= 0) {
    throw new UsageError(`--max-samples-in-memory: expected a positive integer, got ${JSON.stringify(parsed.values['max-samples-in-memory'])}`);
  }
  let shown = false;
  const summary = await importOpenMetrics({
    file: parsed.positionals[0]!,
    dir: parsed.values['storage.tsdb.path']!,
    batchSamples: batch,
    maxSamplesInMemory: maxSamples,
    progressEveryMs: io.isTty ? 200 : 5000,
    onProgress(p, final) {
      if (io.isTty) {
        io.err(`\r\x1b[K${progressLine(p)}${final ? '\n' : ''}`);
      } else if (!final || shown) {
        io.err(progressLine(p) + '\n');
      }
      shown = true;
    },
  });
  io.out(formatSummary(summary));
  return summary.rejectedTotal > 0 ? 1 : 0;
}
