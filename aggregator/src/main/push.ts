/**
 * The `push:` config section mapped onto the push API's options (pushgw/options.ts). Reads
 * `bearer_token_file` (relative to the config file's directory), so a missing or empty file
 * fails here, before anything is applied. Groups persist in `<storage.tsdb.path>/push/groups.json`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SECRET_PLACEHOLDER, type PushConfig } from '@edgeprom/shared/config';
import type { PushOptions } from '../pushgw/index.js';

export type PushSettings = Omit<PushOptions, 'storage' | 'clock' | 'logger'>;

/** Where pushed groups are kept across restarts. */
export function pushPersistenceFile(storageDir: string): string {
  return path.join(storageDir, 'push', 'groups.json');
}

/** One token per line; blank lines and lines starting with `#` are skipped. */
export function parseTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export async function pushSettings(c: PushConfig, storageDir: string, baseDir: string | undefined): Promise<PushSettings> {
  let bearerTokens: string[] = [];
  if (c.bearer_token_file !== undefined) {
    const file = baseDir !== undefined ? path.resolve(baseDir, c.bearer_token_file) : c.bearer_token_file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new Error(`push.bearer_token_file ${JSON.stringify(file)}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    bearerTokens = parseTokenFile(text);
    if (bearerTokens.length === 0) throw new Error(`push.bearer_token_file ${JSON.stringify(file)}: no token in it`);
  }
  return {
    enabled: c.enabled,
    auth: {
      basicUsers: Object.entries(c.basic_auth_users).map(([username, passwordHash]) => ({ username, passwordHash })),
      bearerTokens,
      insecure: c.insecure,
    },
    intervalMs: c.interval,
    defaultTtlMs: c.default_ttl,
    maxTtlMs: c.max_ttl,
    maxBodyBytes: c.body_size_limit,
    maxGroups: c.max_groups,
    maxSeriesPerGroup: c.max_series_per_group,
    persistenceFile: pushPersistenceFile(storageDir),
    persistenceIntervalMs: c.persistence_interval,
  };
}

/**
 * The config as /api/v1/status/config shows it: the shared redaction hides passwords and
 * tokens by field name; the push users' hashes sit under usernames, so they are hidden here.
 */
export function redactPushUsers<T extends { push: PushConfig }>(config: T): T {
  const users = config.push.basic_auth_users;
  if (Object.keys(users).length === 0) return config;
  return { ...config, push: { ...config.push, basic_auth_users: Object.fromEntries(Object.keys(users).map((u) => [u, SECRET_PLACEHOLDER])) } };
}
