/**
 * The Prometheus text format 0.0.4 encoder, served on every scrape of `/metrics` that does not
 * negotiate OpenMetrics. Output matches client_golang's `expfmt.MetricFamilyToText` line for
 * line for the types both know (HELP then TYPE, labels without spaces, Go float formatting,
 * integer millisecond timestamps).
 *
 * The model is OpenMetrics-shaped, so families that only OpenMetrics can express are munged
 * the way client_python does it, keeping every sample and a type Prometheus understands:
 * - counter `foo` with samples `foo_total` → `# TYPE foo_total counter`;
 * - `_created` samples of counters, histograms and summaries → a separate gauge `foo_created`;
 * - info `foo` (samples `foo_info`) → gauge `foo_info`; stateset → gauge;
 * - gaugehistogram → one gauge per sample name (`foo_bucket`, `foo_gcount`, `foo_gsum`), since
 *   its buckets go up and down and must not look like a (counter) histogram to `rate()`;
 * - unknown → untyped. UNIT and exemplars have no text form and are dropped.
 * The input is trusted to hold valid names, as with client_golang's encoders.
 */
import type { MetricFamily, Sample } from './model.js';
import { escapeHelpText, renderSeries } from './encode-escape.js';
import { formatFloat, formatTextTimestamp } from './encode-number.js';

/** Encodes families in the text format 0.0.4, in the order given. */
export function encodeText(families: readonly MetricFamily[]): string {
  let out = '';
  for (let i = 0; i < families.length; i++) out += encodeTextFamily(families[i]);
  return out;
}

/** One family; may emit several text families (see the module comment). */
export function encodeTextFamily(f: MetricFamily): string {
  switch (f.type) {
    case 'gauge':
    case 'stateset':
      return header(f.name, 'gauge', f.help) + lines(f.samples);
    case 'unknown':
      return header(f.name, 'untyped', f.help) + lines(f.samples);
    case 'info': {
      const name = f.name.endsWith('_info') ? f.name : `${f.name}_info`;
      return header(name, 'gauge', f.help) + lines(f.samples);
    }
    case 'counter': {
      // A counter from OpenMetrics is named without `_total`; one from the text format with it
      // (or without, if the exporter never added it): TYPE names the samples either way.
      const base = f.name.endsWith('_total') ? f.name.slice(0, -6) : f.name;
      const typeName =
        base !== f.name || !hasSampleNamed(f.samples, `${f.name}_total`) ? f.name : `${f.name}_total`;
      return withCreated(typeName, 'counter', f, `${base}_created`);
    }
    case 'histogram':
    case 'summary':
      return withCreated(f.name, f.type, f, `${f.name}_created`);
    case 'gaugehistogram':
      return gaugesByName(f);
  }
}

function header(name: string, type: string, help: string | undefined): string {
  const h = help === undefined ? '' : `# HELP ${name} ${escapeHelpText(help)}\n`;
  return `${h}# TYPE ${name} ${type}\n`;
}

function line(s: Sample): string {
  let l = `${renderSeries(s.labels)} ${formatFloat(s.value)}`;
  if (s.timestampMs !== undefined) {
    const ts = formatTextTimestamp(s.timestampMs);
    if (ts !== undefined) l += ` ${ts}`;
  }
  return `${l}\n`;
}

function lines(samples: readonly Sample[]): string {
  let out = '';
  for (let i = 0; i < samples.length; i++) out += line(samples[i]);
  return out;
}

function hasSampleNamed(samples: readonly Sample[], name: string): boolean {
  for (let i = 0; i < samples.length; i++) if (samples[i].labels.name === name) return true;
  return false;
}

/** Writes the family, moving its `_created` samples to a gauge family of their own after it. */
function withCreated(name: string, type: string, f: MetricFamily, createdName: string): string {
  let body = '';
  let created = '';
  for (let i = 0; i < f.samples.length; i++) {
    const s = f.samples[i];
    if (s.labels.name === createdName) created += line(s);
    else body += line(s);
  }
  const main = header(name, type, f.help) + body;
  return created === '' ? main : main + header(createdName, 'gauge', f.help) + created;
}

/** Splits a gauge histogram into one gauge family per sample name, in first-seen order. */
function gaugesByName(f: MetricFamily): string {
  const byName = new Map<string, string>();
  for (const s of f.samples) {
    const n = s.labels.name;
    byName.set(n, (byName.get(n) ?? '') + line(s));
  }
  let out = '';
  for (const [n, body] of byName) out += header(n, 'gauge', f.help) + body;
  return out;
}
