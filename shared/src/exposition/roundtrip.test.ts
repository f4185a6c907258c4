/**
 * Encoder ⇄ parser agreement: any valid MetricFamily[] encoded by us and parsed by
 * `parseExposition` comes back exactly, values bit-exact (NaN as NaN, -0 as -0). The generators
 * build families that are valid in the target format, OpenMetrics's stricter rules included
 * (grouped metric points, cumulative integer buckets, non-negative counters, `_total` naming).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels } from '../labels.js';
import type { Exemplar, MetricFamily, MetricType, Sample } from './model.js';
import { encodeText } from './encode-text.js';
import { encodeOpenMetrics } from './encode-openmetrics.js';
import { formatOpenMetricsFloat } from './encode-number.js';
import { parseExposition } from './parse.js';

// ---------------------------------------------------------------------------- arbitraries

/** Strings that stress escaping: backslashes, quotes, newlines, `#`, braces, non-ASCII. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom('\\', '"', '\n', '\\n', '\\"', '\\\\', '# ', ' # {a="b"} 1', '{', '}', ',', '=', ' ', '\t', '\r', 'ü€', '😀', '\u0000'),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));
const labelValue = tricky.filter((s) => s !== '');
const help = fc.option(tricky, { nil: undefined });
// The text format has no escape for blanks, and its parsers skip those between the name and
// the docstring: a HELP starting with a space or tab cannot survive. OpenMetrics keeps them.
const textHelp = fc.option(
  tricky.filter((h) => !h.startsWith(' ') && !h.startsWith('\t')),
  { nil: undefined },
);

const labelName = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/)
  .filter((n) => !n.startsWith('__') && n !== 'le' && n !== 'quantile');

/** Distinct label sets (without `__name__`), `n` of them. */
function labelSets(min: number, max: number, exclude: string[] = []) {
  return fc.uniqueArray(fc.dictionary(labelName.filter((n) => !exclude.includes(n)), labelValue, { maxKeys: 3 }), {
    minLength: min,
    maxLength: max,
    selector: (d) => Labels.from(d).key,
  });
}

const tsMs = fc.integer({ min: 0, max: 4_102_444_800_000 }); // up to 2100
const anyValue = fc.double(); // NaN, ±Inf, -0 included
const nonNegative = fc.double({ min: 0, max: 1e300, noNaN: true });
const count = fc.integer({ min: 0, max: 2 ** 40 });

const exemplar: fc.Arbitrary<Exemplar> = fc.record(
  {
    labels: fc
      .dictionary(fc.constantFrom('trace_id', 'span_id', 'id'), fc.stringMatching(/^[a-z0-9"\\\n#{} ]{1,12}$/), { maxKeys: 2 })
      .map((d) => Labels.from(d)),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    timestampMs: tsMs,
  },
  { requiredKeys: ['labels', 'value'] },
);

const lbl = (name: string, extra: Record<string, string>, more: Record<string, string> = {}) =>
  Labels.from({ ...extra, ...more, __name__: name });

function sample(labels: Labels, value: number, timestampMs?: number, ex?: Exemplar): Sample {
  const s: Sample = { labels, value };
  if (timestampMs !== undefined) s.timestampMs = timestampMs;
  if (ex !== undefined) s.exemplar = ex;
  return s;
}

/** Sorted distinct finite upper bounds rendered as OpenMetrics floats, then `+Inf`. */
const bucketBounds = fc
  .uniqueArray(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 4, selector: (v) => formatOpenMetricsFloat(v) })
  .map((bs) => [...bs.sort((a, b) => a - b).map(formatOpenMetricsFloat), '+Inf']);

/** Cumulative bucket counts for `n` buckets. */
const cumulative = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }).map((inc) => {
    let acc = 0;
    return inc.map((d) => (acc += d));
  });

const quantiles = fc
  .uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3, selector: (v) => formatOpenMetricsFloat(v) })
  .map((qs) => qs.sort((a, b) => a - b).map(formatOpenMetricsFloat));

// ------------------------------------------------------------------- OpenMetrics families

type FamilyGen = (name: string) => fc.Arbitrary<MetricFamily>;

const units = fc.option(fc.constantFrom('seconds', 'bytes', 'celsius', 'ratio'), { nil: undefined });

function withUnit(base: string, gen: (name: string, unit: string | undefined) => fc.Arbitrary<MetricFamily>) {
  return units.chain((unit) => gen(unit ? `${base}_${unit}` : base, unit));
}

