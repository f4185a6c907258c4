/**
 * CPU time and memory of another process, from Linux's /proc: what the benchmarks
 * (`bench:agent`, `bench:ingest`) read for their child processes, so the figures cover each
 * whole process, threads included, and nothing of the process reading them.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times (USER_HZ): 100 on every Linux port in use. */
const USER_HZ = 100;

/** utime + stime of PID, in seconds (children not included). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`/proc/${pid}/stat: cannot read utime/stime from ${JSON.stringify(stat)}`);
  return (utime + stime) / USER_HZ;
}

function kbField(text: string, field: string, where: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`${where}: no ${field} line`);
  return Number(m[1]) * 1024;
}

/** VmHWM (peak resident set) and VmRSS of PID, in bytes. */
export function memoryBytes(pid: number): { peakRss: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const where = `/proc/${pid}/status`;
  return { peakRss: kbField(status, 'VmHWM', where), rss: kbField(status, 'VmRSS', where) };
}

/**
 * Private memory of PID in bytes: `Anonymous` of /proc/PID/smaps_rollup (heap, stacks,
 * malloc; the binary's and libraries' file pages are shared and not counted).
 */
export function privateBytes(pid: number): number {
  return kbField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Anonymous', `/proc/${pid}/smaps_rollup`);
}
