/**
 * The Discoverer contract (interface.ts) as a vitest suite, run against every discoverer by
 * contract.test.ts. Each harness builds a fresh discoverer and, where the kind can change,
 * the means to make a target appear and disappear.
 */
import { isValidLabelName } from '@edgeprom/shared';
import { expect, it } from 'vitest';
import type { Discoverer, TargetGroup } from './interface.js';
import { EmitLog, waitFor } from './testing.js';

export interface DiscovererHarness {
  discoverer: Discoverer;
  /** Makes a target appear (after run has been called); absent for kinds that never change. */
  add?(): Promise<void>;
  /** Makes what add() added disappear. */
  remove?(): Promise<void>;
  /** Whether a group is this harness's (mDNS on loopback also sees other tests' services). */
  mine?(g: TargetGroup): boolean;
  /** Releases what the harness opened. */
  close(): Promise<void>;
}

function checkShape(groups: TargetGroup[]): void {
  for (const g of groups) {
    expect(typeof g.source).toBe('string');
    expect(g.source).not.toBe('');
    expect(Array.isArray(g.targets)).toBe(true);
    for (const labels of [g.labels, ...g.targets]) {
      for (const [k, v] of Object.entries(labels)) {
        expect(isValidLabelName(k), `label name ${k}`).toBe(true);
        expect(typeof v).toBe('string');
      }
    }
    for (const t of g.targets) expect(t.__address__).toMatch(/^\S+$/);
  }
}

export function runDiscovererContract(make: () => Promise<DiscovererHarness>): void {
  it('emits its full set first, then changes; an emptied source comes as a group without targets', async () => {
    const h = await make();
    const log = new EmitLog();
    const ac = new AbortController();
    const done = h.discoverer.run(ac.signal, log.emit);
    try {
      await waitFor(() => log.emits.length > 0, 'the first emit');
      const mine = h.mine ?? (() => true);
      if (h.add) {
        await h.add();
        await waitFor(() => [...log.groups.values()].some(mine), 'the added target');
        const snapshot = JSON.stringify(log.emits);
        const source = [...log.groups.values()].find(mine)!.source;
        await h.remove!();
        await waitFor(() => !log.groups.has(source), 'the removal');
        const removal = log.emits.flat().filter((g) => g.source === source).at(-1)!;
        expect(removal.targets).toEqual([]);
        // Emitted groups are never mutated afterwards.
        expect(JSON.stringify(log.emits.slice(0, JSON.parse(snapshot).length))).toBe(snapshot);
      } else {
        expect(log.groups.size).toBeGreaterThan(0);
      }
      for (const e of log.emits) checkShape(e);
    } finally {
      ac.abort();
      await done;
      await h.close();
    }
  });

  it('resolves run once aborted and emits nothing after', async () => {
    const h = await make();
    const log = new EmitLog();
    const ac = new AbortController();
    const done = h.discoverer.run(ac.signal, log.emit);
    try {
      await waitFor(() => log.emits.length > 0, 'the first emit');
      ac.abort();
      await done;
      const n = log.emits.length;
      if (h.add) await h.add();
      await new Promise((r) => setTimeout(r, 50));
      expect(log.emits).toHaveLength(n);
    } finally {
      ac.abort();
      await h.close();
    }
  });

  it('returns at once, without emitting, when the signal is already aborted', async () => {
    const h = await make();
    const emits: unknown[] = [];
    try {
      await h.discoverer.run(AbortSignal.abort(), (g) => emits.push(g));
      expect(emits).toEqual([]);
    } finally {
      await h.close();
    }
  });
}
