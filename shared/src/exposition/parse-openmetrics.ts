/**
 * OpenMetrics 1.0 rules that span lines: families are contiguous and never repeat, names
 * do not clash (`a` counter owns `a_total` and `a_created`), each type accepts only its
 * sample names and values, the samples of one metric are contiguous with timestamps that
 * never go backwards, and histogram points are complete (sorted `le` up to +Inf, `_count`
 * equal to the +Inf bucket, `_sum`/`_count` together). The rules follow the spec and the
 * reference parser (prometheus/client_python), which the conformance suite encodes.
 */
import { METRIC_NAME } from '../labels.js';
import type { MetricType, Sample } from './model.js';
import {
  deliver,
  fail,
  FamilyState,
  floatLabel,
  K_BASE,
  K_BUCKET,
  K_COUNT,
  K_CREATED,
  K_GCOUNT,
  K_GSUM,
  K_INFO,
  K_SUM,
  K_TOTAL,
  labelValue,
  META_HELP,
  META_TYPE,
  suffixOf,
  type FamilyTracker,
  type MetaKind,
  type TrackerContext,
} from './parse-families.js';

/** Suffixes a family of each type claims, so that no other family may use them. */
const CLAIMS: Partial<Record<MetricType, readonly number[]>> = {
  counter: [K_TOTAL, K_CREATED],
  summary: [K_COUNT, K_SUM, K_CREATED],
  histogram: [K_COUNT, K_SUM, K_BUCKET, K_CREATED],
  gaugehistogram: [K_GCOUNT, K_GSUM, K_BUCKET],
  info: [K_INFO],
};

/** The identity of a metric within its family: labels without the name and the per-point label. */
function sameGroup(a: readonly string[], askip: string, b: readonly string[], bskip: string): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && (a[i] === METRIC_NAME || a[i] === askip)) i += 2;
    while (j < b.length && (b[j] === METRIC_NAME || b[j] === bskip)) j += 2;
    if (i >= a.length || j >= b.length) return i >= a.length && j >= b.length;
    if (a[i] !== b[j] || a[i + 1] !== b[j + 1]) return false;
    i += 2;
    j += 2;
  }
}

function groupKey(kv: readonly string[], skip: string): string {
  let key = '';
  for (let i = 0; i < kv.length; i += 2) {
    const n = kv[i];
    if (n === METRIC_NAME || n === skip) continue;
    key += `${n.length}:${n}${kv[i + 1].length}:${kv[i + 1]}`;
  }
  return key;
}

function describeGroup(kv: readonly string[], skip: string): string {
  const parts: string[] = [];
  for (let i = 0; i < kv.length; i += 2) {
    if (kv[i] !== METRIC_NAME && kv[i] !== skip) parts.push(`${kv[i]}=${JSON.stringify(kv[i + 1])}`);
  }
  return `{${parts.join(',')}}`;
}

/** A `le` or `quantile` value: any number, but infinities only as `+Inf`/`-Inf`; else NaN. */
function canonicalFloat(v: string): number {
  const x = floatLabel(v, false);
  if (x === undefined || ((x === Infinity || x === -Infinity) && v !== '+Inf' && v !== '-Inf')) return NaN;
  return x;
}

function isCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

export class OpenMetricsFamilies implements FamilyTracker {
  readonly #ctx: TrackerContext;
  #cur: FamilyState | null = null;
  /** Family and sample names already used, with the family that used each. */
  readonly #claimed = new Map<string, string>();

  // The current metric (group) of the current family.
  #gKv: readonly string[] | null = null;
  #gSkip = '';
  #gTs: number | undefined;
  #groups = new Set<string>();

  // The current histogram point (one group at one timestamp).
  #hOpen = false;
  #hLine = 0;
  #hHasBucket = false;
  #hLe = 0;
  #hValue = 0;
  #hCount = NaN;
  #hHasCount = false;
  #hNegBucket = false;
  #hSum = false;
  #hGsum = false;
  #hNegGsum = false;

  constructor(ctx: TrackerContext) {
    this.#ctx = ctx;
  }

