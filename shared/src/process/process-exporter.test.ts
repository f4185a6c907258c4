import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { MetricFamily } from '../exposition/model.js';
import { parseMaxFds, parseVsize, processExporter } from './process-exporter.js';

let root: string | undefined;
afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** A fake procfs in a temp dir: relative path → content. */
async function fakeProc(files: Record<string, string>): Promise<string> {
  root = await mkdtemp(join(tmpdir(), 'edgeprom-proc-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return join(root, 'proc');
}

function values(fams: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.labels.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) out.push(s.value);
    }
  }
  return out;
}
const value = (fams: readonly MetricFamily[], name: string, labels?: Record<string, string>) => values(fams, name, labels)[0];

// pid (comm with spaces) state ppid ... field 23 (vsize) = 912345678
const STAT = '4242 (node my agent) S 1 4242 4242 0 -1 4194560 9000 0 0 0 120 30 0 0 20 0 11 0 5000 912345678 12000 18446744073709551615';
const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

describe('process exporter', () => {
  it('reports the process and Node.js heap with client-library names', async () => {
    const procfs = await fakeProc({
      'proc/self/stat': STAT,
      'proc/self/limits': LIMITS,
      // 0-3 are open descriptors; the listing itself shows one more.
      'proc/self/fd/0': '',
      'proc/self/fd/1': '',
      'proc/self/fd/2': '',
      'proc/self/fd/3': '',
      'proc/self/fd/4': '',
    });
    const clock = new ManualClock(1_767_225_600_000);
    const fams = await processExporter({ clock, roots: { procfs }, agentId: 'pi-1', version: '0.1.0' }).collect();
    expect(value(fams, 'process_virtual_memory_bytes')).toBe(912345678);
    expect(value(fams, 'process_max_fds')).toBe(1024);
    expect(value(fams, 'process_open_fds')).toBe(4);
    expect(value(fams, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(fams, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(fams, 'process_start_time_seconds')).toBeLessThanOrEqual(1_767_225_600);
    expect(value(fams, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value(fams, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
    expect(value(fams, 'nodejs_external_memory_bytes')).toBeGreaterThanOrEqual(0);
    expect(value(fams, 'nodejs_version_info', { version: process.version })).toBe(1);
    expect(value(fams, 'edgeprom_agent_info', { agent: 'pi-1', version: '0.1.0' })).toBe(1);
  });

  it('still reports what Node knows when procfs is absent, and no agent info without an id', async () => {
    const procfs = await fakeProc({ 'proc/.keep': '' });
    const fams = await processExporter({ clock: new ManualClock(), roots: { procfs } }).collect();
    expect(value(fams, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(values(fams, 'process_open_fds')).toEqual([]);
    expect(values(fams, 'edgeprom_agent_info')).toEqual([]);
  });

  it('finds vsize after a comm containing spaces and parentheses', () => {
    expect(parseVsize(STAT)).toBe(912345678);
    expect(parseVsize('1 (a) b) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 77')).toBe(77);
    expect(parseVsize('no parenthesis')).toBeUndefined();
  });

  it('reads the soft open-files limit', () => {
    expect(parseMaxFds(LIMITS)).toBe(1024);
    expect(parseMaxFds('Max cpu time unlimited unlimited seconds\n')).toBeUndefined();
  });
});
