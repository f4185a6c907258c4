/**
 * Keeping groups across restarts, like Pushgateway's --persistence.file: a JSON file written
 * atomically (a temporary file in the same directory, fsync, rename), read back at start.
 * Values are strings so NaN, ±Inf and -0 survive JSON. A file that cannot be read is
 * logged and ignored, as Pushgateway does: the push API starts empty rather than not at all.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Labels, type MetricType } from '@edgeprom/shared';
import { groupKey } from './grouping-key.js';
import { newGroup, type Group, type StoredFamily } from './group.js';

export const PERSISTENCE_VERSION = 1;

interface FileSample {
  labels: Record<string, string>;
  value: string;
}
interface FileFamily {
  name: string;
  type: MetricType;
  help?: string;
  pushedAtMs: number;
  samples: FileSample[];
}
interface FileGroup {
  grouping: [string, string][];
  pushTimeMs: number;
  failureTimeMs: number;
  ttlMs: number;
  families: FileFamily[];
}
interface FileContent {
  version: number;
  groups: FileGroup[];
}

function valueToString(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

export function serializeGroups(groups: Iterable<Group>): string {
  const out: FileContent = { version: PERSISTENCE_VERSION, groups: [] };
  for (const g of groups) {
    out.groups.push({
      grouping: [...g.grouping],
      pushTimeMs: g.pushTimeMs,
      failureTimeMs: g.failureTimeMs,
      ttlMs: g.ttlMs,
      families: [...g.families.values()].map((f) => ({
        name: f.name,
        type: f.type,
        ...(f.help === undefined ? {} : { help: f.help }),
        pushedAtMs: f.pushedAtMs,
        samples: f.samples.map((s) => ({ labels: s.labels.toObject(), value: valueToString(s.value) })),
      })),
    });
  }
  return JSON.stringify(out);
}

const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);

function fail(why: string): never {
  throw new Error(`invalid push persistence file: ${why}`);
}
function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} is not a number`);
  return v;
}
function strRecord(v: unknown, what: string): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what} is not an object`);
  for (const x of Object.values(v)) if (typeof x !== 'string') fail(`${what} has a non-string value`);
  return v as Record<string, string>;
}

export function parseGroups(text: string): Group[] {
  const data = JSON.parse(text) as Partial<FileContent>;
  if (data === null || typeof data !== 'object' || data.version !== PERSISTENCE_VERSION || !Array.isArray(data.groups)) {
    fail(`unknown format or version`);
  }
  return data.groups.map((fg, i) => {
    if (!Array.isArray(fg.grouping) || !fg.grouping.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))) {
      fail(`group ${i} has no valid grouping labels`);
    }
    const grouping = new Map<string, string>(fg.grouping);
    if (!grouping.get('job')) fail(`group ${i} has no job`);
    const g = newGroup(groupKey(grouping), grouping, num(fg.ttlMs, 'ttlMs'));
    g.pushTimeMs = num(fg.pushTimeMs, 'pushTimeMs');
    g.failureTimeMs = num(fg.failureTimeMs, 'failureTimeMs');
    if (!Array.isArray(fg.families)) fail(`group ${i} has no families`);
    for (const ff of fg.families) {
      if (typeof ff.name !== 'string' || !TYPES.has(ff.type) || !Array.isArray(ff.samples)) fail(`group ${i} has a bad family`);
      const f: StoredFamily = {
        name: ff.name,
        type: ff.type,
        help: typeof ff.help === 'string' ? ff.help : undefined,
        pushedAtMs: num(ff.pushedAtMs, 'pushedAtMs'),
        samples: ff.samples.map((s) => {
          if (typeof s.value !== 'string') fail('a sample value is not a string');
          return { labels: Labels.from(strRecord(s.labels, 'sample labels')), value: Number(s.value) };
        }),
      };
      g.families.set(f.name, f);
    }
    return g;
  });
}

/** Writes the file atomically: readers see the old content or the new, never a mix. */
export async function writeGroupsFile(file: string, content: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${basename(file)}.in_progress.${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Reads the file; no file means no groups. Throws on a file that exists but is unusable. */
export async function readGroupsFile(file: string): Promise<Group[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseGroups(text);
}
