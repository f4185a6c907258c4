/** `os` exporter: `node_os_info` and `node_os_version` from os-release(5), as node_exporter. */
import { join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

const INFO_LABELS: [string, string][] = [
  ['build_id', 'BUILD_ID'],
  ['id', 'ID'],
  ['id_like', 'ID_LIKE'],
  ['image_id', 'IMAGE_ID'],
  ['image_version', 'IMAGE_VERSION'],
  ['name', 'NAME'],
  ['pretty_name', 'PRETTY_NAME'],
  ['variant', 'VARIANT'],
  ['variant_id', 'VARIANT_ID'],
  ['version', 'VERSION'],
  ['version_codename', 'VERSION_CODENAME'],
  ['version_id', 'VERSION_ID'],
];

/** Pure parser of os-release: shell-style KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1);
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\([\\"$`])/g, '$1');
    }
    out[line.slice(0, eq)] = v;
  }
  return out;
}

export function osReleaseExporter(roots?: Partial<OsRoots>): Exporter {
  const { rootfs } = resolveRoots(roots);
  return {
    name: 'os',
    async collect(signal) {
      let text: string | undefined;
      for (const p of ['etc/os-release', 'usr/lib/os-release']) {
        text = await readOptional(join(rootfs, p), signal);
        if (text !== undefined) break;
      }
      if (text === undefined) return [];
      const rel = parseOsRelease(text);
      const labels: Record<string, string> = {};
      for (const [label, key] of INFO_LABELS) labels[label] = rel[key] ?? '';
      const fs = new FamilySet().gauge(
        'node_os_info',
        `A metric with a constant '1' value labeled by ${INFO_LABELS.map(([l]) => l).join(', ')}.`,
        labels,
        1,
      );
      const m = /^[0-9]+\.?[0-9]*/.exec(rel.VERSION_ID ?? '');
      if (m) {
        fs.gauge('node_os_version', 'Metric containing the major.minor part of the OS version.', { id: labels.id, id_like: labels.id_like, name: labels.name }, Number(m[0]));
      }
      return fs.list();
    },
  } satisfies Exporter;
}
