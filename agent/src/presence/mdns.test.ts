import { afterEach, describe, expect, it } from 'vitest';
import BonjourService from 'bonjour-service';
import { MdnsAdvertiser, mdnsSocketOptions } from './mdns.js';
import { until } from '../mqtt/testing.js';

type Service = BonjourService.Service;

// Loopback only, and off 5353 so a responder of this machine (avahi) is not involved.
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0', port: PORT };

let advertiser: MdnsAdvertiser | undefined;
let browser: InstanceType<typeof BonjourService> | undefined;
afterEach(async () => {
  await advertiser?.stop();
  advertiser = undefined;
  await new Promise<void>((r) => (browser ? browser.destroy(() => r()) : r()));
  browser = undefined;
});

describe('mDNS advertisement', () => {
  it('stays on loopback by default and names real interfaces only when asked', () => {
    expect(new MdnsAdvertiser({ info: {} as never }).interfaces).toEqual(['127.0.0.1']);
    expect(mdnsSocketOptions('127.0.0.1')).toEqual({ interface: '127.0.0.1', bind: '0.0.0.0' });
    expect(mdnsSocketOptions('192.168.1.5')).toEqual({ interface: '192.168.1.5', bind: '0.0.0.0' });
    expect(mdnsSocketOptions('0.0.0.0')).toEqual({});
  });

  it('is discoverable as _edgeprom._tcp and _prometheus-http._tcp by a browser on loopback', async () => {
    advertiser = new MdnsAdvertiser({
      info: { name: 'pi-kitchen', agent: 'pi-kitchen', version: '0.1.0', metricsPath: '/metrics', port: 9123, boot: 'b7.abc', bootSeq: 3 },
      socket: { port: PORT },
    });
    advertiser.start();
    browser = new BonjourService(LOOPBACK);
    const found = new Map<string, Service>();
    browser.find({ type: 'edgeprom' }, (s) => found.set('edgeprom', s));
    browser.find({ type: 'prometheus-http' }, (s) => found.set('prometheus-http', s));
    await until(() => found.size === 2, 'both services');
    const e = found.get('edgeprom')!;
    expect(e.name).toBe('pi-kitchen');
    expect(e.port).toBe(9123);
    expect(e.txt).toEqual({ agent: 'pi-kitchen', version: '0.1.0', path: '/metrics', boot: 'b7.abc', boot_seq: '3' });
    expect(e.referer?.address).toBe('127.0.0.1');
    expect(found.get('prometheus-http')!.txt).toEqual({ path: '/metrics' });
  });
});
