/**
 * The route table. Matching works like Prometheus's router (httprouter): an unknown path is
 * 404 `404 page not found`, a known path with another method is 405 with `Allow`, and
 * OPTIONS on any /api/v1 path answers 204 (with CORS headers when Origin is sent).
 */
import type { Handler } from './context.js';
import { formatQuery, instantQuery, parseQuery, queryExemplars, rangeQuery } from './handlers-query.js';
import { labelNames, labelValues, series } from './handlers-series.js';
import {
  admin,
  dropSeries,
  metadata,
  statusBuildInfo,
  statusConfig,
  statusFlags,
  statusRuntimeInfo,
  statusTsdb,
  targetMetadata,
  targets,
} from './handlers-status.js';
import { fleet } from './handlers-fleet.js';

export const API_PREFIX = '/api/v1';

type Methods = Readonly<Record<string, Handler>>;

const both = (h: Handler): Methods => ({ GET: h, POST: h });

const STATIC: ReadonlyMap<string, Methods> = new Map<string, Methods>([
  ['/query', both(instantQuery)],
  ['/query_range', both(rangeQuery)],
  ['/query_exemplars', both(queryExemplars)],
  ['/format_query', both(formatQuery)],
  ['/parse_query', both(parseQuery)],
  ['/labels', both(labelNames)],
  ['/series', { GET: series, POST: series, DELETE: dropSeries }],
  ['/metadata', { GET: metadata }],
  ['/targets/metadata', { GET: targetMetadata }],
  ['/status/config', { GET: statusConfig }],
  ['/status/runtimeinfo', { GET: statusRuntimeInfo }],
  ['/status/buildinfo', { GET: statusBuildInfo }],
  ['/status/flags', { GET: statusFlags }],
  ['/status/tsdb', { GET: statusTsdb }],
  ['/admin/tsdb/delete_series', { POST: admin('delete_series'), PUT: admin('delete_series') }],
  ['/admin/tsdb/clean_tombstones', { POST: admin('clean_tombstones'), PUT: admin('clean_tombstones') }],
  ['/admin/tsdb/snapshot', { POST: admin('snapshot'), PUT: admin('snapshot') }],
]);

const LABEL_VALUES: Methods = { GET: labelValues };

/** Routes that exist only when their source is configured (otherwise 404, as unknown paths). */
export interface OptionalRoutes {
  /** /targets: a TargetsSource was given. */
  targets?: boolean;
  /** /fleet: a FleetSource was given. */
  fleet?: boolean;
}

const TARGETS: Methods = { GET: targets };
const FLEET: Methods = { GET: fleet };

export interface RouteMatch {
  methods: Methods;
  params: Record<string, string>;
}

/** Finds the route of a path under /api/v1 (`sub` without the prefix). */
export function matchApiRoute(sub: string, optional: OptionalRoutes = {}): RouteMatch | undefined {
  const m = STATIC.get(sub);
  if (m) return { methods: m, params: {} };
  if (sub === '/targets' && optional.targets) return { methods: TARGETS, params: {} };
  if (sub === '/fleet' && optional.fleet) return { methods: FLEET, params: {} };
  const parts = sub.split('/');
  // ['', 'label', name, 'values']
  if (parts.length === 4 && parts[0] === '' && parts[1] === 'label' && parts[2] !== '' && parts[3] === 'values') {
    return { methods: LABEL_VALUES, params: { name: parts[2]! } };
  }
  return undefined;
}

/** The Allow header httprouter sends with a 405: the route's methods plus OPTIONS, sorted. */
export function allowHeader(methods: Methods): string {
  return [...Object.keys(methods), 'OPTIONS'].sort().join(', ');
}
