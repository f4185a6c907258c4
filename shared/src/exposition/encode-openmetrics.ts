/**
 * The OpenMetrics 1.0 text encoder (`application/openmetrics-text; version=1.0.0`), served when
 * a scraper negotiates it. Follows client_golang's `MetricFamilyToOpenMetrics` and adds what it
 * leaves out: `# UNIT`, info, stateset and gaugehistogram families, `_created` samples.
 *
 * Rules taken from the OpenMetrics spec and client_golang:
 * - A counter family is named without `_total`; its samples keep it. So a text-format counter
 *   family `foo_total` is written as `# TYPE foo counter` with samples `foo_total`. A counter
 *   whose samples lack `_total` cannot be an OpenMetrics counter and is written as `unknown`
 *   (what client_golang does) rather than renaming its series.
 * - Values are floats (`1.0`, `NaN`, `+Inf`); counts (buckets, `_count`, `_gcount`) integers.
 * - Timestamps are seconds, written exactly from milliseconds (see encode-number.ts).
 * - Exemplars are written only where OpenMetrics allows them: on counter `_total` and
 *   (gauge)histogram `_bucket` samples. UNIT only where it is valid: not for info or stateset,
 *   and only when the family name ends with `_<unit>`.
 * - The output ends with `# EOF`.
 */
import type { MetricFamily, Sample } from './model.js';
import { escapeQuoted, renderLabelSet, renderSeries } from './encode-escape.js';
import {
  formatOpenMetricsCount,
  formatOpenMetricsFloat,
  formatOpenMetricsTimestamp,
} from './encode-number.js';

/** Encodes families as one OpenMetrics 1.0 exposition, in the order given, ending in `# EOF`. */
export function encodeOpenMetrics(families: readonly MetricFamily[]): string {
  let out = '';
  for (let i = 0; i < families.length; i++) out += encodeOpenMetricsFamily(families[i]);
  return `${out}# EOF\n`;
}

/** One family without the final `# EOF` (for callers that stream families). */
export function encodeOpenMetricsFamily(f: MetricFamily): string {
  let name = f.name;
  let type: string = f.type;
  // Sample names that carry an exemplar or an integer count in this family.
  let exemplarName: string | undefined;
  let countA: string | undefined;
  let countB: string | undefined;
  switch (f.type) {
    case 'counter':
      if (name.endsWith('_total')) name = name.slice(0, -6);
      else if (!isOpenMetricsCounter(f)) type = 'unknown';
      if (type === 'counter') exemplarName = `${name}_total`;
      break;
    case 'histogram':
      exemplarName = countA = `${name}_bucket`;
      countB = `${name}_count`;
      break;
    case 'gaugehistogram':
      exemplarName = countA = `${name}_bucket`;
      countB = `${name}_gcount`;
      break;
    case 'summary':
      countA = `${name}_count`;
      break;
    case 'info':
      // A family built as `foo_info` with samples `foo_info` is the info family `foo`.
      if (name.endsWith('_info') && !hasSampleNamed(f.samples, `${name}_info`)) {
        name = name.slice(0, -5);
      }
      break;
    default:
      break;
  }
  let out = '';
  if (f.help !== undefined) out += `# HELP ${name} ${escapeQuoted(f.help)}\n`;
  out += `# TYPE ${name} ${type}\n`;
  if (
    f.unit !== undefined &&
    f.unit !== '' &&
    type !== 'info' &&
    type !== 'stateset' &&
    name.endsWith(`_${f.unit}`)
  ) {
    out += `# UNIT ${name} ${f.unit}\n`;
  }

  const samples = f.samples;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const sname = s.labels.name;
    const isCount = sname === countA || sname === countB;
    let l = `${renderSeries(s.labels)} ${isCount ? formatOpenMetricsCount(s.value) : formatOpenMetricsFloat(s.value)}`;
    if (s.timestampMs !== undefined) {
      const ts = formatOpenMetricsTimestamp(s.timestampMs);
      if (ts !== undefined) l += ` ${ts}`;
    }
    if (s.exemplar !== undefined && sname === exemplarName) {
      l += exemplar(s);
    }
    out += `${l}\n`;
  }
  return out;
}

function exemplar(s: Sample): string {
  const e = s.exemplar!;
  let out = ` # ${renderLabelSet(e.labels)} ${formatOpenMetricsFloat(e.value)}`;
  if (e.timestampMs !== undefined) {
    const ts = formatOpenMetricsTimestamp(e.timestampMs);
    if (ts !== undefined) out += ` ${ts}`;
  }
  return out;
}

/** A counter not named `_total` is an OpenMetrics counter if its samples use the suffixes. */
function isOpenMetricsCounter(f: MetricFamily): boolean {
  if (f.samples.length === 0) return true;
  return (
    hasSampleNamed(f.samples, `${f.name}_total`) || hasSampleNamed(f.samples, `${f.name}_created`)
  );
}

function hasSampleNamed(samples: readonly Sample[], name: string): boolean {
  for (let i = 0; i < samples.length; i++) if (samples[i].labels.name === name) return true;
  return false;
}
