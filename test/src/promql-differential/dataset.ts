/**
 * The differential test's dataset, written as OpenMetrics with timestamps so that both
 * promtool and our importer load exactly the same samples.
 *
 * Every timestamp is T0 + i·15s plus a jitter of 1–999 ms but never 500, and every query
 * time in the corpus is a whole second plus 500 ms (ranges, steps and offsets whole
 * seconds), so no sample ever sits on a window boundary: Prometheus 2.x's closed windows
 * [t-r, t] and 3.x's left-open (t-r, t] then select the same samples. Values come from a
 * seeded PRNG, so runs are reproducible.
 */
import { prng } from '@edgeprom/shared/testing';

export const T0_MS = 1_700_000_000_000; // 2023-11-14T22:13:20Z
export const STEP_MS = 15_000;
export const HOURS = 3;
export const END_MS = T0_MS + HOURS * 3_600_000;

/**
 * Timestamp text in seconds whose `float64(text) * 1000` is exactly `ms`, so that
 * promtool's int64(ts*1000) and our importer cannot round differently; nudges the
 * jitter by a millisecond when the product is inexact. Also used by the PromQL benchmark's
 * dataset (test/src/bench/promql-dataset.ts).
 */
export function timestamp(ms: number): { ms: number; text: string } {
  for (let d = 0; d < 8; d++) {
    const m = ms + (d % 2 === 0 ? d / 2 : -(d + 1) / 2);
    const text = `${Math.floor(m / 1000)}.${String(m % 1000).padStart(3, '0')}`;
    if (Number(text) * 1000 === m && m % 1000 !== 0 && m % 1000 !== 500) return { ms: m, text };
  }
  throw new Error(`no exact timestamp near ${ms}`);
}

export function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Go's strconv 'g'-like shortest repr is what JS gives; integers stay integers. */
export function num(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  lines: string[];
}

export interface Dataset {
  text: string;
  series: number;
  samples: number;
}

const STEPS = (HOURS * 3_600_000) / STEP_MS;
const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1.0', '2.5', '+Inf'];

/** Whether series `phase` of demo_flaky_up has a sample at step i (they stop, start, gap). */
function flakyPresent(phase: number, i: number): boolean {
  if (phase === 0) return i < STEPS / 3; // stops after 1h
  if (phase === 1) return i >= STEPS / 2; // starts at 1h30
  return i < 200 || i >= 280; // a 20 min gap
}

