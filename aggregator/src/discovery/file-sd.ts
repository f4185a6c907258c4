/**
 * file_sd_configs: Prometheus's file discovery. Reads every file matching the configured
 * paths (a `*` or `?` may appear in the last path element), re-reads them when fs.watch
 * reports a change in their directories, and every refresh_interval anyway (fs.watch misses
 * events on some file systems, and a directory created later is only watched from the next
 * refresh on). A file that fails to read or parse keeps its last good groups and the error is
 * logged; a file that disappears takes its groups with it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { RealClock, type Clock } from '@edgeprom/shared';
import type { FileSdConfig } from '@edgeprom/shared/config';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from './discovery-error.js';
import { fileSdFormat, parseFileSd } from './file-sd-parse.js';
import { GroupDiffer, aborted, errorMessage } from './groups.js';
import { silentLogger, type Discoverer, type DiscoveryLogger, type TargetGroup } from './interface.js';

export interface FileSdOptions {
  clock?: Clock;
  logger?: DiscoveryLogger;
  /** Relative paths are resolved against it (the config file's directory); default: the working directory. */
  baseDir?: string;
  /** Watch directories with fs.watch (default true); without it only the refresh timer re-reads. */
  watch?: boolean;
}

const GLOB_CHARS = /[*?[]/;

/** A glob's last path element as a RegExp (filepath.Match semantics for `*`, `?`, `[...]`). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('^')) cls = '!' + cls.slice(1);
        re += cls.startsWith('!') ? `[^${cls.slice(1)}]` : `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The existing files `pattern` names, sorted; a missing file or directory is no error. */
async function expand(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const base = basename(pattern);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  if (!GLOB_CHARS.test(base)) return names.includes(base) ? [pattern] : [];
  const re = globToRegExp(base);
  return names.filter((n) => re.test(n) && fileSdFormat(n) !== undefined).sort().map((n) => resolve(dir, n));
}

export class FileDiscoverer implements Discoverer {
  readonly #patterns: string[];
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #logger: DiscoveryLogger;
  readonly #watch: boolean;
  /** Last good groups per file, in the order files were first seen. */
  readonly #files = new Map<string, TargetGroup[]>();
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #differ = new GroupDiffer();

  constructor(config: FileSdConfig, opts: FileSdOptions = {}) {
    const base = opts.baseDir ?? process.cwd();
    this.#patterns = config.files.map((f) => resolve(base, f));
    this.#interval = config.refresh_interval;
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger;
    this.#watch = opts.watch ?? true;
  }

  async run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void> {
    if (signal.aborted) return;
    let running: Promise<void> | undefined;
    let again = false;
    // One refresh at a time; triggers that arrive meanwhile fold into one more pass.
    const trigger = () => {
      if (signal.aborted) return;
      if (running) {
        again = true;
        return;
      }
      running = (async () => {
        do {
          again = false;
          await this.#refresh(signal, emit, trigger);
        } while (again && !signal.aborted);
      })().finally(() => {
        running = undefined;
      });
    };
    const timer = this.#interval > 0 ? this.#clock.setInterval(trigger, this.#interval) : undefined;
    trigger();
    await aborted(signal);
    if (timer) this.#clock.clearTimeout(timer);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    await running;
  }

  async #refresh(signal: AbortSignal, emit: (groups: TargetGroup[]) => void, trigger: () => void): Promise<void> {
    const found = new Set<string>();
    for (const p of this.#patterns) {
      try {
        for (const f of await expand(p)) found.add(f);
      } catch (e) {
        this.#logger.error({ err: e, pattern: p }, `file_sd: cannot list ${dirname(p)}: ${errorMessage(e)}`);
        // Unreadable directory: keep what we had from it rather than dropping the targets.
        for (const f of this.#files.keys()) if (dirname(f) === dirname(p)) found.add(f);
      }
    }
    if (this.#watch) this.#watchDirs(signal, trigger);
    for (const f of found) {
      try {
        const format = fileSdFormat(f);
        if (!format) throw new DiscoveryError(DISCOVERY_ERROR_CODES.FILE, `${f}: not a .json, .yml or .yaml file`);
        this.#files.set(f, parseFileSd(await readFile(f, 'utf8'), f, format));
      } catch (e) {
        const err =
          e instanceof DiscoveryError ? e : new DiscoveryError(DISCOVERY_ERROR_CODES.FILE, `${f}: ${errorMessage(e)}`, { cause: e });
        this.#logger.error({ err, code: err.code, file: f }, `file_sd: ${err.message}; keeping its last good target groups`);
      }
    }
    for (const f of [...this.#files.keys()]) if (!found.has(f)) this.#files.delete(f);
    if (signal.aborted) return;
    const changed = this.#differ.diff([...this.#files.values()].flat());
    if (changed) emit(changed);
  }

  #watchDirs(signal: AbortSignal, trigger: () => void): void {
    for (const dir of new Set(this.#patterns.map((p) => dirname(p)))) {
      if (this.#watchers.has(dir) || signal.aborted) continue;
      try {
        const w = watch(dir, { persistent: false }, () => trigger());
        w.on('error', (e) => {
          this.#logger.warn({ err: e, dir }, `file_sd: watching ${dir} failed; relying on refresh_interval`);
          w.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, w);
      } catch (e) {
        // Usually the directory does not exist yet; the next refresh tries again.
        this.#logger.debug({ err: e, dir }, `file_sd: cannot watch ${dir}: ${errorMessage(e)}`);
      }
    }
  }
}
