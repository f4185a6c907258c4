/**
 * `hwmon` exporter: /sys/class/hwmon sensors with node_exporter's naming, so a Pi shows
 * `node_hwmon_temp_celsius{chip="thermal_thermal_zone0",sensor="temp1"}` exactly as
 * node_exporter does there. The naming rules (chip from the device path, sensor from the
 * file name, units from the sensor type) follow node_exporter's hwmon collector.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { checkAborted, exists, isMissing, readValue } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

const SENSOR_TYPES = new Set([
  'vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion',
]);
const SENSOR_FILE = /^([^0-9]+)([0-9]*)?(_(.+))?$/;

/** Lower-cases and replaces anything outside [a-z0-9:_] by `_`, trimming `_` at the ends. */
export function cleanHwmonName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9:_]/g, '_').replace(/^_+|_+$/g, '');
}

/** `temp1_input` -> { type: 'temp', num: 1, property: 'input' }. */
export function explodeSensorFilename(name: string): { type: string; num: number; property: string } | undefined {
  const m = SENSOR_FILE.exec(name);
  if (!m) return undefined;
  return { type: m[1], num: m[2] ? Number(m[2]) : 0, property: m[4] ?? '' };
}

type SensorData = Map<string, Map<string, string>>;

async function collectSensorData(dir: string, data: SensorData): Promise<void> {
  const names = await readdir(dir);
  names.sort();
  await Promise.all(
    names.map(async (file) => {
      const e = explodeSensorFilename(file);
      if (!e || !SENSOR_TYPES.has(e.type)) return;
      const value = await readValue(join(dir, file));
      if (value === undefined) return; // a directory, or a sensor reporting a fault
      const sensor = `${e.type}${e.num}`;
      let props = data.get(sensor);
      if (!props) data.set(sensor, (props = new Map()));
      props.set(e.property, value);
    }),
  );
}

/** The stable chip name: from the device path first (unique), then the `name` file, then hwmonN. */
async function chipName(dir: string): Promise<string> {
  try {
    const dev = await realpath(join(dir, 'device'));
    const devName = cleanHwmonName(basename(dev));
    const devType = cleanHwmonName(basename(dirname(dev)));
    if (devType && devName) return `${devType}_${devName}`;
    if (devName) return devName;
  } catch {
    // no device link: fall through
  }
  const name = cleanHwmonName((await readValue(join(dir, 'name'))) ?? '');
  if (name) return name;
  return cleanHwmonName(basename(await realpath(dir)));
}

function emitSensor(fs: FamilySet, chip: string, sensor: string, props: Map<string, string>): void {
  const type = explodeSensorFilename(sensor)!.type;
  const labels = { chip, sensor };
  const label = props.has('label') ? cleanHwmonName(props.get('label')!) : '';
  if (label) fs.gauge('node_hwmon_sensor_label', 'Label for given chip and sensor', { chip, sensor, label }, 1);

  if (type === 'beep_enable') {
    fs.gauge('node_hwmon_beep_enabled', 'Hardware beep enabled', labels, props.get('') === '1' ? 1 : 0);
    return;
  }
  if (type === 'vrm' || type === 'update_interval') {
    const v = Number(props.get(''));
    if (props.get('') === undefined || !Number.isFinite(v)) return;
    if (type === 'vrm') fs.gauge('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', labels, v);
    else fs.gauge('node_hwmon_update_interval_seconds', 'Hardware monitor update interval', labels, v * 0.001);
    return;
  }

  const prefix = `node_hwmon_${type}`;
  for (const [element, raw] of props) {
    if (element === 'label') continue;
    let name = prefix;
    if (element === 'input') {
      if (props.has('')) name += '_input';
    } else if (element !== '') {
      name += `_${cleanHwmonName(element)}`;
    }
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) continue;

    if (element === 'fault' || element === 'alarm') {
      fs.gauge(name, `Hardware sensor ${element} status (${type})`, labels, v);
    } else if (element === 'beep') {
      fs.gauge(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', labels, v);
    } else if (type === 'in' || type === 'cpu') {
      fs.gauge(`${name}_volts`, `Hardware monitor for voltage (${element})`, labels, v * 0.001);
    } else if (type === 'temp' && element !== 'type') {
      fs.gauge(`${name}_celsius`, `Hardware monitor for temperature (${element || 'input'})`, labels, v * 0.001);
    } else if (type === 'curr') {
      fs.gauge(`${name}_amps`, `Hardware monitor for current (${element})`, labels, v * 0.001);
    } else if (type === 'energy') {
      fs.counter(`${name}_joule_total`, `Hardware monitor for joules used so far (${element})`, labels, v / 1e6);
    } else if (type === 'power' && element === 'accuracy') {
      fs.gauge(name, 'Hardware monitor power meter accuracy, as a ratio', labels, v / 1e6);
    } else if (type === 'power' && /^average_interval(_min|_max)?$/.test(element)) {
      fs.gauge(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, labels, v * 0.001);
    } else if (type === 'power') {
      fs.gauge(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, labels, v / 1e6);
    } else if (type === 'humidity') {
      fs.gauge(name, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, labels, v / 1e6);
    } else if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element)) {
      fs.gauge(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, labels, v);
    } else {
      fs.gauge(name, `Hardware monitor ${type} element ${element}`, labels, v);
    }
  }
}

export function hwmonExporter(roots?: Partial<OsRoots>): Exporter {
  const { sysfs } = resolveRoots(roots);
  return {
    name: 'hwmon',
    async collect(signal) {
      const base = join(sysfs, 'class', 'hwmon');
      let entries: string[];
      try {
        entries = await readdir(base);
      } catch (err) {
        if (isMissing(err)) return []; // no sensors on this board: nothing to report, not an error
        throw err;
      }
      entries.sort();
      const fs = new FamilySet();
      for (const entry of entries) {
        checkAborted(signal);
        const dir = join(base, entry);
        if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
        const chip = await chipName(dir);
        const data: SensorData = new Map();
        await collectSensorData(dir, data);
        if (await exists(join(dir, 'device'))) await collectSensorData(join(dir, 'device'), data).catch(() => undefined);
        const human = cleanHwmonName((await readValue(join(dir, 'name'))) ?? '');
        if (human) fs.gauge('node_hwmon_chip_names', 'Annotation metric for human-readable chip names', { chip, chip_name: human }, 1);
        for (const sensor of [...data.keys()].sort()) emitSensor(fs, chip, sensor, data.get(sensor)!);
      }
      return fs.list();
    },
  } satisfies Exporter;
}
