/**
 * mDNS / DNS-SD advertisement (bonjour-service): `_edgeprom._tcp` with TXT
 * `agent`, `version`, `path`, `boot`, `boot_seq`, and `_prometheus-http._tcp` with TXT `path`
 * (the convention Prometheus mDNS discoverers read).
 *
 * Where packets go: multicast-dns with default options sends out of every interface. The
 * default here is loopback only (`{interface: '127.0.0.1', bind: '0.0.0.0'}`; bound to
 * 127.0.0.1 alone, Linux would deliver no multicast to the socket), so an agent multicasts
 * nothing to a network until `mdns.advertise_interfaces` (or `--mdns.interface`) names the
 * address of an interface, or `0.0.0.0` for all of them. One responder per listed interface.
 */
import BonjourService from 'bonjour-service';
import { silentLogger, type Logger } from '../logger.js';

type Bonjour = InstanceType<typeof BonjourService>;

export interface MdnsInfo {
  /** Instance name; default the agent id. */
  name: string;
  agent: string;
  version: string;
  metricsPath: string;
  port: number;
  boot: string;
  bootSeq: number;
}

export interface MdnsOptions {
  info: MdnsInfo;
  /** IPv4 interface addresses; default `['127.0.0.1']`. `0.0.0.0`: every interface. */
  interfaces?: readonly string[];
  logger?: Logger;
  /** Extra multicast-dns options, e.g. `{port}` to keep a test off 5353. Never to widen where packets go. */
  socket?: Record<string, unknown>;
}

export const EDGEPROM_SERVICE = 'edgeprom';
export const PROMETHEUS_SERVICE = 'prometheus-http';

/** multicast-dns socket options for one advertised interface (see the file comment). */
export function mdnsSocketOptions(iface: string): Record<string, unknown> {
  if (iface === '0.0.0.0') return {};
  return { interface: iface, bind: '0.0.0.0' };
}

export class MdnsAdvertiser {
  readonly #opts: MdnsOptions;
  readonly #logger: Logger;
  #responders: Bonjour[] = [];

  constructor(opts: MdnsOptions) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger();
  }

  get interfaces(): readonly string[] {
    return this.#opts.interfaces?.length ? this.#opts.interfaces : ['127.0.0.1'];
  }

  start(): void {
    if (this.#responders.length) return;
    const i = this.#opts.info;
    for (const iface of this.interfaces) {
      const b = new BonjourService({ ...mdnsSocketOptions(iface), ...this.#opts.socket }, (err: Error) => {
        this.#logger.warn({ interface: iface, err: err.message }, 'mdns: responder error');
      });
      b.publish({
        name: i.name,
        type: EDGEPROM_SERVICE,
        port: i.port,
        txt: { agent: i.agent, version: i.version, path: i.metricsPath, boot: i.boot, boot_seq: String(i.bootSeq) },
      });
      b.publish({ name: i.name, type: PROMETHEUS_SERVICE, port: i.port, txt: { path: i.metricsPath } });
      this.#responders.push(b);
    }
    this.#logger.info({ interfaces: this.interfaces, name: i.name, port: i.port }, 'mdns: advertising _edgeprom._tcp and _prometheus-http._tcp');
  }

  /** Sends goodbyes (TTL 0) and closes the sockets. */
  async stop(): Promise<void> {
    const all = this.#responders.splice(0);
    await Promise.all(
      all.map(
        (b) =>
          new Promise<void>((resolve) => {
            b.unpublishAll(() => b.destroy(() => resolve()));
          }),
      ),
    );
  }
}
