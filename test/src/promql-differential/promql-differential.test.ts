/**
 * Differential test against Debian's Prometheus (package `prometheus`, 2.42): one dataset
 * loaded into both (promtool tsdb create-blocks-from openmetrics / our `tsdb import
 * openmetrics`), both servers started on 127.0.0.1, and a corpus of instant and range
 * queries asked of both HTTP APIs. Answers must agree (compare.ts) except for the known
 * 2.x→3.x differences and the engine's known gaps (exclusions.ts).
 *
 * Never skipped: without promtool/prometheus it fails, naming the package to install.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffAnswers, type ApiAnswer } from './compare.js';
import { generateCorpus, type Query } from './corpus.js';
import { generateDataset } from './dataset.js';
import { EXCLUDED, KNOWN_ENGINE_GAPS } from './exclusions.js';
import { AGGREGATOR_CLI, missingCommands, run, startOurs, startPrometheus, stop, type Server } from './processes.js';

const DEBIAN_HINT =
  'The PromQL differential test needs Debian\'s Prometheus: install the package with `apt-get install -y prometheus` (it provides both `prometheus` and `promtool`; .ci/run installs it when missing).';

let dir = '';
let prom: Server | undefined;
let ours: Server | undefined;
/**
 * A setup failure (Prometheus not installed, a server that does not start) is rethrown by
 * each test, so it shows as failed tests rather than as tests vitest skips after beforeAll.
 */
let setupError: unknown;

async function ask(server: Server, q: Query): Promise<ApiAnswer> {
  const params =
    q.kind === 'instant'
      ? new URLSearchParams({ query: q.query, time: String(q.time) })
      : new URLSearchParams({ query: q.query, start: String(q.start), end: String(q.end), step: String(q.step) });
  const endpoint = q.kind === 'instant' ? 'query' : 'query_range';
  const res = await fetch(`${server.url}/api/v1/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
  });
  const body = (await res.json()) as ApiAnswer;
  if (body.status !== 'success' && body.status !== 'error') throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}

describe('PromQL differential test against Debian prometheus 2.42', () => {
  beforeAll(async () => {
    try {
      await setup();
    } catch (e) {
      setupError = e;
    }
  }, 120_000);

  async function setup(): Promise<void> {
    const missing = missingCommands(['promtool', 'prometheus']);
    if (missing.length > 0) throw new Error(`${missing.join(' and ')} not found in PATH. ${DEBIAN_HINT}`);
    dir = mkdtempSync(path.join(tmpdir(), 'edgeprom-promql-diff-'));
    const file = path.join(dir, 'data.om');
    writeFileSync(file, generateDataset().text);
    const theirs = run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, path.join(dir, 'prom')]);
    if (theirs.status !== 0) throw new Error(`promtool failed:\n${theirs.stderr}${theirs.stdout}`);
    const mine = run(process.execPath, [AGGREGATOR_CLI, 'tsdb', 'import', 'openmetrics', file, '--storage.tsdb.path', path.join(dir, 'ours')]);
    if (mine.status !== 0) throw new Error(`edgeprom-aggregator tsdb import failed (${mine.status}):\n${mine.stderr}${mine.stdout}`);
    // Both at once; keep whichever started so afterAll stops it even if the other failed.
    const [p, o] = await Promise.allSettled([startPrometheus(dir, path.join(dir, 'prom')), startOurs(path.join(dir, 'ours'))]);
    if (p.status === 'fulfilled') prom = p.value;
    if (o.status === 'fulfilled') ours = o.value;
    if (p.status === 'rejected') throw p.reason;
    if (o.status === 'rejected') throw o.reason;
  }

  afterAll(async () => {
    await Promise.all([stop(prom), stop(ours)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the dataset is big and varied enough', () => {
    if (setupError) throw setupError;
    const d = generateDataset();
    expect(d.series).toBeGreaterThanOrEqual(50);
    expect(generateCorpus().length).toBeGreaterThanOrEqual(300);
  });

  it('answers agree on every query not excluded', async () => {
    if (setupError) throw setupError;
    const corpus = generateCorpus();
    let agree = 0;
    let excluded = 0;
    let excludedAgree = 0;
    /** How the agreeing answers look, so a vacuous corpus (all empty, all errors) shows. */
    const shape = { series: 0, empty: 0, scalar: 0, errors: 0 };
    const perExclusion = new Map(EXCLUDED.map((e) => [e, { queries: 0, differ: 0 }]));
    const differ: string[] = [];
    const fixedGaps: string[] = [];
    const gapsSeen = new Set<string>();
    for (const q of corpus) {
      const [a, b] = await Promise.all([ask(prom!, q), ask(ours!, q)]);
      const d = diffAnswers(a, b);
      const exclusion = EXCLUDED.find((e) => e.match.test(q.id));
      if (exclusion) {
        excluded++;
        const c = perExclusion.get(exclusion)!;
        c.queries++;
        if (d === undefined) excludedAgree++;
        else c.differ++;
        continue;
      }
      const gap = KNOWN_ENGINE_GAPS[q.id];
      if (gap !== undefined) {
        gapsSeen.add(q.id);
        excluded++;
        if (d === undefined) fixedGaps.push(q.id);
        continue;
      }
      if (d === undefined) {
        agree++;
        if (a.status === 'error') shape.errors++;
        else if (Array.isArray(a.data?.result) && a.data.resultType !== 'scalar' && a.data.resultType !== 'string') {
          if ((a.data.result as unknown[]).length > 0) shape.series++;
          else shape.empty++;
        } else shape.scalar++;
      } else differ.push(`${q.id}\n    ${d}`);
    }
    const stale = Object.keys(KNOWN_ENGINE_GAPS).filter((id) => !gapsSeen.has(id));
    console.log(`differential: ${agree} agree, ${differ.length} differ, ${excluded} excluded (${corpus.length} queries)`);
    console.log(
      `  agreeing answers: ${shape.series} with series, ${shape.empty} empty, ${shape.scalar} scalar/string, ${shape.errors} errors on both sides; ` +
        `${excludedAgree} excluded queries agree anyway`,
    );
    for (const [e, c] of perExclusion) {
      console.log(`  excluded ${String(e.match)}: ${c.queries} queries, ${c.differ} differ (${e.reason.slice(0, 90)}…)`);
    }
    if (differ.length) console.log(`differing queries:\n  ${differ.join('\n  ')}`);
    if (fixedGaps.length) console.log(`known engine gaps that now agree (remove them):\n  ${fixedGaps.join('\n  ')}`);
    expect(differ, 'queries that differ from Prometheus').toEqual([]);
    expect(fixedGaps, 'KNOWN_ENGINE_GAPS entries that agree now').toEqual([]);
    expect(stale, 'KNOWN_ENGINE_GAPS entries not in the corpus').toEqual([]);
  }, 300_000);
});
