/**
 * Test support: fake procfs/sysfs trees in a temp dir (the OS boundary exporters may be
 * pointed at), and lookups into collected families.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { MetricFamily, Sample } from '@edgeprom/shared';

/** A file's content, a symlink target (relative to the link's directory), or an empty dir. */
export type FakeEntry = string | { symlink: string } | { dir: true };

export interface FakeTree {
  root: string;
  path(...parts: string[]): string;
  write(entries: Record<string, FakeEntry>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function fakeTree(entries: Record<string, FakeEntry> = {}): Promise<FakeTree> {
  const root = await mkdtemp(join(tmpdir(), 'edgeprom-agent-test-'));
  const tree: FakeTree = {
    root,
    path: (...parts) => join(root, ...parts),
    async write(more) {
      for (const [rel, e] of Object.entries(more)) {
        const p = join(root, rel);
        await mkdir(dirname(p), { recursive: true });
        if (typeof e === 'string') await writeFile(p, e);
        else if ('symlink' in e) await symlink(e.symlink, p);
        else await mkdir(p, { recursive: true });
      }
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  await tree.write(entries);
  return tree;
}

export function family(families: readonly MetricFamily[], name: string): MetricFamily | undefined {
  return families.find((f) => f.name === name);
}

/** Samples of `name` whose labels include `labels` (all families searched). */
export function samples(families: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): Sample[] {
  const out: Sample[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      if (s.labels.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) out.push(s);
    }
  }
  return out;
}

/** The value of the one sample matching, or undefined; throws if several match. */
export function value(families: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(families, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
