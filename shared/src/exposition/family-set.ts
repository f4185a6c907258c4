/**
 * Building MetricFamily lists sample by sample: what exporters and self-metrics collectors
 * (the agent's exporters, the aggregator's own /metrics) use to describe their figures.
 */
import { Labels } from '../labels.js';
import type { MetricFamily, MetricType } from './model.js';

/** Collects samples into families, keeping the order families were first seen in. */
export class FamilySet {
  readonly #families = new Map<string, MetricFamily>();

  /** Adds one sample; declares the family on first use (later HELP/TYPE are ignored). */
  add(
    name: string,
    type: MetricType,
    help: string,
    labels: Record<string, string> | undefined,
    value: number,
  ): this {
    let f = this.#families.get(name);
    if (!f) {
      f = { name, type, help, samples: [] };
      this.#families.set(name, f);
    }
    f.samples.push({ labels: Labels.from({ ...labels, __name__: name }), value });
    return this;
  }

  gauge(name: string, help: string, labels: Record<string, string> | undefined, value: number): this {
    return this.add(name, 'gauge', help, labels, value);
  }

  counter(name: string, help: string, labels: Record<string, string> | undefined, value: number): this {
    return this.add(name, 'counter', help, labels, value);
  }

  list(): MetricFamily[] {
    return [...this.#families.values()];
  }
}
