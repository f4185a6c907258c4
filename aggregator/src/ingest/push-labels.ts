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
import type { SeriesRef } from '../storage/interface.js';

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

/** A pushed series as the store sees it: its final labels and the store's ref for it (0: none yet). */
export interface PushSeries {
  readonly labels: Labels;
  ref: SeriesRef;
}

/** One agent's series cache, as of one batch (see PushLabelCache.forAgent). */
export class AgentSeries {
  readonly target: Labels;
  readonly #series = new Map<string, PushSeries>();
  readonly #max: number;

  constructor(target: Labels, max: number) {
    this.target = target;
    this.#max = max;
  }

  /** The entry for a pushed series (labels as sent): one Map lookup once the series is known. */
  get(series: Labels): PushSeries {
    const key = series.key;
    let out = this.#series.get(key);
    if (out === undefined) {
      if (this.#series.size >= this.#max) this.#series.clear();
      out = { labels: attachTargetLabels(series, this.target), ref: 0 };
      this.#series.set(key, out);
    }
    return out;
  }
}

/**
 * Caches, per agent, each pushed series' final labels and its store ref, so that steady
 * pushes build no Labels and the store skips its lookup by labels (append by ref). Bounded
 * per agent. The target labels are asked for once per batch (`forAgent`); when they change,
 * the agent's cache starts over.
 */
export class PushLabelCache {
  readonly #target: TargetLabelsFn;
  readonly #perAgent = new Map<string, AgentSeries>();
  readonly #maxPerAgent: number;

  constructor(target: TargetLabelsFn = defaultTargetLabels, maxPerAgent = 100_000) {
    this.#target = target;
    this.#maxPerAgent = maxPerAgent;
  }

  forAgent(agent: string): AgentSeries {
    const target = this.#target(agent);
    let a = this.#perAgent.get(agent);
    if (a === undefined || !a.target.equals(target)) {
      a = new AgentSeries(target, this.#maxPerAgent);
      this.#perAgent.set(agent, a);
    }
    return a;
  }

  /** The final labels of one pushed series of `agent`. */
  get(agent: string, series: Labels): Labels {
    return this.forAgent(agent).get(series).labels;
  }
}
