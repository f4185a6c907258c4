/**
 * `/api/v1/fleet`: every device the aggregator knows (main/fleet.ts builds the data), with
 * two filters: `state` (`up`, `down`, `unknown`) and `mode` (`pull`, `push`). A filter with
 * another value is refused (bad_data), so a typo does not silently list nothing.
 */
import type { ApiDeps, ApiRequest, ApiResult } from './context.js';
import { ApiError, badData } from './errors.js';
import type { FleetParams } from './sources.js';

const STATES = ['up', 'down', 'unknown'];
const MODES = ['pull', 'push'];

function oneOf(name: string, value: string, allowed: readonly string[]): string | undefined {
  if (value === '') return undefined;
  const v = value.toLowerCase();
  if (!allowed.includes(v)) throw badData(`invalid parameter "${name}": expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return v;
}

export function fleet(req: ApiRequest, deps: ApiDeps): ApiResult {
  const source = deps.fleet;
  if (!source) throw new ApiError('not_found', 'no fleet source');
  const params: FleetParams = {};
  const state = oneOf('state', req.form.value('state'), STATES);
  const mode = oneOf('mode', req.form.value('mode'), MODES);
  if (state !== undefined) params.state = state;
  if (mode !== undefined) params.mode = mode;
  try {
    return { data: source.fleet(params) };
  } catch (e) {
    throw new ApiError('internal', (e as Error).message, { cause: e });
  }
}