const omGauge: FamilyGen = (base) =>
  withUnit(base, (name, unit) =>
    fc.tuple(fc.constantFrom<MetricType>('gauge', 'unknown'), help, labelSets(1, 3)).chain(([type, h, sets]) =>
      fc.tuple(...sets.map(() => fc.tuple(anyValue, fc.option(tsMs, { nil: undefined })))).map((vs) => ({
        name,
        type,
        help: h,
        unit,
        samples: sets.map((ls, i) => sample(lbl(name, ls), vs[i][0], vs[i][1])),
      })),
    ),
  );

const omCounter: FamilyGen = (base) =>
  withUnit(base, (name, unit) =>
    fc.tuple(help, labelSets(1, 3)).chain(([h, sets]) =>
      fc
        .tuple(
          ...sets.map(() =>
            fc.tuple(
              nonNegative,
              fc.option(tsMs, { nil: undefined }),
              fc.option(exemplar, { nil: undefined }),
              fc.option(fc.double({ min: 0, max: 4e9, noNaN: true }), { nil: undefined }),
            ),
          ),
        )
        .map((per) => ({
          name,
          type: 'counter' as const,
          help: h,
          unit,
          samples: sets.flatMap((ls, i) => {
            const [v, ts, ex, created] = per[i];
            const out = [sample(lbl(`${name}_total`, ls), v, ts, ex)];
            if (created !== undefined) out.push(sample(lbl(`${name}_created`, ls), created, ts));
            return out;
          }),
        })),
    ),
  );

function omHistogram(gauge: boolean): FamilyGen {
  return (base) =>
    withUnit(base, (name, unit) =>
      fc.tuple(help, labelSets(1, 2), bucketBounds).chain(([h, sets, bounds]) =>
        fc
          .tuple(
            ...sets.map(() =>
              fc.tuple(
                cumulative(bounds.length),
                fc.array(fc.option(exemplar, { nil: undefined }), { minLength: bounds.length, maxLength: bounds.length }),
                fc.option(nonNegative, { nil: undefined }), // sum present ⇒ count present
                fc.option(tsMs, { nil: undefined }),
              ),
            ),
          )
          .map((per) => ({
            name,
            type: gauge ? ('gaugehistogram' as const) : ('histogram' as const),
            help: h,
            unit,
            samples: sets.flatMap((ls, i) => {
              const [counts, exs, sum, ts] = per[i];
              const out = bounds.map((le, b) => sample(lbl(`${name}_bucket`, ls, { le }), counts[b], ts, exs[b]));
              if (sum !== undefined) {
                out.push(sample(lbl(`${name}_${gauge ? 'gsum' : 'sum'}`, ls), sum, ts));
                out.push(sample(lbl(`${name}_${gauge ? 'gcount' : 'count'}`, ls), counts[counts.length - 1], ts));
              }
              return out;
            }),
          })),
      ),
    );
}

const omSummary: FamilyGen = (base) =>
  withUnit(base, (name, unit) =>
    fc.tuple(help, labelSets(1, 2), quantiles).chain(([h, sets, qs]) =>
      fc
        .tuple(
          ...sets.map(() =>
            fc.tuple(
              fc.array(fc.oneof(nonNegative, fc.constant(NaN)), { minLength: qs.length, maxLength: qs.length }),
              fc.option(fc.tuple(nonNegative, count), { nil: undefined }),
              fc.option(tsMs, { nil: undefined }),
            ),
          ),
        )
        .map((per) => ({
          name,
          type: 'summary' as const,
          help: h,
          unit,
          samples: sets.flatMap((ls, i) => {
            const [vals, sc, ts] = per[i];
            const out = qs.map((quantile, q) => sample(lbl(name, ls, { quantile }), vals[q], ts));
            if (sc) out.push(sample(lbl(`${name}_sum`, ls), sc[0], ts), sample(lbl(`${name}_count`, ls), sc[1], ts));
            return out;
          }),
        })),
    ),
  );

const omInfo: FamilyGen = (name) =>
  fc.tuple(help, labelSets(1, 3)).map(([h, sets]) => ({
    name,
    type: 'info' as const,
    help: h,
    samples: sets.map((ls) => sample(lbl(`${name}_info`, ls), 1)),
  }));

const omStateset: FamilyGen = (name) =>
  fc
    .tuple(help, labelSets(1, 2, [name]), fc.uniqueArray(labelValue, { minLength: 1, maxLength: 3 }))
    .chain(([h, sets, states]) =>
      fc
        .array(fc.constantFrom(0, 1), { minLength: sets.length * states.length, maxLength: sets.length * states.length })
        .map((bits) => ({
          name,
          type: 'stateset' as const,
          help: h,
          samples: sets.flatMap((ls, i) =>
            states.map((st, j) => sample(lbl(name, ls, { [name]: st }), bits[i * states.length + j])),
          ),
        })),
    );

const omFamilyGens: FamilyGen[] = [omGauge, omCounter, omHistogram(false), omHistogram(true), omSummary, omInfo, omStateset];

