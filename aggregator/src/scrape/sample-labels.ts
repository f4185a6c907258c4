/**
 * From a series as the target exposes it to the series stored: target labels added
 * (honor_labels decides who wins a clash), metric_relabel_configs applied, then checked as
 * Prometheus checks it (metric name present, valid names, label limits).
 */
import { Labels, isValidLabelName, isValidMetricName } from '@edgeprom/shared';
import { LabelsBuilder } from '../relabel/builder.js';
import { relabel, type RelabelProgram } from '../relabel/relabel.js';
import { invalidSeries, labelLimit, missingName } from './errors.js';

const EXPORTED = 'exported_';

/**
 * Prometheus's mutateSampleLabels. With honor_labels the exposed value wins; otherwise the
 * target's, and the exposed one moves to `exported_<name>` (prefixed again while taken,
 * shortest names first). Returns null when relabeling drops the series or leaves nothing.
 */
export function mutateSampleLabels(raw: Labels, target: Labels, honor: boolean, program: RelabelProgram): Labels | null {
  const lb = new LabelsBuilder(raw);
  const tkv = target.pairs();
  if (honor) {
    for (let i = 0; i < tkv.length; i += 2) if (raw.get(tkv[i]) === '') lb.set(tkv[i], tkv[i + 1]);
  } else {
    let conflicts: [string, string][] | undefined;
    for (let i = 0; i < tkv.length; i += 2) {
      const existing = raw.get(tkv[i]);
      if (existing !== '') (conflicts ??= []).push([tkv[i], existing]);
      lb.set(tkv[i], tkv[i + 1]);
    }
    if (conflicts !== undefined) {
      // Array.prototype.sort is stable.
      conflicts.sort((a, b) => a[0].length - b[0].length);
      for (const [n, v] of conflicts) {
        let name = n;
        for (;;) {
          name = EXPORTED + name;
          if (lb.get(name) === '') {
            lb.set(name, v);
            break;
          }
        }
      }
    }
  }
  let res: Labels | null = lb.labels();
  if (program.length > 0) res = relabel(res, program);
  return res === null || res.size === 0 ? null : res;
}

/** Labels of a report series (`up`, ...): the name plus the target's labels. */
export function reportLabels(name: string, target: Labels): Labels {
  const lb = new LabelsBuilder(Labels.from({ __name__: name }));
  for (const [n, v] of target) lb.set(n, v);
  return lb.labels();
}

export interface LabelLimits {
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
}

/** Go's `%.50s`: at most 50 code points. */
function trunc50(s: string): string {
  let n = 0;
  let i = 0;
  for (const ch of s) {
    if (n === 50) return s.slice(0, i);
    n++;
    i += ch.length;
  }
  return s;
}

/** Throws the scrape's error for a stored series Prometheus would refuse. */
export function checkSeries(lset: Labels, limits: LabelLimits): void {
  const name = lset.get('__name__');
  if (name === '') throw missingName();
  if (!isValidMetricName(name)) throw invalidSeries(lset.toString());
  const kv = lset.pairs();
  for (let i = 0; i < kv.length; i += 2) if (!isValidLabelName(kv[i])) throw invalidSeries(lset.toString());
  if (limits.labelLimit > 0 && lset.size > limits.labelLimit) {
    throw labelLimit(`label_limit exceeded (metric: ${trunc50(name)}, number of labels: ${lset.size}, limit: ${limits.labelLimit})`);
  }
  if (limits.labelNameLengthLimit === 0 && limits.labelValueLengthLimit === 0) return;
  for (let i = 0; i < kv.length; i += 2) {
    const n = kv[i];
    const v = kv[i + 1];
    if (limits.labelNameLengthLimit > 0) {
      const len = Buffer.byteLength(n);
      if (len > limits.labelNameLengthLimit) {
        throw labelLimit(`label_name_length_limit exceeded (metric: ${trunc50(name)}, label name: ${trunc50(n)}, length: ${len}, limit: ${limits.labelNameLengthLimit})`);
      }
    }
    if (limits.labelValueLengthLimit > 0) {
      const len = Buffer.byteLength(v);
      if (len > limits.labelValueLengthLimit) {
        throw labelLimit(
          `label_value_length_limit exceeded (metric: ${trunc50(name)}, label name: ${trunc50(n)}, value: ${JSON.stringify(trunc50(v))}, length: ${len}, limit: ${limits.labelValueLengthLimit})`,
        );
      }
    }
  }
}
