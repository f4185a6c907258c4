import { afterEach, describe, expect, it } from 'vitest';
import { cleanHwmonName, explodeSensorFilename, hwmonExporter } from './hwmon.js';
import { fakeTree, samples, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

/** The layout of a Raspberry Pi 4 (cpu_thermal, rpi_volt) plus an x86 coretemp and a fan chip. */
async function piTree(): Promise<FakeTree> {
  return fakeTree({
    // cpu_thermal: /sys/class/hwmon/hwmon0 -> ../../devices/virtual/thermal/thermal_zone0/hwmon0
    'sys/devices/virtual/thermal/thermal_zone0/temp': '45277\n',
    'sys/devices/virtual/thermal/thermal_zone0/type': 'cpu-thermal\n',
    'sys/devices/virtual/thermal/thermal_zone0/power/.keep': '', // a directory named like a sensor type
    'sys/devices/virtual/thermal/thermal_zone0/hwmon0/name': 'cpu_thermal\n',
    'sys/devices/virtual/thermal/thermal_zone0/hwmon0/temp1_input': '45277\n',
    'sys/devices/virtual/thermal/thermal_zone0/hwmon0/device': { symlink: '../../thermal_zone0' },
    'sys/class/hwmon/hwmon0': { symlink: '../../devices/virtual/thermal/thermal_zone0/hwmon0' },
    // rpi_volt: no device link, chip named from the name file
    'sys/class/hwmon/hwmon1/name': 'rpi_volt\n',
    'sys/class/hwmon/hwmon1/in0_lcrit_alarm': '0\n',
    // coretemp with a label and a critical threshold
    'sys/devices/platform/coretemp.0/hwmon/hwmon2/name': 'coretemp\n',
    'sys/devices/platform/coretemp.0/hwmon/hwmon2/temp1_input': '52000\n',
    'sys/devices/platform/coretemp.0/hwmon/hwmon2/temp1_crit': '100000\n',
    'sys/devices/platform/coretemp.0/hwmon/hwmon2/temp1_label': 'Package id 0\n',
    'sys/devices/platform/coretemp.0/hwmon/hwmon2/device': { symlink: '../../../coretemp.0' },
    'sys/class/hwmon/hwmon2': { symlink: '../../devices/platform/coretemp.0/hwmon/hwmon2' },
    // a fan controller
    'sys/class/hwmon/hwmon3/name': 'pwmfan\n',
    'sys/class/hwmon/hwmon3/fan1_input': '1200\n',
    'sys/class/hwmon/hwmon3/pwm1': '128\n',
    'sys/class/hwmon/hwmon3/uevent': 'ignored\n',
  });
}

describe('hwmon exporter', () => {
  it('names chips and sensors as node_exporter does on a Pi', async () => {
    tree = await piTree();
    const fams = await hwmonExporter({ sysfs: tree.path('sys') }).collect();
    const zone = 'thermal_thermal_zone0';
    expect(value(fams, 'node_hwmon_temp_celsius', { chip: zone, sensor: 'temp1' })).toBeCloseTo(45.277);
    // node_exporter also reads the device dir: the zone's own `temp` becomes sensor temp0.
    expect(value(fams, 'node_hwmon_temp_celsius', { chip: zone, sensor: 'temp0' })).toBeCloseTo(45.277);
    expect(value(fams, 'node_hwmon_chip_names', { chip: zone, chip_name: 'cpu_thermal' })).toBe(1);
    expect(value(fams, 'node_hwmon_in_lcrit_alarm_volts', { chip: 'rpi_volt', sensor: 'in0' })).toBe(0);
  });

  it('converts units, reports labels and thresholds', async () => {
    tree = await piTree();
    const fams = await hwmonExporter({ sysfs: tree.path('sys') }).collect();
    const core = { chip: 'platform_coretemp_0', sensor: 'temp1' };
    expect(value(fams, 'node_hwmon_temp_celsius', core)).toBe(52);
    expect(value(fams, 'node_hwmon_temp_crit_celsius', core)).toBe(100);
    expect(value(fams, 'node_hwmon_sensor_label', { ...core, label: 'package_id_0' })).toBe(1);
    expect(value(fams, 'node_hwmon_fan_rpm', { chip: 'pwmfan', sensor: 'fan1' })).toBe(1200);
    expect(value(fams, 'node_hwmon_pwm', { chip: 'pwmfan', sensor: 'pwm1' })).toBe(128);
    expect(samples(fams, 'node_hwmon_uevent')).toEqual([]);
  });

  it('reports nothing, without failing, on a board with no hwmon class', async () => {
    tree = await fakeTree({ 'sys/class/.keep': '' });
    expect(await hwmonExporter({ sysfs: tree.path('sys') }).collect()).toEqual([]);
  });

  it('splits sensor file names and cleans names like node_exporter', () => {
    expect(explodeSensorFilename('temp1_input')).toEqual({ type: 'temp', num: 1, property: 'input' });
    expect(explodeSensorFilename('in0_lcrit_alarm')).toEqual({ type: 'in', num: 0, property: 'lcrit_alarm' });
    expect(explodeSensorFilename('temp')).toEqual({ type: 'temp', num: 0, property: '' });
    expect(explodeSensorFilename('update_interval')).toEqual({ type: 'update_interval', num: 0, property: '' });
    expect(cleanHwmonName(' Package id 0 ')).toBe('package_id_0');
    expect(cleanHwmonName('soc:firmware')).toBe('soc:firmware');
  });
});
