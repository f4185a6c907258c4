import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@edgeprom/shared';
import { osReleaseExporter, parseOsRelease } from './os-release.js';
import { unameExporter } from './uname.js';
import { timeExporter } from './time.js';
import { hardwareExporter } from './hardware.js';
import { fakeTree, samples, value, type FakeTree } from '../testing/fake-tree.js';

let tree: FakeTree;
afterEach(() => tree?.cleanup());

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
# a comment
HOME_URL="https://www.debian.org/"
`;

describe('os exporter', () => {
  it('reports node_os_info and node_os_version from /etc/os-release', async () => {
    tree = await fakeTree({ 'root/etc/os-release': OS_RELEASE });
    const fams = await osReleaseExporter({ rootfs: tree.path('root') }).collect();
    const [info] = samples(fams, 'node_os_info');
    expect(info.labels.toObject()).toEqual({
      __name__: 'node_os_info',
      id: 'debian',
      name: 'Debian GNU/Linux',
      pretty_name: 'Debian GNU/Linux 12 (bookworm)',
      version: '12 (bookworm)',
      version_codename: 'bookworm',
      version_id: '12',
    });
    expect(value(fams, 'node_os_version', { id: 'debian' })).toBe(12);
  });

  it('falls back to /usr/lib/os-release and parses a major.minor version', async () => {
    tree = await fakeTree({ 'root/usr/lib/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n' });
    const fams = await osReleaseExporter({ rootfs: tree.path('root') }).collect();
    expect(value(fams, 'node_os_version', { id: 'alpine' })).toBe(3.19);
  });

  it('unquotes and unescapes values', () => {
    expect(parseOsRelease(`A="x \\"y\\""\nB='z'\nC=plain\n`)).toEqual({ A: 'x "y"', B: 'z', C: 'plain' });
  });
});

describe('uname exporter', () => {
  it('reports node_uname_info with node_exporter labels', async () => {
    tree = await fakeTree({ 'proc/sys/kernel/domainname': '(none)\n' });
    const fams = await unameExporter({
      roots: { procfs: tree.path('proc') },
      uname: () => ({ sysname: 'Linux', nodename: 'pi4', release: '6.6.31+rpt-rpi-v8', version: '#1 SMP PREEMPT', machine: 'aarch64' }),
    }).collect();
    expect(samples(fams, 'node_uname_info')[0].labels.toObject()).toEqual({
      __name__: 'node_uname_info',
      domainname: '(none)',
      machine: 'aarch64',
      nodename: 'pi4',
      release: '6.6.31+rpt-rpi-v8',
      sysname: 'Linux',
      version: '#1 SMP PREEMPT',
    });
  });
});

describe('time exporter', () => {
  it('is live and reads the clock at each call', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const e = timeExporter(clock);
    expect(e.live).toBe(true);
    expect(value(await e.collect(), 'node_time_seconds')).toBe(1_700_000_000);
    await clock.advance(1500);
    expect(value(await e.collect(), 'node_time_seconds')).toBe(1_700_000_001.5);
  });
});

describe('hardware exporter', () => {
  it('identifies a Raspberry Pi from the devicetree and /proc/cpuinfo', async () => {
    tree = await fakeTree({
      'sys/firmware/devicetree/base/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
      'sys/firmware/devicetree/base/serial-number': '10000000abcdef01\0',
      'proc/cpuinfo': 'processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000abcdef01\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n',
    });
    const fams = await hardwareExporter({ roots: { sysfs: tree.path('sys'), procfs: tree.path('proc') }, platform: 'linux' }).collect();
    expect(samples(fams, 'edgeprom_hardware_info')[0].labels.toObject()).toEqual({
      __name__: 'edgeprom_hardware_info',
      model: 'Raspberry Pi 4 Model B Rev 1.4',
      serial: '10000000abcdef01',
      revision: 'c03114',
    });
  });

  it('uses DMI on x86 and drops firmware placeholders', async () => {
    tree = await fakeTree({
      'sys/class/dmi/id/sys_vendor': 'LENOVO\n',
      'sys/class/dmi/id/product_name': '20L8S02D00\n',
      'sys/class/dmi/id/product_version': 'ThinkPad T480s\n',
      'sys/class/dmi/id/product_serial': 'To be filled by O.E.M.\n',
      'proc/cpuinfo': 'model name\t: Intel(R) Core(TM) i5\n',
    });
    const fams = await hardwareExporter({ roots: { sysfs: tree.path('sys'), procfs: tree.path('proc') }, platform: 'linux' }).collect();
    expect(samples(fams, 'edgeprom_hardware_info')[0].labels.toObject()).toEqual({
      __name__: 'edgeprom_hardware_info',
      vendor: 'LENOVO',
      model: '20L8S02D00',
      version: 'ThinkPad T480s',
    });
  });
});
