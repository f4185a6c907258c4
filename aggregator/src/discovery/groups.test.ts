import { describe, expect, it } from 'vitest';
import { GroupDiffer, joinHostPort, sameGroup, sanitizeLabelName } from './groups.js';

const g = (source: string, addrs: string[], labels: Record<string, string> = {}) => ({
  source,
  targets: addrs.map((a) => ({ __address__: a })),
  labels,
});

describe('GroupDiffer', () => {
  it('returns the full set first, even when empty', () => {
    expect(new GroupDiffer().diff([])).toEqual([]);
    const d = new GroupDiffer();
    expect(d.diff([g('a', ['x:1'])])).toEqual([g('a', ['x:1'])]);
  });

  it('then only changed groups, and an empty group for a vanished source', () => {
    const d = new GroupDiffer();
    d.diff([g('a', ['x:1']), g('b', ['y:1'])]);
    expect(d.diff([g('a', ['x:1']), g('b', ['y:1'])])).toBeUndefined();
    expect(d.diff([g('a', ['x:1'], { k: 'v' }), g('b', ['y:1'])])).toEqual([g('a', ['x:1'], { k: 'v' })]);
    expect(d.diff([g('a', ['x:1'], { k: 'v' })])).toEqual([{ source: 'b', targets: [], labels: {} }]);
  });
});

describe('helpers', () => {
  it('sanitizes label names and joins host and port like Go', () => {
    expect(sanitizeLabelName('boot-id.x')).toBe('boot_id_x');
    expect(joinHostPort('10.0.0.1', 9100)).toBe('10.0.0.1:9100');
    expect(joinHostPort('fe80::1', 9100)).toBe('[fe80::1]:9100');
    expect(sameGroup(g('a', ['x:1']), g('a', ['x:2']))).toBe(false);
  });
});
