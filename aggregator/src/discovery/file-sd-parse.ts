/**
 * The file_sd format, pure: a file's text in, target groups out. The format is Prometheus's:
 * a JSON or YAML list of `{targets: [host:port, ...], labels: {name: value}}`.
 * An empty YAML file is an empty list (as in Prometheus); anything else that is not such a
 * list throws ERR_DISCOVERY_FILE saying which group and field is wrong.
 */
import { isValidLabelName } from '@edgeprom/shared';
import { parse as parseYaml } from 'yaml';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from './discovery-error.js';
import { ADDRESS_LABEL, type TargetGroup } from './interface.js';

/** Set on every group read from a file: the file's path. */
export const FILEPATH_LABEL = '__meta_filepath';

export type FileSdFormat = 'json' | 'yaml';

/** The format a file name implies (Prometheus reads only these extensions). */
export function fileSdFormat(filename: string): FileSdFormat | undefined {
  const ext = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yml' || ext === 'yaml') return 'yaml';
  return undefined;
}

/** Prometheus's fileSource: `<path>:<index>`. */
export function fileSource(filename: string, index: number): string {
  return `${filename}:${index}`;
}

function fail(filename: string, where: string, reason: string, cause?: unknown): never {
  throw new DiscoveryError(
    DISCOVERY_ERROR_CODES.FILE,
    `${filename}${where === '' ? '' : ` ${where}`}: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function parseFileSd(text: string, filename: string, format: FileSdFormat): TargetGroup[] {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    fail(filename, '', `not valid ${format === 'json' ? 'JSON' : 'YAML'} (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (format === 'yaml' && (doc === null || doc === undefined)) return [];
  if (!Array.isArray(doc)) fail(filename, '', 'expected a list of target groups');
  return doc.map((g, i) => readGroup(g, filename, i));
}

function readGroup(g: unknown, filename: string, i: number): TargetGroup {
  const at = `[${i}]`;
  if (!isPlainObject(g)) fail(filename, at, 'expected a map with targets and labels');
  for (const k of Object.keys(g)) {
    if (k !== 'targets' && k !== 'labels') fail(filename, `${at}.${k}`, 'unknown field (expected targets, labels)');
  }
  const rawTargets = g.targets ?? [];
  if (!Array.isArray(rawTargets)) fail(filename, `${at}.targets`, 'expected a list of strings');
  const targets = rawTargets.map((t, j) => {
    if (typeof t !== 'string' || t === '') fail(filename, `${at}.targets[${j}]`, 'expected a non-empty string (host:port)');
    return { [ADDRESS_LABEL]: t };
  });
  const labels: Record<string, string> = {};
  const rawLabels = g.labels ?? {};
  if (!isPlainObject(rawLabels)) fail(filename, `${at}.labels`, 'expected a map of label names to strings');
  for (const [name, value] of Object.entries(rawLabels)) {
    if (!isValidLabelName(name)) fail(filename, `${at}.labels`, `${JSON.stringify(name)} is not a valid label name`);
    if (typeof value !== 'string') fail(filename, `${at}.labels.${name}`, 'expected a string value');
    labels[name] = value;
  }
  labels[FILEPATH_LABEL] = filename;
  return { source: fileSource(filename, i), targets, labels };
}
