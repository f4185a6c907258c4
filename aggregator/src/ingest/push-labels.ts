/**
 * The label rule for pushed samples: a pushed sample lands in the same series as the sample
 * a scrape of the same agent would have produced, so a device that alternates between being
 * scraped and pushing its buffered history has one continuous series, without gaps or twins.
 *
 * A scrape attaches the target's labels (at least `job` and `instance`, after relabeling)
 * with honor_labels: false semantics. Push does the same: the batch's series labels as sent,
 * plus the agent's target labels; a pushed label that collides with a target label is kept
 * as `exported_<name>` (as Prometheus does on a scrape, whatever the values).
 *
 * Which target labels an agent has is the scrape manager's knowledge, so it is injected
 * (`TargetLabelsFn`); without one, `{job="edgeprom", instance="<agent id>"}` is used, which is
 * what the MQTT-presence and mDNS discovery must also produce for an agent (see docs/mqtt.md).
 */
import { Labels } from '@edgeprom/shared';

/** The target labels of an agent, e.g. from the scrape target discovered for it. */
export type TargetLabelsFn = (agent: string) => Labels;

export const DEFAULT_PUSH_JOB = 'edgeprom';

export function defaultTargetLabels(agent: string): Labels {
  return Labels.from({ job: DEFAULT_PUSH_JOB, instance: agent });
}

/** `series` with `target` attached, honor_labels: false style. */
export function attachTargetLabels(series: Labels, target: Labels): Labels {
  if (target.size === 0) return series;
  const pairs: [string, string][] = [];
  for (const [n, v] of series) pairs.push([target.has(n) ? `exported_${n}` : n, v]);
  for (const [n, v] of target) pairs.push([n, v]);
  return Labels.from(pairs);
}

/**
 * Caches the result per agent so that steady pushes reuse one Labels object per series (the
 * head then finds its series with one Map lookup on a cached key). Bounded per agent.
 */
export class PushLabelCache {
  readonly #target: TargetLabelsFn;
  readonly #perAgent = new Map<string, { target: Labels; series: Map<string, Labels> }>();
  readonly #maxPerAgent: number;

  constructor(target: TargetLabelsFn = defaultTargetLabels, maxPerAgent = 100_000) {
    this.#target = target;
    this.#maxPerAgent = maxPerAgent;
  }

  get(agent: string, series: Labels): Labels {
    const target = this.#target(agent);
    let a = this.#perAgent.get(agent);
    if (a === undefined || !a.target.equals(target)) {
      a = { target, series: new Map() };
      this.#perAgent.set(agent, a);
    }
    const key = series.key;
    let out = a.series.get(key);
    if (out === undefined) {
      if (a.series.size >= this.#maxPerAgent) a.series.clear();
      out = attachTargetLabels(series, target);
      a.series.set(key, out);
    }
    return out;
  }
}
