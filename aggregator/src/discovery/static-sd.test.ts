import { describe, expect, it } from 'vitest';
import { StaticDiscoverer } from './static-sd.js';
import type { TargetGroup } from './interface.js';

describe('StaticDiscoverer', () => {
  it('emits one group per static config, sourced by index, then resolves when aborted', async () => {
    const d = new StaticDiscoverer([
      { targets: ['a:9100', 'b:9100'], labels: { env: 'lab' } },
      { targets: [], labels: {} },
      { targets: ['[::1]:9100'], labels: {} },
    ]);
    const emits: TargetGroup[][] = [];
    const ac = new AbortController();
    const done = d.run(ac.signal, (g) => emits.push(g));
    expect(emits).toEqual([
      [
        { source: '0', targets: [{ __address__: 'a:9100' }, { __address__: 'b:9100' }], labels: { env: 'lab' } },
        { source: '1', targets: [], labels: {} },
        { source: '2', targets: [{ __address__: '[::1]:9100' }], labels: {} },
      ],
    ]);
    ac.abort();
    await done;
    expect(emits).toHaveLength(1);
  });

  it('does nothing when started with an aborted signal', async () => {
    const emits: unknown[] = [];
    await new StaticDiscoverer([{ targets: ['a:1'], labels: {} }]).run(AbortSignal.abort(), (g) => emits.push(g));
    expect(emits).toEqual([]);
  });
});
