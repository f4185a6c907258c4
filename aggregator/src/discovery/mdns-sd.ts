/**
 * mdns_sd_configs: DNS-SD over multicast DNS (bonjour-service). Browses the configured
 * service types (default `_edgeprom._tcp` and `_prometheus-http._tcp`); one group per
 * service instance, source = the instance's fqdn.
 *
 * Where the traffic goes (see docs/discovery.md): with no `interface` configured the socket
 * multicasts on loopback only (`{interface: '127.0.0.1', bind: '0.0.0.0'}`), which finds
 * agents on this machine and sends nothing anywhere else. Real interfaces are used only when
 * the config names one (`interface: 192.168.1.5`) or all of them (`interface: 0.0.0.0`).
 *
 * Removal: a goodbye (a PTR with TTL 0, sent when an agent unpublishes) removes the service at
 * once. Liveness is tracked here, on the injected Clock, from the TTLs of the PTR and SRV
 * records that keep arriving (bonjour-service's own expire() never refreshes lastSeen and
 * reads Date.now()): at 80% of a service's TTL we query again, and a service that has not
 * answered by the end of its TTL is dropped (RFC 6762 §5.2). It comes back with its next
 * announcement or answer.
 */
import BonjourService from 'bonjour-service';
import { RealClock, type Clock, type TimerHandle } from '@edgeprom/shared';
import type { MdnsSdConfig } from '@edgeprom/shared/config';
import { DISCOVERY_ERROR_CODES, DiscoveryError } from './discovery-error.js';
import { GroupDiffer, aborted, errorMessage, joinHostPort, sanitizeLabelName } from './groups.js';
import { ADDRESS_LABEL, silentLogger, type Discoverer, type DiscoveryLogger, type TargetGroup } from './interface.js';

type Service = BonjourService.Service;
type Browser = BonjourService.Browser;

export const MDNS_META = {
  service: '__meta_mdns_service',
  instance: '__meta_mdns_instance',
  fqdn: '__meta_mdns_fqdn',
  host: '__meta_mdns_host',
  port: '__meta_mdns_port',
  address: '__meta_mdns_address',
  addresses: '__meta_mdns_addresses',
  txtPrefix: '__meta_mdns_txt_',
} as const;

/** Socket options for multicast-dns, from the configured interface (see the file comment). */
export function mdnsSocketOptions(iface: string | undefined): Record<string, unknown> {
  if (iface === undefined || iface === '') return { interface: '127.0.0.1', bind: '0.0.0.0' };
  if (iface === '0.0.0.0') return {};
  // Bound to the interface address alone, Linux delivers no multicast to the socket.
  return { interface: iface, bind: '0.0.0.0' };
}

export interface MdnsSdOptions {
  clock?: Clock;
  logger?: DiscoveryLogger;
  /**
   * Extra multicast-dns options merged over the socket options, e.g. `{port}` to keep a test
   * off 5353. Never use it to widen where packets go.
   */
  socket?: Record<string, unknown>;
}

interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}
interface DnsPacket {
  answers?: DnsRecord[];
  additionals?: DnsRecord[];
}
interface MdnsSocket {
  on(event: string, fn: (...args: any[]) => void): void;
  removeListener(event: string, fn: (...args: any[]) => void): void;
}

interface Liveness {
  /** clock.monotonic() when a record last said the service is there. */
  seen: number;
  /** Seconds, the smallest TTL among the PTR and SRV records seen then. */
  ttl: number;
}

/** `_edgeprom._tcp` → bonjour-service's `{type: 'edgeprom', protocol: 'tcp'}`. */
function browseType(serviceType: string): { type: string; protocol: 'tcp' | 'udp' } {
  const m = /^_(.+)\._(tcp|udp)$/.exec(serviceType);
  if (!m) throw new DiscoveryError(DISCOVERY_ERROR_CODES.MDNS, `${JSON.stringify(serviceType)} is not a DNS-SD service type`);
  return { type: m[1], protocol: m[2] as 'tcp' | 'udp' };
}

/** The address to scrape: the one the answer came from (reachable by construction), else an advertised one. */
function pickAddress(s: Service): string | undefined {
  const ref = s.referer?.address;
  if (ref) return ref;
  const addrs = s.addresses ?? [];
  return addrs.find((a) => !a.includes(':')) ?? addrs[0] ?? (s.host || undefined);
}

export function serviceGroup(s: Service): TargetGroup {
  const group: TargetGroup = { source: s.fqdn, targets: [], labels: {} };
  const address = pickAddress(s);
  if (address === undefined || !s.port) return group;
  const t: Record<string, string> = {
    [ADDRESS_LABEL]: joinHostPort(address, s.port),
    [MDNS_META.service]: `_${s.type}._${s.protocol}`,
    [MDNS_META.instance]: s.name,
    [MDNS_META.fqdn]: s.fqdn,
    [MDNS_META.host]: s.host ?? '',
    [MDNS_META.port]: String(s.port),
    [MDNS_META.address]: address,
    [MDNS_META.addresses]: (s.addresses ?? []).join(','),
  };
  const txt = (s.txt ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(txt).sort()) {
    if (key === '') continue;
    const v = txt[key];
    // DNS-SD keys are case-insensitive (RFC 6763 §6.4); a key without a value reads as "".
    t[MDNS_META.txtPrefix + sanitizeLabelName(key.toLowerCase())] = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '';
  }
  group.targets.push(t);
  return group;
}

