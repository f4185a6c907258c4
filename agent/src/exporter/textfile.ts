/**
 * `textfile` exporter: serves the metrics that cron jobs and scripts write to `*.prom` files
 * in one directory, as node_exporter's textfile collector does:
 * - every `*.prom` file is parsed in the text format; a file that does not parse, holds
 *   client-side timestamps, or declares a metric with another type than an earlier file, is
 *   skipped whole and sets `node_textfile_scrape_error 1`;
 * - each file read adds `node_textfile_mtime_seconds{file="<path>"}` (writers should write a
 *   temp file and rename it, so a half-written file is never read).
 * Files are read on the collector's interval, not per scrape.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseExposition, type MetricFamily } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { checkAborted } from './family.js';
import { silentLogger, type Logger } from '../logger.js';

/** A textfile larger than this is refused: it would cost a Pi more memory than it is worth. */
export const DEFAULT_MAX_TEXTFILE_BYTES = 4 * 1024 * 1024;

export interface TextfileExporterOptions {
  directory: string;
  maxFileBytes?: number;
  logger?: Logger;
}

export function textfileExporter(opts: TextfileExporterOptions): Exporter {
  const dir = opts.directory;
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_TEXTFILE_BYTES;
  const logger = opts.logger ?? silentLogger();
  // Last problem logged per file (or for the directory, key ''), so each is logged once.
  let logged = new Map<string, string>();

  return {
    name: 'textfile',
    async collect(signal) {
      const problems = new Map<string, string>();
      const byName = new Map<string, MetricFamily>();
      const mtimes: [string, number][] = [];

      let names: string[] = [];
      try {
        names = (await readdir(dir)).filter((n) => n.endsWith('.prom')).sort();
      } catch (err) {
        problems.set('', `cannot read textfile directory: ${(err as Error).message}`);
      }

      for (const name of names) {
        checkAborted(signal);
        const path = join(dir, name);
        try {
          const st = await stat(path);
          if (!st.isFile()) continue;
          if (st.size > maxBytes) throw new Error(`file is ${st.size} bytes, over the ${maxBytes}-byte limit`);
          const body = await readFile(path, { encoding: 'utf8', signal });
          const families = parseExposition(body, { format: 'text', source: path });
          for (const f of families) {
            if (f.samples.some((s) => s.timestampMs !== undefined)) {
              throw new Error(`metric ${f.name} has a client-side timestamp, which textfiles may not carry`);
            }
            const prev = byName.get(f.name);
            if (prev && prev.type !== f.type) {
              throw new Error(`metric ${f.name} is a ${f.type} here but a ${prev.type} in an earlier file`);
            }
          }
          for (const f of families) {
            const prev = byName.get(f.name);
            byName.set(f.name, prev ? { ...prev, samples: [...prev.samples, ...f.samples] } : f);
          }
          mtimes.push([path, Math.floor(st.mtimeMs / 1000)]);
        } catch (err) {
          if (signal?.aborted) throw err;
          problems.set(path, (err as Error).message);
        }
      }

      for (const [key, msg] of problems) {
        if (logged.get(key) !== msg) logger.warn({ exporter: 'textfile', file: key || dir, err: msg }, 'textfile skipped');
      }
      logged = problems;

      const own = new FamilySet();
      for (const [path, mtime] of mtimes) {
        own.gauge('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', { file: path }, mtime);
      }
      own.gauge('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', undefined, problems.size > 0 ? 1 : 0);
      return [...byName.values(), ...own.list()];
    },
  } satisfies Exporter;
}
