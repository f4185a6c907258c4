import { afterEach, describe, expect, it } from 'vitest';
import { netdevExporter } from './netdev.js';
import { fakeTree, family, samples, value, type FakeTree } from '../testing/fake-tree.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   63395      68    0    0    0     0          0         0    63395      68    0    0    0     0       0          0
  eth0: 262523658 190000    1    2    3     4          5         6  9000000   80000    7    8    9    10      11         12
 wlan0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
`;

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('netdev exporter', () => {
  it('reports every /proc/net/dev counter per device, without the loopback', async () => {
    tree = await fakeTree({ 'proc/net/dev': NET_DEV });
    const fams = await netdevExporter({ roots: { procfs: tree.path('proc') } }).collect();
    expect(samples(fams, 'node_network_receive_bytes_total').map((s) => s.labels.get('device'))).toEqual(['eth0', 'wlan0']);
    const eth0 = { device: 'eth0' };
    expect(value(fams, 'node_network_receive_bytes_total', eth0)).toBe(262523658);
    expect(value(fams, 'node_network_receive_packets_total', eth0)).toBe(190000);
    expect(value(fams, 'node_network_receive_errs_total', eth0)).toBe(1);
    expect(value(fams, 'node_network_receive_drop_total', eth0)).toBe(2);
    expect(value(fams, 'node_network_receive_multicast_total', eth0)).toBe(6);
    expect(value(fams, 'node_network_transmit_bytes_total', eth0)).toBe(9000000);
    expect(value(fams, 'node_network_transmit_packets_total', eth0)).toBe(80000);
    expect(value(fams, 'node_network_transmit_errs_total', eth0)).toBe(7);
    expect(value(fams, 'node_network_transmit_drop_total', eth0)).toBe(8);
    expect(value(fams, 'node_network_transmit_colls_total', eth0)).toBe(10);
    expect(value(fams, 'node_network_transmit_compressed_total', eth0)).toBe(12);
    expect(family(fams, 'node_network_receive_bytes_total')).toMatchObject({ type: 'counter', help: 'Network device statistic receive_bytes.' });
    expect(fams).toHaveLength(16);
  });
});
