/**
 * Helpers for the WAL tests (imported by test files only): temporary directories, a logger
 * that remembers what it was told, and reading a whole store back as plain data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSeriesSet } from '../storage/contract.js';
import type { Queryable } from '../storage/interface.js';
import type { TsdbLogger } from './wal-writer.js';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edgeprom-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function memoryLogger(): TsdbLogger & { entries: LogEntry[]; at(level: LogEntry['level']): LogEntry[] } {
  const entries: LogEntry[] = [];
  const put = (level: LogEntry['level']) => (obj: object, msg?: string) =>
    void entries.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return {
    entries,
    info: put('info'),
    warn: put('warn'),
    error: put('error'),
    at: (level) => entries.filter((e) => e.level === level),
  };
}

/** Every series and sample of a store: labels text → [t, value bits hex][]. */
export function dump(store: Queryable): Map<string, [number, string][]> {
  const q = store.querier(-Infinity, Infinity);
  try {
    return new Map(readSeriesSet(q.select([])).map((s) => [s.labels, s.samples]));
  } finally {
    q.close();
  }
}

/** Segment files of a store's WAL, ascending. */
export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(dir, 'wal'))
    .filter((n) => /^\d{8}$/.test(n))
    .sort()
    .map((n) => path.join(dir, 'wal', n));
}