export class MdnsDiscoverer implements Discoverer {
  readonly #types: { type: string; protocol: 'tcp' | 'udp'; ptrName: string }[];
  readonly #interval: number;
  readonly #socketOptions: Record<string, unknown>;
  readonly #clock: Clock;
  readonly #logger: DiscoveryLogger;

  constructor(config: MdnsSdConfig, opts: MdnsSdOptions = {}) {
    this.#types = config.service_types.map((st) => ({ ...browseType(st), ptrName: `${st}.local`.toLowerCase() }));
    this.#interval = config.refresh_interval;
    this.#socketOptions = { ...mdnsSocketOptions(config.interface), ...opts.socket };
    this.#clock = opts.clock ?? new RealClock();
    this.#logger = opts.logger ?? silentLogger;
  }

  async run(signal: AbortSignal, emit: (groups: TargetGroup[]) => void): Promise<void> {
    if (signal.aborted) return;
    const clock = this.#clock;
    const logger = this.#logger;
    const bonjour = new BonjourService(this.#socketOptions as object, (err: unknown) => {
      logger.warn({ err }, `mdns_sd: ${errorMessage(err)}`);
    });
    // bonjour-service keeps its multicast-dns socket private; we need its raw responses for
    // TTLs, and must handle its 'error' event or a taken port would crash the process.
    const socket = (bonjour as unknown as { server: { mdns: MdnsSocket } }).server.mdns;
    const onError = (err: unknown) => logger.error({ err, code: DISCOVERY_ERROR_CODES.MDNS }, `mdns_sd: socket error: ${errorMessage(err)}`);
    const onWarning = (err: unknown) => logger.debug({ err }, `mdns_sd: ${errorMessage(err)}`);
    socket.on('error', onError);
    socket.on('warning', onWarning);

    const live = new Map<string, Liveness>();
    const differ = new GroupDiffer();
    let lastQuery = clock.monotonic();
    let wake: TimerHandle | undefined;

    const browsers: Browser[] = [];
    const current = (): Service[] => browsers.flatMap((b) => b.services);
    const isLive = (fqdn: string, now: number) => {
      const l = live.get(fqdn.toLowerCase());
      return l !== undefined && now < l.seen + l.ttl * 1000;
    };
    const query = () => {
      lastQuery = clock.monotonic();
      for (const b of browsers) b.update();
    };
    const schedule = () => {
      if (wake) clock.clearTimeout(wake);
      wake = undefined;
      if (signal.aborted) return;
      const now = clock.monotonic();
      let next = Infinity;
      for (const s of current()) {
        const l = live.get(s.fqdn.toLowerCase());
        if (!l || now >= l.seen + l.ttl * 1000) continue;
        const requeryAt = l.seen + l.ttl * 800;
        next = Math.min(next, lastQuery < requeryAt ? requeryAt : l.seen + l.ttl * 1000);
      }
      if (next !== Infinity) wake = clock.setTimeout(onWake, Math.max(0, next - now));
    };
    const recompute = () => {
      if (signal.aborted) return;
      const now = clock.monotonic();
      const services = current();
      const known = new Set(services.map((s) => s.fqdn.toLowerCase()));
      for (const k of live.keys()) if (!known.has(k)) live.delete(k);
      const changed = differ.diff(services.filter((s) => isLive(s.fqdn, now)).map(serviceGroup));
      if (changed) emit(changed);
      schedule();
    };
    function onWake() {
      wake = undefined;
      const now = clock.monotonic();
      const due = current().some((s) => {
        const l = live.get(s.fqdn.toLowerCase());
        return l !== undefined && lastQuery < l.seen + l.ttl * 800 && now >= l.seen + l.ttl * 800;
      });
      if (due) query();
      recompute();
    }
    const onResponse = (packet: DnsPacket) => {
      const now = clock.monotonic();
      const ttls = new Map<string, number>();
      for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
        if (!(rr.ttl > 0)) continue;
        let fqdn: string | undefined;
        if (rr.type === 'PTR' && typeof rr.data === 'string' && this.#types.some((t) => t.ptrName === rr.name.toLowerCase())) fqdn = rr.data;
        else if (rr.type === 'SRV') fqdn = rr.name;
        if (fqdn === undefined) continue;
        const k = fqdn.toLowerCase();
        ttls.set(k, Math.min(ttls.get(k) ?? Infinity, rr.ttl));
      }
      if (ttls.size === 0) return;
      for (const [k, ttl] of ttls) live.set(k, { seen: now, ttl });
      recompute();
    };

    for (const t of this.#types) {
      const b = bonjour.find({ type: t.type, protocol: t.protocol });
      b.on('down', (s: Service) => {
        live.delete(s.fqdn.toLowerCase());
        recompute();
      });
      browsers.push(b);
    }
    // Registered after the browsers, so they have taken a packet in before we look at it.
    socket.on('response', onResponse);
    const refresh = this.#interval > 0 ? clock.setInterval(query, this.#interval) : undefined;
    emit([]);
    differ.diff([]);

    await aborted(signal);
    if (refresh) clock.clearTimeout(refresh);
    if (wake) clock.clearTimeout(wake);
    socket.removeListener('response', onResponse);
    for (const b of browsers) b.stop();
    await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    socket.removeListener('error', onError);
    socket.removeListener('warning', onWarning);
  }
}
