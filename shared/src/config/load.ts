/**
 * Config loading: a YAML file in, a validated, defaulted config out, or one ConfigError
 * listing every problem with its file:line:column and Prometheus-style path.
 *
 * Contract: for any input whatsoever, `parseConfig` returns the schema's output or throws a
 * ConfigError; `loadConfigFile` resolves or rejects the same way. Nothing else escapes.
 */
import { open } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError, MAX_CONFIG_ISSUES, formatConfigPath } from './config-error.js';
import type { ConfigIssue } from './config-error.js';
import { AT_KEY, describeValue, quote } from './fields.js';
import { parseYamlTree } from './yaml-tree.js';
import type { YamlTree } from './yaml-tree.js';

/** Config files larger than this are refused unless the caller says otherwise. */
export const DEFAULT_MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface ParseConfigOptions {
  /** Largest accepted input, in UTF-8 bytes. Default 4 MiB. */
  maxBytes?: number;
  /**
   * Field names that are valid Prometheus but not implemented here: an unknown field with
   * one of these names is reported as unsupported rather than unknown.
   */
  unsupportedFields?: Iterable<string>;
}

export interface LoadConfigOptions extends ParseConfigOptions {
  /** Name used in messages; default: the path as given. */
  sourceName?: string;
}

/**
 * Parses and validates YAML config text. `sourceName` names the text in messages (usually the
 * file name). Throws ConfigError, and nothing else.
 */
export function parseConfig<S extends z.ZodType>(
  text: string,
  schema: S,
  sourceName = '<config>',
  options: ParseConfigOptions = {},
): z.output<S> {
  try {
    return parseChecked(text, schema, sourceName, options);
  } catch (e) {
    throw asConfigError(e, sourceName);
  }
}

/** Reads a config file (refusing one above the size limit before reading it) and parses it. */
export async function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  options: LoadConfigOptions = {},
): Promise<z.output<S>> {
  const source = options.sourceName ?? path;
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONFIG_BYTES;
    const bytes = await readLimited(path, maxBytes, source);
    return parseChecked(decodeUtf8(bytes, source), schema, source, options);
  } catch (e) {
    throw asConfigError(e, source);
  }
}

function fileIssue(source: string, reason: string, line?: number, column?: number): ConfigIssue {
  return { source, path: '', segments: [], reason, line, column };
}

function asConfigError(e: unknown, source: string): ConfigError {
  if (e instanceof ConfigError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new ConfigError(source, [fileIssue(source, `internal error while reading the configuration: ${msg}`)], { cause: e });
}

async function readLimited(path: string, maxBytes: number, source: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot open: ${(e as Error).message}`;
    throw new ConfigError(source, [fileIssue(source, reason)], { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ConfigError(source, [fileIssue(source, 'not a regular file')]);
    if (st.size > maxBytes) throw new ConfigError(source, [fileIssue(source, tooBig(st.size, maxBytes))]);
    // Read at most one byte past the limit: the file may have grown since the stat.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buf.length) break;
    }
    if (filled > maxBytes) throw new ConfigError(source, [fileIssue(source, tooBig(filled, maxBytes))]);
    return buf.subarray(0, filled);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(source, [fileIssue(source, `cannot read: ${(e as Error).message}`)], { cause: e });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function tooBig(size: number, max: number): string {
  return `the configuration is ${size} bytes, more than the limit of ${max} bytes`;
}

function decodeUtf8(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lossy = bytes.toString('utf8');
    const at = lossy.indexOf('\uFFFD');
    const before = lossy.slice(0, Math.max(at, 0));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new ConfigError(source, [fileIssue(source, 'the file is not valid UTF-8', line, column)]);
  }
}

function parseChecked<S extends z.ZodType>(text: string, schema: S, source: string, options: ParseConfigOptions): z.output<S> {
  if (typeof text !== 'string') throw new ConfigError(source, [fileIssue(source, `expected text, got ${describeValue(text)}`)]);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONFIG_BYTES;
  // A UTF-8 byte is at least a third of a UTF-16 unit, so short strings skip the exact count.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw new ConfigError(source, [fileIssue(source, tooBig(bytes, maxBytes))]);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tree = parseYamlTree(body);
  if (tree.issues.length > 0) {
    throw new ConfigError(
      source,
      finish(tree.issues.map((i) => ({ source, path: formatConfigPath(i.segments), segments: i.segments, line: i.pos?.line, column: i.pos?.column, reason: i.message }))),
    );
  }
  // An empty file, like an empty prometheus.yml, means every default.
  const value = tree.value === undefined ? {} : tree.value;
  const result = schema.safeParse(value, { error: issueMessage });
  if (result.success) return result.data;
  const unsupported = new Set(options.unsupportedFields ?? []);
  // Locating an issue walks the YAML tree; a file of 200,000 unknown keys must not make us
  // locate them all to print fifty.
  const issues: ConfigIssue[] = [];
  let skipped = 0;
  for (const i of result.error.issues) {
    if (issues.length >= LOCATED_ISSUES) skipped += i.code === 'unrecognized_keys' ? i.keys.length : 1;
    else issues.push(...toConfigIssues(i, tree, source, unsupported));
  }
  throw new ConfigError(source, finish(issues, skipped));
}

/** How many issues are located before sorting and capping at MAX_CONFIG_ISSUES. */
const LOCATED_ISSUES = 1000;

function toConfigIssues(issue: z.core.$ZodIssue, tree: YamlTree, source: string, unsupported: Set<string>): ConfigIssue[] {
  const segments = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
  const path = formatConfigPath(segments);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const pos = tree.positionOf([...segments, key], true);
      const reason = unsupported.has(key)
        ? `field ${quote(key)} is a Prometheus setting that edgeprom does not support`
        : `unknown field ${quote(key)}`;
      return { source, path, segments, line: pos?.line, column: pos?.column, reason };
    });
  }
  const atKey = issue.code === 'custom' && (issue.params as { position?: unknown } | undefined)?.position === AT_KEY.position;
  const pos = tree.positionOf(segments, atKey);
  return [{ source, path, segments, line: pos?.line, column: pos?.column, reason: issue.message }];
}

/** Orders issues by position (file-level ones first), drops repeats, caps the count. */
function finish(issues: ConfigIssue[], skipped = 0): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.path}:${i.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  unique.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const more = Math.max(unique.length - MAX_CONFIG_ISSUES, 0) + skipped;
  if (more === 0) return unique;
  const kept = unique.slice(0, MAX_CONFIG_ISSUES);
  kept.push(fileIssue(kept[0].source, `... and ${more} more errors`));
  return kept;
}

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  array: 'a sequence',
  tuple: 'a sequence',
};

/** Our wording for zod's built-in issues: YAML terms, the value found, no type jargon. */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'missing required field';
      const want = NOUNS[iss.expected] ?? iss.expected;
      return `expected ${want}, got ${describeValue(iss.input)}`;
    }
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array' || iss.origin === 'set') return min === 1 ? 'must not be empty' : `must have at least ${min} entries`;
      if (iss.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
      return iss.inclusive === false ? `must be greater than ${min}` : `must be at least ${min}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at most ${max} entries`;
      if (iss.origin === 'string') return `must be at most ${max} characters long`;
      return iss.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(iss.input)}`;
    case 'invalid_key':
      return `invalid key ${typeof iss.input === 'string' ? quote(iss.input) : describeValue(iss.input)}`;
    default:
      return undefined;
  }
}