  metadata(kind: MetaKind, name: string, text: string, line: number): void {
    let st = this.#cur;
    const kw = kind === META_HELP ? 'HELP' : kind === META_TYPE ? 'TYPE' : 'UNIT';
    if (st === null || st.family.name !== name) {
      this.#close();
      st = this.#open(name, line, null);
    } else if (st.hasSamples) {
      fail(this.#ctx, `${kw} for metric family "${name}" after its samples`, line);
    }
    const fam = st.family;
    if (kind === META_HELP) {
      if (st.helpSet) fail(this.#ctx, `second HELP for metric family "${name}"`, line);
      st.helpSet = true;
      fam.help = text;
    } else if (kind === META_TYPE) {
      if (st.typeSet) fail(this.#ctx, `second TYPE for metric family "${name}"`, line);
      st.setType(text as MetricType, true, this.#ctx.cache);
      if (fam.unit && (fam.type === 'info' || fam.type === 'stateset')) {
        fail(this.#ctx, `${fam.type} metric family "${name}" cannot have a unit`, line);
      }
    } else {
      if (st.unitSet) fail(this.#ctx, `second UNIT for metric family "${name}"`, line);
      if (text !== '' && !name.endsWith('_' + text)) {
        fail(this.#ctx, `metric family name "${name}" must end with its unit "_${text}"`, line);
      }
      if (text !== '' && (fam.type === 'info' || fam.type === 'stateset')) {
        fail(this.#ctx, `${fam.type} metric family "${name}" cannot have a unit`, line);
      }
      st.unitSet = true;
      fam.unit = text;
    }
  }

  sample(name: string, sample: Sample, kv: readonly string[], line: number): void {
    let st = this.#cur;
    let kind = st === null ? -1 : st.kindOf(name);
    if (kind < 0) {
      const prev = st;
      this.#close();
      st = this.#open(name, line, prev);
      kind = K_BASE;
    }
    const fam = st!.family;
    const ctx = this.#ctx;
    const type = fam.type;
    const v = sample.value;
    const hist = type === 'histogram' || type === 'gaugehistogram';
    let skip = '';
    let le = 0;
    switch (kind) {
      case K_BUCKET: {
        const raw = labelValue(kv, 'le');
        le = canonicalFloat(raw);
        if (Number.isNaN(le)) {
          fail(ctx, raw === '' ? `histogram bucket "${name}" has no "le" label` : `invalid "le" label value "${raw}"`, line);
        }
        if (!isCount(v)) fail(ctx, `bucket "${name}" must have a non-negative integer value, got ${v}`, line);
        skip = 'le';
        break;
      }
      case K_COUNT:
      case K_GCOUNT:
        if (!isCount(v)) fail(ctx, `"${name}" must have a non-negative integer value, got ${v}`, line);
        break;
      case K_TOTAL:
      case K_SUM:
        if (Number.isNaN(v) || v < 0) fail(ctx, `"${name}" must not be NaN or negative, got ${v}`, line);
        break;
      case K_GSUM:
        if (Number.isNaN(v)) fail(ctx, `"${name}" must not be NaN`, line);
        break;
      case K_INFO:
        if (v !== 1) fail(ctx, `info sample "${name}" must have the value 1, got ${v}`, line);
        break;
      case K_BASE:
        if (type === 'summary') {
          const raw = labelValue(kv, 'quantile');
          const q = canonicalFloat(raw);
          if (!(q >= 0 && q <= 1)) {
            fail(ctx, raw === '' ? `summary sample "${name}" has no "quantile" label` : `invalid "quantile" label value "${raw}"`, line);
          }
          if (v < 0) fail(ctx, `quantile value of "${name}" must not be negative, got ${v}`, line);
          skip = 'quantile';
        } else if (type === 'stateset') {
          if (labelValue(kv, name) === '') fail(ctx, `stateset sample "${name}" has no "${name}" label`, line);
          if (v !== 0 && v !== 1) fail(ctx, `stateset sample "${name}" must have the value 0 or 1, got ${v}`, line);
          skip = name;
        }
        break;
    }
    if (sample.exemplar !== undefined && kind !== K_BUCKET && kind !== K_TOTAL) {
      fail(ctx, `exemplars are only allowed on histogram buckets and counter totals, not on "${name}"`, line);
    }

    const ts = sample.timestampMs;
    const gKv = this.#gKv;
    if (gKv === null || !sameGroup(gKv, this.#gSkip, kv, skip)) {
      const key = groupKey(kv, skip);
      if (this.#groups.has(key)) {
        fail(ctx, `metric ${fam.name}${describeGroup(kv, skip)} is not contiguous: its samples appeared before`, line);
      }
      this.#groups.add(key);
      if (this.#hOpen) this.#checkPoint(fam.name);
      if (hist) this.#startPoint();
    } else {
      const gTs = this.#gTs;
      if ((ts === undefined) !== (gTs === undefined)) {
        fail(ctx, `samples of metric ${fam.name}${describeGroup(kv, skip)} mix with and without timestamps`, line);
      }
      if (ts! < gTs!) fail(ctx, `timestamps of metric ${fam.name}${describeGroup(kv, skip)} go backwards`, line);
      if (hist && ts !== gTs) {
        this.#checkPoint(fam.name);
        this.#startPoint();
      }
    }
    this.#gKv = kv;
    this.#gSkip = skip;
    this.#gTs = ts;

    if (hist) {
      this.#hLine = line;
      switch (kind) {
        case K_BUCKET:
          if (le < 0) this.#hNegBucket = true;
          if (this.#hHasBucket && le <= this.#hLe) fail(ctx, `histogram buckets of "${fam.name}" are not in increasing "le" order`, line);
          if (v < this.#hValue) fail(ctx, `histogram bucket counts of "${fam.name}" decrease`, line);
          this.#hHasBucket = true;
          this.#hLe = le;
          this.#hValue = v;
          break;
        case K_COUNT:
        case K_GCOUNT:
          this.#hHasCount = true;
          this.#hCount = v;
          break;
        case K_SUM:
          this.#hSum = true;
          break;
        case K_GSUM:
          this.#hGsum = true;
          if (v < 0) this.#hNegGsum = true;
          break;
      }
    }
    st!.hasSamples = true;
    deliver(ctx, sample, fam);
  }

  end(): void {
    this.#close();
  }

  #startPoint(): void {
    this.#hOpen = true;
    this.#hHasBucket = false;
    this.#hLe = 0;
    this.#hValue = 0;
    this.#hCount = NaN;
    this.#hHasCount = false;
    this.#hNegBucket = false;
    this.#hSum = false;
    this.#hGsum = false;
    this.#hNegGsum = false;
  }

  /** Checks a finished histogram point (the reference parser's `do_checks`). */
  #checkPoint(name: string): void {
    this.#hOpen = false;
    const ctx = this.#ctx;
    const line = this.#hLine;
    if (!this.#hHasBucket || this.#hLe !== Infinity) fail(ctx, `histogram "${name}" has no +Inf bucket`, line);
    if (this.#hHasCount && this.#hCount !== this.#hValue) {
      fail(ctx, `histogram "${name}" count ${this.#hCount} does not match its +Inf bucket ${this.#hValue}`, line);
    }
    if (this.#hSum && !this.#hHasCount) fail(ctx, `histogram "${name}" has _sum but no _count`, line);
    if (this.#hGsum && !this.#hHasCount) fail(ctx, `gauge histogram "${name}" has _gsum but no _gcount`, line);
    if (!this.#hSum && !this.#hGsum && this.#hHasCount) fail(ctx, `histogram "${name}" has a count but no sum`, line);
    if (this.#hNegBucket && this.#hSum) fail(ctx, `histogram "${name}" has negative buckets, so it cannot have _sum`, line);
    if (!this.#hNegBucket && this.#hNegGsum) {
      fail(ctx, `gauge histogram "${name}" has a negative _gsum but no negative buckets`, line);
    }
  }

  #open(name: string, line: number, prev: FamilyState | null): FamilyState {
    const owner = this.#claimed.get(name);
    if (owner !== undefined) {
      if (prev !== null && owner === prev.family.name && prev.typeSet) {
        const allowed = prev.names.map((n) => `"${n}"`).join(', ');
        fail(this.#ctx, `sample "${name}" is not allowed in ${prev.family.type} "${owner}" (expected ${allowed})`, line);
      }
      fail(
        this.#ctx,
        owner === name
          ? `metric family "${name}" appears again: a family's lines must be contiguous`
          : `metric family "${name}" clashes with the samples of family "${owner}"`,
        line,
      );
    }
    const st = new FamilyState(name, line);
    this.#cur = st;
    this.#gKv = null;
    this.#gSkip = '';
    this.#gTs = undefined;
    this.#groups = new Set();
    this.#hOpen = false;
    this.#ctx.sink.family(st.family);
    return st;
  }

  #close(): void {
    const st = this.#cur;
    if (st === null) return;
    this.#cur = null;
    const name = st.family.name;
    if (this.#hOpen) this.#checkPoint(name);
    const claims = CLAIMS[st.family.type] ?? [];
    for (let i = -1; i < claims.length; i++) {
      const n = i < 0 ? name : name + suffixOf(claims[i]);
      const owner = this.#claimed.get(n);
      if (owner !== undefined) {
        fail(this.#ctx, `metric family "${name}" clashes with family "${owner}" over the name "${n}"`, st.line);
      }
      this.#claimed.set(n, name);
    }
  }
}
