/**
 * Resolves what the agent runs with: built-in defaults, then the config file, then the flags
 * given on the command line (a flag always wins, as an operator's explicit override).
 *
 * The config schema (zod) costs ~13 MB of private memory once loaded, more than half the
 * agent's budget, so it is imported (from '@edgeprom/shared/config') only when a config
 * file is given.
 */
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from '@edgeprom/shared/config';
import type { AgentSettings } from './agent.js';
import { agentIdError, UsageError, type Flags } from './flags.js';
import { resolveRoots } from './exporter/roots.js';

/** The parts of the config file the agent uses so far, with the schema's defaults. */
export type AgentFileSettings = Pick<AgentConfig, 'listen' | 'storage_path' | 'agent_id' | 'collect_interval' | 'exporters' | 'textfile_directory' | 'log_level' | 'buffer' | 'clock'> & {
  mqtt?: { url: string; username?: string; password?: string; password_file?: string; client_id?: string; topic_prefix?: string };
  /** push_after absent: 3 × collect_interval (the schema fills it in; the defaults cannot). */
  push: { mode: 'auto' | 'pull' | 'push'; push_after?: number; max_batch_bytes: number; rate_limit: number };
  mdns: { enabled: boolean; advertise_interfaces: string[]; instance_name?: string };
};

/** Equal to the schema's defaults (a test keeps them in step with agentConfigSchema). */
export const FILE_DEFAULTS: AgentFileSettings = Object.freeze({
  listen: ':9100',
  storage_path: 'data/agent',
  agent_id: undefined,
  collect_interval: 15_000,
  exporters: {},
  textfile_directory: undefined,
  log_level: 'info',
  buffer: Object.freeze({ max_bytes: 64 * 1024 * 1024, max_age: 7 * 24 * 3600 * 1000, flush_interval: 5_000 }),
  push: Object.freeze({ mode: 'auto' as const, push_after: 45_000, max_batch_bytes: 256 * 1024, rate_limit: 0 }),
  mdns: Object.freeze({ enabled: true, advertise_interfaces: Object.freeze(['127.0.0.1']) as string[], instance_name: undefined }),
  clock: Object.freeze({ jump_tolerance: 1_000, stable_for: 30_000, not_before: undefined, os_sync_file: '/run/systemd/timesync/synchronized' }),
});

/** Reads and validates --config.file, or returns the defaults when there is none. Throws ConfigError. */
export async function loadAgentConfig(path: string | undefined): Promise<AgentFileSettings> {
  if (path === undefined) return FILE_DEFAULTS;
  const { agentConfigSchema, loadConfigFile } = await import('@edgeprom/shared/config');
  return loadConfigFile(path, agentConfigSchema);
}

/** The default agent id: the systemd machine id, else the host name. */
export async function defaultAgentId(rootfs: string, hostname: () => string = os.hostname): Promise<string> {
  const machineId = (await readFile(join(rootfs, 'etc', 'machine-id'), 'utf8').catch(() => '')).trim();
  if (machineId !== '' && agentIdError(machineId) === undefined) return machineId;
  return hostname();
}

export async function resolveSettings(flags: Flags, config: AgentFileSettings): Promise<AgentSettings> {
  const roots = resolveRoots({ procfs: flags.procfs, sysfs: flags.sysfs, rootfs: flags.rootfs });
  const agentId = flags.agentId ?? config.agent_id ?? (await defaultAgentId(roots.rootfs));
  const why = agentIdError(agentId);
  if (why) throw new UsageError(`cannot derive an agent id from /etc/machine-id or the host name (${why}); set --agent.id`);
  const mqttUrl = flags.mqttUrl ?? config.mqtt?.url;
  const mode = flags.pushMode ?? config.push.mode;
  if (mode === 'push' && mqttUrl === undefined) throw new UsageError('--push.mode=push needs an MQTT broker (--mqtt.url or the config\'s mqtt.url)');
  const interval = flags.collectorIntervalMs ?? config.collect_interval;
  const m = config.mqtt;
  return {
    listenAddress: flags.listenAddress ?? config.listen,
    storagePath: flags.storagePath ?? config.storage_path,
    agentId,
    mqttUrl,
    mqtt: m ? { username: m.username, password: m.password, passwordFile: m.password_file, clientId: m.client_id, topicPrefix: m.topic_prefix } : undefined,
    push: {
      mode,
      // The file's push_after is 3 × its collect_interval unless set; a --collector.interval
      // flag then moves the default with it.
      pushAfterMs: flags.pushAfterMs ?? (config === FILE_DEFAULTS || config.push.push_after === 3 * config.collect_interval ? 3 * interval : config.push.push_after),
      maxBatchBytes: config.push.max_batch_bytes,
      rateLimitBytesPerSec: config.push.rate_limit,
    },
    mdns: {
      enabled: flags.noMdns ? false : config.mdns.enabled,
      interfaces: flags.mdnsInterfaces ?? [...config.mdns.advertise_interfaces],
      instanceName: config.mdns.instance_name,
    },
    logLevel: flags.logLevel ?? config.log_level,
    collectorIntervalMs: interval,
    textfileDirectory: flags.textfileDirectory ?? config.textfile_directory,
    exporters: { ...config.exporters },
    buffer: { maxBytes: config.buffer.max_bytes, maxAgeMs: config.buffer.max_age, flushIntervalMs: config.buffer.flush_interval },
    clock: { jumpToleranceMs: config.clock.jump_tolerance, stableForMs: config.clock.stable_for, notBeforeMs: config.clock.not_before, osSyncFile: config.clock.os_sync_file },
    roots,
  };
}
