/**
 * Real multicast DNS, kept on loopback: the publisher and the discoverer both use
 * `{interface: '127.0.0.1', bind: '0.0.0.0'}` (the discoverer because its config names no
 * interface), so no packet leaves this machine. Other test files may publish on loopback
 * at the same time, so every assertion looks only at this test's own instance names.
 */
import { randomUUID } from 'node:crypto';
import BonjourService from 'bonjour-service';
import { ManualClock, RealClock, type Clock } from '@edgeprom/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetGroup } from './interface.js';
import { MdnsDiscoverer, mdnsSocketOptions } from './mdns-sd.js';
import { EmitLog, waitFor } from './testing.js';

const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0' };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function publisher(): BonjourService {
  const b = new BonjourService(LOOPBACK as object, () => {});
  cleanups.push(() => new Promise((resolve) => b.destroy(() => resolve())));
  return b;
}

function start(clock: Clock = new RealClock()) {
  const log = new EmitLog();
  const ac = new AbortController();
  const d = new MdnsDiscoverer({ service_types: ['_edgeprom._tcp', '_prometheus-http._tcp'], refresh_interval: 60_000 }, { clock });
  const done = d.run(ac.signal, log.emit);
  const stop = async () => {
    ac.abort();
    await done;
  };
  cleanups.push(stop);
  return { log, stop };
}

/** This test's groups only. */
const mine = (log: EmitLog, id: string): TargetGroup[] => [...log.groups.values()].filter((g) => g.source.includes(id));

describe('MdnsDiscoverer on loopback', () => {
  it('keeps to loopback unless the config names an interface', () => {
    expect(mdnsSocketOptions(undefined)).toEqual(LOOPBACK);
    expect(mdnsSocketOptions('192.168.1.5')).toEqual({ interface: '192.168.1.5', bind: '0.0.0.0' });
    expect(mdnsSocketOptions('0.0.0.0')).toEqual({});
  });

  it('finds _edgeprom._tcp and _prometheus-http._tcp services with __meta_mdns_* labels; a goodbye removes them', async () => {
    const id = randomUUID().slice(0, 8);
    const { log } = start();
    expect(log.emits[0]).toEqual([]);
    const pub = publisher();
    const agentSvc = pub.publish({
      name: `agent-${id}`,
      type: 'edgeprom',
      port: 9100,
      host: `pi-${id}.local`,
      // The TXT keys agent/src/presence/mdns.ts announces, plus one that needs sanitizing.
      txt: { agent: `pi-${id}`, version: '0.1.0', path: '/metrics', boot: 'b7', boot_seq: '7', 'Odd-Key': 'x' },
      probe: false,
    });
    pub.publish({ name: `exporter-${id}`, type: 'prometheus-http', port: 9200, host: `pi-${id}.local`, txt: { path: '/x' }, probe: false });

    await waitFor(() => mine(log, id).length === 2, 'both services');
    const byInstance = Object.fromEntries(mine(log, id).map((g) => [g.targets[0].__meta_mdns_instance, g]));
    const a = byInstance[`agent-${id}`];
    expect(a.source).toBe(`agent-${id}._edgeprom._tcp.local`);
    expect(a.targets).toHaveLength(1);
    expect(a.targets[0]).toMatchObject({
      __address__: '127.0.0.1:9100',
      __meta_mdns_service: '_edgeprom._tcp',
      __meta_mdns_instance: `agent-${id}`,
      __meta_mdns_fqdn: `agent-${id}._edgeprom._tcp.local`,
      __meta_mdns_host: `pi-${id}.local`,
      __meta_mdns_port: '9100',
      __meta_mdns_address: '127.0.0.1',
      __meta_mdns_txt_agent: `pi-${id}`,
      __meta_mdns_txt_version: '0.1.0',
      __meta_mdns_txt_path: '/metrics',
      __meta_mdns_txt_boot: 'b7',
      __meta_mdns_txt_boot_seq: '7',
      __meta_mdns_txt_odd_key: 'x',
    });
    expect(byInstance[`exporter-${id}`].targets[0]).toMatchObject({
      __address__: '127.0.0.1:9200',
      __meta_mdns_service: '_prometheus-http._tcp',
      __meta_mdns_txt_path: '/x',
    });

    await new Promise<void>((resolve) => agentSvc.stop!(() => resolve())); // sends the goodbye
    await waitFor(() => mine(log, id).length === 1, 'the goodbye');
    expect(mine(log, id)[0].targets[0].__meta_mdns_service).toBe('_prometheus-http._tcp');
  });

  it('drops a service whose host vanished without a goodbye once its TTL runs out, and takes it back when it returns', async () => {
    const id = randomUUID().slice(0, 8);
    const clock = new ManualClock();
    const { log } = start(clock);
    const svc = { name: `gone-${id}`, type: 'edgeprom', port: 9100, host: `gone-${id}.local`, probe: false };
    const pub = publisher();
    pub.publish(svc);
    await waitFor(() => mine(log, id).length === 1, 'the service');

    await new Promise<void>((resolve) => pub.destroy(() => resolve())); // closes the socket, no goodbye
    await clock.advance(110_000); // past 80% of the SRV TTL (120 s): queried again, nobody answers
    expect(mine(log, id)).toHaveLength(1);
    await clock.advance(11_000); // past the TTL
    expect(mine(log, id)).toHaveLength(0);

    publisher().publish(svc); // back, announcing itself
    await waitFor(() => mine(log, id).length === 1, 'the returning service');
  });

  it('closes its socket when stopped', async () => {
    const clock = new ManualClock();
    const { stop } = start(clock);
    expect(clock.pendingTimers).toBe(1); // the refresh interval
    await stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
