/** FamilyMetadata: what each batch's `meta` carries. End to end (a real Agent and broker): pusher.test.ts. */
import { describe, expect, it } from 'vitest';
import { FamilySet } from '@edgeprom/shared';
import { FamilyMetadata } from './family-metadata.js';

describe('FamilyMetadata', () => {
  const fams = (help: string) => new FamilySet().gauge('g', help, undefined, 1).counter('c', 'C.', undefined, 1).list();

  it('offers new or changed families until delivered, everything again after a reset', () => {
    const m = new FamilyMetadata();
    m.observe(fams('G.'));
    const p = m.pending(10_000);
    expect(p.map((e) => e.metric)).toEqual(['g', 'c']);
    m.delivered(p);
    expect(m.pending(10_000)).toEqual([]);
    m.observe(fams('G.')); // same again: nothing to send
    expect(m.pending(10_000)).toEqual([]);
    m.observe(fams('Changed.'));
    expect(m.pending(10_000)).toEqual([{ metric: 'g', type: 'gauge', help: 'Changed.', unit: '' }]);
    m.reset();
    expect(m.pending(10_000).map((e) => e.metric)).toEqual(['g', 'c']);
  });

  it('keeps within the wire limits: help cut, families and bytes per batch capped', () => {
    const m = new FamilyMetadata({ maxHelpLength: 3, maxFamilies: 1 });
    m.observe(fams('Long help.'));
    expect(m.pending(10_000)).toEqual([{ metric: 'g', type: 'gauge', help: 'Lon', unit: '' }]);
    const n = new FamilyMetadata();
    n.observe(fams('G.'));
    expect(n.pending(20).map((e) => e.metric)).toEqual(['g']);
  });
});
