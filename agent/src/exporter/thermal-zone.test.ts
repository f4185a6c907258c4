import { afterEach, describe, expect, it } from 'vitest';
import { thermalZoneExporter } from './thermal-zone.js';
import { fakeTree, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

describe('thermal_zone exporter', () => {
  it('reports zone temperatures and cooling device states', async () => {
    tree = await fakeTree({
      'sys/class/thermal/thermal_zone0/type': 'cpu-thermal\n',
      'sys/class/thermal/thermal_zone0/temp': '48686\n',
      'sys/class/thermal/thermal_zone1/type': 'gpu-thermal\n',
      'sys/class/thermal/thermal_zone1/temp': '', // sensor off: skipped
      'sys/class/thermal/cooling_device0/type': 'pwm-fan\n',
      'sys/class/thermal/cooling_device0/cur_state': '1\n',
      'sys/class/thermal/cooling_device0/max_state': '4\n',
    });
    const fams = await thermalZoneExporter({ sysfs: tree.path('sys') }).collect();
    expect(value(fams, 'node_thermal_zone_temp', { zone: '0', type: 'cpu-thermal' })).toBeCloseTo(48.686);
    expect(value(fams, 'node_thermal_zone_temp', { zone: '1' })).toBeUndefined();
    expect(value(fams, 'node_cooling_device_cur_state', { name: '0', type: 'pwm-fan' })).toBe(1);
    expect(value(fams, 'node_cooling_device_max_state', { name: '0', type: 'pwm-fan' })).toBe(4);
  });

  it('reports nothing without a thermal class', async () => {
    tree = await fakeTree({ 'sys/.keep': '' });
    expect(await thermalZoneExporter({ sysfs: tree.path('sys') }).collect()).toEqual([]);
  });
});
