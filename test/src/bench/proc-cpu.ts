/**
 * CPU time of other processes, from /proc (Linux): of a running server by its PID, and of
 * the children this process has waited for (a command run with spawnSync). CPU time is
 * steadier than wall time on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

let tickMs: number | undefined;

/** Milliseconds per clock tick (USER_HZ, almost always 100 per second). */
function msPerTick(): number {
  if (tickMs === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const hz = Number(r.stdout?.trim());
    tickMs = Number.isFinite(hz) && hz > 0 ? 1000 / hz : 10;
  }
  return tickMs;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3. */
function statFields(pid: number | 'self'): string[] {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU ms of a process (all its threads). */
export function processCpuMs(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) * msPerTick();
}

/** User + system CPU ms of this process's children that have exited and been waited for. */
export function childrenCpuMs(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) * msPerTick();
}

export interface TimedRun {
  status: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  cpuMs: number;
}

/** Runs a command to its end, with its wall and CPU time (its own children included). */
export function timedRun(cmd: string, args: readonly string[]): TimedRun {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = performance.now() - t0;
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, wallMs, cpuMs: childrenCpuMs() - cpu0 };
}