export function generateDataset(seed = 42): Dataset {
  const rnd = prng(seed);
  const jitter = (): number => 1 + Math.floor(rnd() * 999);
  const fams: Family[] = [];
  let series = 0;
  let samples = 0;
  const ts = (i: number): { ms: number; text: string } => timestamp(T0_MS + i * STEP_MS + jitter());

  // Counters with resets.
  const counter = (name: string, help: string, sets: Record<string, string>[], resetEvery: number): void => {
    const f: Family = { name, type: 'counter', help, lines: [] };
    sets.forEach((ls, k) => {
      let v = Math.floor(rnd() * 1000);
      const speed = 1 + k * 3 + rnd() * 10;
      const resetAt = new Set<number>();
      for (let r = 0; r < 1 + (k % 3); r++) resetAt.add(Math.floor(rnd() * STEPS * resetEvery) % STEPS);
      series++;
      for (let i = 0; i < STEPS; i++) {
        v = resetAt.has(i) ? Math.floor(rnd() * 5) : v + Math.floor(rnd() * speed * 15);
        f.lines.push(`${name}_total${labelText(ls)} ${num(v)} ${ts(i).text}`);
        samples++;
      }
    });
    fams.push(f);
  };
  const gauge = (name: string, help: string, sets: Record<string, string>[], value: (k: number, i: number) => number | undefined): void => {
    const f: Family = { name, type: 'gauge', help, lines: [] };
    sets.forEach((ls, k) => {
      series++;
      for (let i = 0; i < STEPS; i++) {
        const v = value(k, i);
        if (v === undefined) continue;
        f.lines.push(`${name}${labelText(ls)} ${num(v)} ${ts(i).text}`);
        samples++;
      }
    });
    fams.push(f);
  };

  const inst = ['a', 'b'];
  const reqSets: Record<string, string>[] = [];
  for (const instance of inst) for (const method of ['get', 'post']) for (const code of ['200', '500']) {
    reqSets.push({ job: 'demo', instance, method, code });
  }
  counter('demo_requests', 'Requests handled.', reqSets, 1);
  counter('demo_errors', 'Errors.', ['a', 'b', 'c'].map((instance) => ({ job: 'demo', instance })), 1);

  const tempSets = inst.flatMap((instance) => ['cpu', 'gpu', 'board'].map((sensor) => ({ job: 'demo', instance, sensor })));
  gauge('demo_temperature_celsius', 'Temperature.', tempSets, (k, i) =>
    Math.round((40 + k * 3 + 8 * Math.sin(i / (20 + k)) + rnd() * 2) * 1000) / 1000,
  );
  gauge('demo_memory_bytes', 'Memory used.', ['a', 'b', 'c', 'd'].map((instance) => ({ job: 'demo', instance })), (k) =>
    Math.floor(2 ** 30 * (1 + k) + rnd() * 2 ** 24),
  );
  gauge('demo_constant', 'Constants.', [{ job: 'demo', kind: 'answer' }, { job: 'demo', kind: 'one' }], (k) => (k === 0 ? 42 : 1));
  gauge('demo_queue_length', 'Queue length.', ['a', 'b', 'c', 'd'].map((instance) => ({ job: 'demo', instance })), (k) =>
    Math.floor(rnd() * (3 + k * 2)),
  );
  gauge('demo_ratio', 'A value in [0, 1].', ['a', 'b'].map((instance) => ({ job: 'demo', instance })), () =>
    Math.round(rnd() * 1e6) / 1e6,
  );
  gauge('demo_balance', 'Negative, zero and positive values.', ['x', 'y'].map((account) => ({ job: 'demo', account })), (k, i) =>
    k === 0 ? Math.round((rnd() - 0.6) * 1e4) / 100 : (i % 7) - 3,
  );
  gauge('demo_flaky_up', 'Series that stop, start and pause.', [0, 1, 2].map((p) => ({ job: 'demo', instance: `f${p}` })), (k, i) =>
    flakyPresent(k, i) ? 1 : undefined,
  );
  gauge('demo_build_info', 'Info-style series.', [{ job: 'demo', instance: 'a', version: '1.2.3' }, { job: 'demo', instance: 'b', version: '1.3.0' }], () => 1);

  // Classic histograms: each point writes all buckets, _count and _sum at one timestamp.
  const h: Family = { name: 'demo_request_duration_seconds', type: 'histogram', help: 'Request latency.', lines: [] };
  for (const [k, instance] of ['a', 'b', 'c'].entries()) {
    const ls = { job: 'demo', instance };
    const counts = BUCKETS.map(() => 0);
    let sum = 0;
    series += BUCKETS.length + 2;
    for (let i = 0; i < STEPS; i++) {
      if (k === 2 && i === 300) {
        counts.fill(0); // a restart: the histogram's counters reset
        sum = 0;
      }
      const n = Math.floor(rnd() * 20);
      for (let r = 0; r < n; r++) {
        const d = rnd() ** (2 + k) * 3;
        sum += d;
        BUCKETS.forEach((b, j) => {
          if (b === '+Inf' || d <= Number(b)) counts[j]++;
        });
      }
      const t = ts(i).text;
      BUCKETS.forEach((b, j) => h.lines.push(`demo_request_duration_seconds_bucket${labelText({ ...ls, le: b })} ${counts[j]} ${t}`));
      h.lines.push(`demo_request_duration_seconds_count${labelText(ls)} ${counts[BUCKETS.length - 1]} ${t}`);
      h.lines.push(`demo_request_duration_seconds_sum${labelText(ls)} ${Math.round(sum * 1e6) / 1e6} ${t}`);
      samples += BUCKETS.length + 2;
    }
  }
  fams.push(h);

  const out: string[] = [];
  for (const f of fams) {
    out.push(`# TYPE ${f.name} ${f.type}`, `# HELP ${f.name} ${f.help}`, ...f.lines);
  }
  out.push('# EOF', '');
  return { text: out.join('\n'), series, samples };
}
