import { afterEach, describe, expect, it } from 'vitest';
import { loadavgExporter, parseLoadavg } from './loadavg.js';
import { fakeTree, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('loadavg exporter', () => {
  it('reports node_load1/5/15', async () => {
    tree = await fakeTree({ 'proc/loadavg': '0.52 0.31 0.20 2/187 12345\n' });
    const fams = await loadavgExporter({ procfs: tree.path('proc') }).collect();
    expect(value(fams, 'node_load1')).toBe(0.52);
    expect(value(fams, 'node_load5')).toBe(0.31);
    expect(value(fams, 'node_load15')).toBe(0.2);
  });

  it('refuses content that is not three numbers', () => {
    expect(() => parseLoadavg('garbage')).toThrow(/unexpected \/proc\/loadavg content/);
  });
});
