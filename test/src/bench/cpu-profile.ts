/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and names its hot spots, as
 * TypeScript file:line where the compiled file has a source map beside it.
 *
 * Only samples inside the given time windows count, so that a server's start (WAL replay)
 * does not drown the queries being profiled. The profile's timestamps are µs of the
 * monotonic clock, the one behind process.hrtime in every process of the machine, so the
 * windows are taken with process.hrtime.bigint() in the process sending the queries.
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** Function name and where it starts (TS source when mapped). */
  fn: string;
  location: string;
  ms: number;
  /** Share of the sampled time in the windows, 0..100. */
  pct: number;
}

export interface ProfileSummary {
  /** Sampled time inside the windows, ms. */
  sampledMs: number;
  /** Whether the windows overlapped the profile at all (else the whole profile is used). */
  windowed: boolean;
  self: HotSpot[];
  /** Inclusive time of functions in the repository's own code (callees counted). */
  inclusive: HotSpot[];
}

/** [start, end] in µs of the monotonic clock. */
export type Window = readonly [number, number];

export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Maps compiled positions to sources through `<file>.map`, caching one SourceMap per file. */
class Locator {
  #maps = new Map<string, SourceMap | undefined>();
  constructor(readonly root: string) {}

  /** line and column are 0-based, as V8 gives them. */
  at(url: string, line: number, column: number): string {
    if (!url) return '(native)';
    let file = url;
    if (url.startsWith('file://')) {
      try {
        file = fileURLToPath(url);
      } catch {
        return url;
      }
    }
    const map = this.#map(file);
    const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      return `${this.#rel(src)}:${entry.originalLine + 1}`;
    }
    return `${this.#rel(file)}:${line + 1}`;
  }

  #rel(file: string): string {
    return path.isAbsolute(file) && file.startsWith(this.root) ? path.relative(this.root, file) : file;
  }

  #map(file: string): SourceMap | undefined {
    if (this.#maps.has(file)) return this.#maps.get(file);
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    this.#maps.set(file, map);
    return map;
  }
}

export function summariseProfile(profile: CpuProfile, opts: { root: string; windows?: readonly Window[]; top?: number }): ProfileSummary {
  const top = opts.top ?? 15;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const windows = [...(opts.windows ?? [])].sort((a, b) => a[0] - b[0]);
  const inWindow = (t: number): boolean => windows.some(([a, b]) => t >= a && t <= b);
  const ignored = new Set(['(idle)', '(program)', '(root)']);

  const funcKey = (n: ProfileNode): string =>
    `${n.callFrame.functionName}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}\u0000${n.callFrame.columnNumber}`;
  const collect = (useWindows: boolean): { self: Map<string, number>; incl: Map<string, number>; total: number } => {
    const self = new Map<string, number>();
    const incl = new Map<string, number>();
    let total = 0;
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      // A sample's time is spent until the next one.
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (useWindows && !inWindow(t)) continue;
      const node = byId.get(profile.samples[i]!);
      if (!node || node.callFrame.functionName === '(idle)') continue;
      total += dt;
      const k = funcKey(node);
      self.set(k, (self.get(k) ?? 0) + dt);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const kk = funcKey(byId.get(id)!);
        if (seen.has(kk)) continue;
        seen.add(kk);
        incl.set(kk, (incl.get(kk) ?? 0) + dt);
      }
    }
    return { self, incl, total };
  };
  let windowed = windows.length > 0;
  let c = collect(windowed);
  if (windowed && c.total === 0) {
    windowed = false;
    c = collect(false);
  }

  // Per function, not per line: V8 files the line ticks of inlined callees under the caller,
  // with the callee's line numbers, so a "hot line" can point into another function.
  const loc = new Locator(opts.root.endsWith(path.sep) ? opts.root : opts.root + path.sep);
  const spot = (k: string, us: number): HotSpot => {
    const [name, url, line, col] = k.split('\u0000');
    return {
      fn: name || '(anonymous)',
      location: loc.at(url!, Number(line), Number(col)),
      ms: Math.round(us / 100) / 10,
      pct: Math.round((us / Math.max(c.total, 1)) * 1000) / 10,
    };
  };
  const name = (k: string): string => k.split('\u0000')[0]!;
  const url = (k: string): string => k.split('\u0000')[1]!;
  const self = [...c.self.entries()]
    .filter(([k]) => !ignored.has(name(k)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => spot(k, us));
  const ownCode = (u: string): boolean => /\/(aggregator|shared)\/dist\//.test(u);
  const inclusive = [...c.incl.entries()]
    .filter(([k]) => ownCode(url(k)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => spot(k, us));
  return { sampledMs: Math.round(c.total / 1000), windowed, self, inclusive };
}

/** The newest `.cpuprofile` in `dir`. */
export function readNewestProfile(dir: string): CpuProfile {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir} (did the server exit cleanly?)`);
  return JSON.parse(fs.readFileSync(files[0]!, 'utf8')) as CpuProfile;
}