const omFamilies = fc
  .array(fc.integer({ min: 0, max: omFamilyGens.length - 1 }), { minLength: 1, maxLength: 5 })
  .chain((kinds) => fc.tuple(...kinds.map((k, i) => omFamilyGens[k](`om${i}_m`))));

// -------------------------------------------------------------------------- text families

const textGauge: FamilyGen = (name) =>
  fc.tuple(fc.constantFrom<MetricType>('gauge', 'unknown', 'counter'), fc.boolean(), textHelp, labelSets(1, 3)).chain(
    ([type, total, h, sets]) => {
      const fname = type === 'counter' && total ? `${name}_total` : name;
      return fc
        .tuple(...sets.map(() => fc.tuple(anyValue, fc.option(fc.integer({ min: -1e13, max: 1e13 }), { nil: undefined }))))
        .map((vs) => ({ name: fname, type, help: h, samples: sets.map((ls, i) => sample(lbl(fname, ls), vs[i][0], vs[i][1])) }));
    },
  );

const textHistogram: FamilyGen = (name) =>
  fc.tuple(textHelp, labelSets(1, 2), bucketBounds).chain(([h, sets, bounds]) =>
    fc
      .tuple(...sets.map(() => fc.tuple(cumulative(bounds.length), anyValue, fc.option(tsMs, { nil: undefined }))))
      .map((per) => ({
        name,
        type: 'histogram' as const,
        help: h,
        samples: sets.flatMap((ls, i) => {
          const [counts, sum, ts] = per[i];
          return [
            ...bounds.map((le, b) => sample(lbl(`${name}_bucket`, ls, { le }), counts[b], ts)),
            sample(lbl(`${name}_sum`, ls), sum, ts),
            sample(lbl(`${name}_count`, ls), counts[counts.length - 1], ts),
          ];
        }),
      })),
  );

const textSummary: FamilyGen = (name) =>
  fc.tuple(textHelp, labelSets(1, 2), quantiles).chain(([h, sets, qs]) =>
    fc
      .tuple(...sets.map(() => fc.tuple(fc.array(anyValue, { minLength: qs.length, maxLength: qs.length }), anyValue, count)))
      .map((per) => ({
        name,
        type: 'summary' as const,
        help: h,
        samples: sets.flatMap((ls, i) => {
          const [vals, sum, n] = per[i];
          return [
            ...qs.map((quantile, q) => sample(lbl(name, ls, { quantile }), vals[q])),
            sample(lbl(`${name}_sum`, ls), sum),
            sample(lbl(`${name}_count`, ls), n),
          ];
        }),
      })),
  );

const textFamilyGens: FamilyGen[] = [textGauge, textHistogram, textSummary];

const textFamilies = fc
  .array(fc.integer({ min: 0, max: textFamilyGens.length - 1 }), { minLength: 1, maxLength: 5 })
  .chain((kinds) => fc.tuple(...kinds.map((k, i) => textFamilyGens[k](`tx${i}_m`))));

// ----------------------------------------------------------------------------- comparison

/** A comparable view: label sets by key, floats by exact identity (NaN, -0 distinguished). */
function view(families: readonly MetricFamily[]) {
  const num = (v: number) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v));
  return families.map((f) => ({
    name: f.name,
    type: f.type,
    help: f.help,
    unit: f.unit,
    samples: f.samples.map((s) => ({
      labels: s.labels.toString(),
      value: num(s.value),
      timestampMs: s.timestampMs,
      exemplar: s.exemplar && {
        labels: s.exemplar.labels.toString(),
        value: num(s.exemplar.value),
        timestampMs: s.exemplar.timestampMs,
      },
    })),
  }));
}

describe('encode → parseExposition round trip', () => {
  it('OpenMetrics: every valid family comes back exactly', () => {
    fc.assert(
      fc.property(omFamilies, (families) => {
        const body = encodeOpenMetrics(families);
        const parsed = parseExposition(body, { format: 'openmetrics' });
        expect(view(parsed), body).toEqual(view(families));
      }),
      { numRuns: 300 },
    );
  });

  it('text 0.0.4: every valid family comes back exactly', () => {
    fc.assert(
      fc.property(textFamilies, (families) => {
        const body = encodeText(families);
        const parsed = parseExposition(body, { format: 'text' });
        expect(view(parsed), body).toEqual(view(families));
      }),
      { numRuns: 300 },
    );
  });

  it('text 0.0.4 from bytes: UTF-8 survives', () => {
    fc.assert(
      fc.property(textFamilies, (families) => {
        const body = new TextEncoder().encode(encodeText(families));
        expect(view(parseExposition(body, { format: 'text' }))).toEqual(view(families));
      }),
      { numRuns: 100 },
    );
  });
});
