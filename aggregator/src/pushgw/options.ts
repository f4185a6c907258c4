/**
 * Options of the push API, with their defaults. There is no `push:` section in the config
 * schema yet: whoever composes the binary maps config keys onto PushOptions (the proposed
 * keys are listed in docs/push-api.md).
 */
import type { Clock } from '@edgeprom/shared';
import type { Appendable } from '../storage/interface.js';
import { parseScryptHash, type BasicUser } from './auth.js';
import { configError } from './errors.js';

/** The subset of a pino logger the push API uses. Secrets are never passed to it. */
export interface PushLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const SILENT_PUSH_LOGGER: PushLogger = { error() {}, warn() {}, info() {}, debug() {} };

export interface PushAuthOptions {
  /** HTTP basic auth users. */
  basicUsers?: readonly BasicUser[];
  /** Accepted bearer tokens (`Authorization: Bearer <token>`). */
  bearerTokens?: readonly string[];
  /** Accept unauthenticated pushes. Required to run without users or tokens. */
  insecure?: boolean;
}

export interface PushOptions {
  /** Off by default: a disabled push API handles no request at all. */
  enabled?: boolean;
  /** Where pushed samples go. */
  storage: Appendable;
  clock?: Clock;
  logger?: PushLogger;
  auth?: PushAuthOptions;
  /** Prefix of every route, like Pushgateway's --web.route-prefix (default '': `/metrics/job/...`). */
  routePrefix?: string;
  /** How often every group is appended again with the current time, ms (default 15s). */
  intervalMs?: number;
  /** TTL of a group pushed without an X-Edgeprom-TTL header, ms; 0 = never expires (default). */
  defaultTtlMs?: number;
  /** Upper bound of any group's TTL, ms; 0 = no bound (default). With a bound, 0 TTLs become it. */
  maxTtlMs?: number;
  /** Largest request body, after gzip decompression (default 4 MiB). */
  maxBodyBytes?: number;
  /** Largest number of series in one group, push_time_seconds excluded (default 10,000). */
  maxSeriesPerGroup?: number;
  /** Largest number of groups (default 10,000). */
  maxGroups?: number;
  /** JSON file keeping the groups across restarts; none when undefined. */
  persistenceFile?: string;
  /** Minimum time between two writes of the persistence file, ms (default 5m, as Pushgateway). */
  persistenceIntervalMs?: number;
  /** Path of Pushgateway's JSON listing, under the prefix (default `/api/v1/metrics`; '' = off). */
  metricsApiPath?: string;
}

export interface ResolvedPushOptions {
  enabled: boolean;
  storage: Appendable;
  clock: Clock;
  logger: PushLogger;
  auth: { basicUsers: readonly BasicUser[]; bearerTokens: readonly string[]; insecure: boolean };
  routePrefix: string;
  intervalMs: number;
  defaultTtlMs: number;
  maxTtlMs: number;
  maxBodyBytes: number;
  maxSeriesPerGroup: number;
  maxGroups: number;
  persistenceFile: string | undefined;
  persistenceIntervalMs: number;
  metricsApiPath: string;
}

export const PUSH_DEFAULTS = Object.freeze({
  intervalMs: 15_000,
  defaultTtlMs: 0,
  maxTtlMs: 0,
  maxBodyBytes: 4 * 1024 * 1024,
  maxSeriesPerGroup: 10_000,
  maxGroups: 10_000,
  persistenceIntervalMs: 5 * 60_000,
  metricsApiPath: '/api/v1/metrics',
});

function nonNegative(name: string, v: number | undefined, dflt: number, positive = false): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < 0 || (positive && x === 0)) {
    throw configError(`push API option ${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${x}`);
  }
  return x;
}

/**
 * Fills in defaults and refuses unsafe or unusable settings: enabled without any user or
 * token is refused unless `auth.insecure` is set explicitly.
 */
export function resolveOptions(opts: PushOptions, clock: Clock, logger: PushLogger): ResolvedPushOptions {
  const enabled = opts.enabled === true;
  const basicUsers = opts.auth?.basicUsers ?? [];
  const bearerTokens = opts.auth?.bearerTokens ?? [];
  const insecure = opts.auth?.insecure === true;
  for (const u of basicUsers) {
    if (u.username === '' || u.username.includes(':')) throw configError('push API basic auth usernames must be non-empty and contain no ":"');
    if ((u.password === undefined) === (u.passwordHash === undefined)) {
      throw configError(`push API basic auth user ${JSON.stringify(u.username)}: exactly one of password and passwordHash must be given`);
    }
    if (u.password === '') throw configError(`push API basic auth user ${JSON.stringify(u.username)} has an empty password`);
    if (u.passwordHash !== undefined) {
      try {
        parseScryptHash(u.passwordHash);
      } catch (e) {
        throw configError(`push API basic auth user ${JSON.stringify(u.username)}: ${(e as Error).message}`);
      }
    }
  }
  if (bearerTokens.some((t) => t === '')) throw configError('push API bearer tokens must not be empty');
  if (enabled && !insecure && basicUsers.length === 0 && bearerTokens.length === 0) {
    throw configError('the push API is enabled without authentication: configure basic auth users or bearer tokens, or set insecure explicitly');
  }
  let prefix = opts.routePrefix ?? '';
  if (prefix === '/') prefix = '';
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/'))) {
    throw configError(`push API route prefix must start with "/" and not end with "/", got ${JSON.stringify(prefix)}`);
  }
  return {
    enabled,
    storage: opts.storage,
    clock,
    logger,
    auth: { basicUsers, bearerTokens, insecure },
    routePrefix: prefix,
    intervalMs: nonNegative('intervalMs', opts.intervalMs, PUSH_DEFAULTS.intervalMs, true),
    defaultTtlMs: nonNegative('defaultTtlMs', opts.defaultTtlMs, PUSH_DEFAULTS.defaultTtlMs),
    maxTtlMs: nonNegative('maxTtlMs', opts.maxTtlMs, PUSH_DEFAULTS.maxTtlMs),
    maxBodyBytes: nonNegative('maxBodyBytes', opts.maxBodyBytes, PUSH_DEFAULTS.maxBodyBytes, true),
    maxSeriesPerGroup: nonNegative('maxSeriesPerGroup', opts.maxSeriesPerGroup, PUSH_DEFAULTS.maxSeriesPerGroup, true),
    maxGroups: nonNegative('maxGroups', opts.maxGroups, PUSH_DEFAULTS.maxGroups, true),
    persistenceFile: opts.persistenceFile === '' ? undefined : opts.persistenceFile,
    persistenceIntervalMs: nonNegative('persistenceIntervalMs', opts.persistenceIntervalMs, PUSH_DEFAULTS.persistenceIntervalMs),
    metricsApiPath: opts.metricsApiPath ?? PUSH_DEFAULTS.metricsApiPath,
  };
}
