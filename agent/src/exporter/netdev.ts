/**
 * `netdev` exporter: per-interface counters from /proc/net/dev, named as node_exporter's
 * (`node_network_receive_bytes_total{device}`). The loopback is excluded by default, as in
 * Debian's node_exporter.
 */
import { join } from 'node:path';
import { EdgepromError } from '@edgeprom/shared';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { fields, readOptional } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

export const DEFAULT_NET_DEVICE_EXCLUDE = /^lo$/;

const RECEIVE = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'];
const TRANSMIT = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'];

export interface NetDevStats {
  device: string;
  receive: number[];
  transmit: number[];
}

/** Pure parser of /proc/net/dev (two header lines, then `iface: 16 numbers`). */
export function parseNetDev(text: string): NetDevStats[] {
  const out: NetDevStats[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    const v = fields(line.slice(colon + 1)).map(Number);
    if (device === '' || v.length < 16 || v.some((x) => !Number.isFinite(x))) continue;
    out.push({ device, receive: v.slice(0, 8), transmit: v.slice(8, 16) });
  }
  return out;
}

export interface NetdevExporterOptions {
  roots?: Partial<OsRoots>;
  deviceExclude?: RegExp;
}

export function netdevExporter(opts: NetdevExporterOptions = {}): Exporter {
  const { procfs } = resolveRoots(opts.roots);
  const exclude = opts.deviceExclude ?? DEFAULT_NET_DEVICE_EXCLUDE;
  return {
    name: 'netdev',
    async collect(signal) {
      const path = join(procfs, 'net', 'dev');
      const text = await readOptional(path, signal);
      if (text === undefined) throw new EdgepromError('ERR_SOURCE_MISSING', `${path} does not exist`);
      const devs = parseNetDev(text).filter((d) => !exclude.test(d.device));
      const fs = new FamilySet();
      for (const [dir, names, key] of [
        ['receive', RECEIVE, 'receive'],
        ['transmit', TRANSMIT, 'transmit'],
      ] as const) {
        names.forEach((stat, i) => {
          for (const d of devs) {
            fs.counter(`node_network_${dir}_${stat}_total`, `Network device statistic ${dir}_${stat}.`, { device: d.device }, d[key][i]);
          }
        });
      }
      return fs.list();
    },
  } satisfies Exporter;
}
