/**
 * Where the agent can be scraped, for presence `addresses` (wire-format §6: at most 16).
 * A specific listen host is the one address; a wildcard listen (`:9100`) lists the
 * machine's addresses, non-loopback IPv4 first (an aggregator scrapes `addresses[0]`),
 * then IPv6 (link-local ones left out: they need a zone), loopback last.
 */
import * as os from 'node:os';

const MAX_ADDRESSES = 16;

export function scrapeAddresses(boundHost: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  if (boundHost !== '0.0.0.0' && boundHost !== '::' && boundHost !== '') return [boundHost];
  const v4: string[] = [];
  const v6: string[] = [];
  const loop: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && (boundHost === '0.0.0.0' || a.address.toLowerCase().startsWith('fe80:'))) continue;
      if (a.internal) loop.push(a.address);
      else (a.family === 'IPv4' ? v4 : v6).push(a.address);
    }
  }
  const all = [...new Set([...v4, ...v6, ...loop])];
  return all.slice(0, MAX_ADDRESSES);
}
