/**
 * `--web.listen-address` values, as Prometheus writes them: `:9100` (every interface),
 * `127.0.0.1:9100`, `[::1]:9100`, `localhost:0` (port 0 picks a free port).
 */
import { EdgepromError } from '@edgeprom/shared';

export interface ListenAddress {
  /** undefined = every interface (Node listens on `::`, dual-stack, or `0.0.0.0`). */
  host: string | undefined;
  port: number;
}

export function parseListenAddress(s: string): ListenAddress {
  const bad = (why: string) => new EdgepromError('ERR_INVALID_LISTEN_ADDRESS', `invalid listen address ${JSON.stringify(s)}: ${why}`);
  let host: string;
  let port: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw bad('expected [ipv6]:port');
    host = s.slice(1, close);
    port = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw bad('a port is required, e.g. :9100');
    host = s.slice(0, colon);
    port = s.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address must be written in brackets, e.g. [::1]:9100');
  }
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) throw bad(`${JSON.stringify(port)} is not a port (0-65535)`);
  if (/[\s/?#@\\]/.test(host)) throw bad('bad host');
  return { host: host === '' ? undefined : host, port: Number(port) };
}

/** A URL a person can open for a bound address (`::`/`0.0.0.0` shown as localhost). */
export function displayUrl(host: string, port: number, path = '/'): string {
  const h = host === '::' || host === '0.0.0.0' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}
