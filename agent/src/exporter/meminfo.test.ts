import { afterEach, describe, expect, it } from 'vitest';
import { meminfoExporter, parseMeminfo } from './meminfo.js';
import { fakeTree, family, value, type FakeTree } from '../testing/fake-tree.js';

const MEMINFO = `MemTotal:        3884300 kB
MemFree:         2771744 kB
MemAvailable:    3444480 kB
Buffers:           40956 kB
Cached:           724040 kB
SwapCached:            0 kB
Active(anon):      12000 kB
Inactive(file):   300000 kB
SwapTotal:        102396 kB
SwapFree:         102396 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('meminfo exporter', () => {
  it('exports every field with node_exporter names, kB as bytes', async () => {
    tree = await fakeTree({ 'proc/meminfo': MEMINFO });
    const fams = await meminfoExporter({ procfs: tree.path('proc') }).collect();
    expect(value(fams, 'node_memory_MemTotal_bytes')).toBe(3884300 * 1024);
    expect(value(fams, 'node_memory_MemFree_bytes')).toBe(2771744 * 1024);
    expect(value(fams, 'node_memory_MemAvailable_bytes')).toBe(3444480 * 1024);
    expect(value(fams, 'node_memory_Buffers_bytes')).toBe(40956 * 1024);
    expect(value(fams, 'node_memory_Cached_bytes')).toBe(724040 * 1024);
    expect(value(fams, 'node_memory_SwapTotal_bytes')).toBe(102396 * 1024);
    expect(value(fams, 'node_memory_SwapFree_bytes')).toBe(102396 * 1024);
    expect(value(fams, 'node_memory_Active_anon_bytes')).toBe(12000 * 1024);
    expect(value(fams, 'node_memory_Inactive_file_bytes')).toBe(300000 * 1024);
    expect(value(fams, 'node_memory_HugePages_Total')).toBe(0); // no unit, no _bytes
    expect(family(fams, 'node_memory_MemTotal_bytes')).toMatchObject({ type: 'gauge', help: 'Memory information field MemTotal_bytes.' });
    expect(fams).toHaveLength(12);
  });

  it('skips malformed lines', () => {
    expect(parseMeminfo('nonsense\nX: abc kB\nY: 3 kB\n')).toEqual([{ key: 'Y_bytes', value: 3072 }]);
  });
});
