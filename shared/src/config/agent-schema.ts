/**
 * The agent's config file (agent.yml): where it listens, what it collects and how often, how
 * much history it buffers for offline periods, and how it reaches the aggregator over MQTT
 * when it is not scraped.
 */
import { z } from 'zod';
import { agentMqttUrlError } from './agent-mqtt-url.js';
import { AT_KEY, agentId, bool, describeValue, duration, listenAddress, nonEmptyStr, obj, quote, size, str, topicPrefix } from './fields.js';
import { YamlScalar } from './yaml-tree.js';
import { DEFAULT_MAX_WIRE_BYTES } from '../wire/message.js';

export const AGENT_DEFAULTS = {
  listen: ':9100',
  storage_path: 'data/agent',
  collect_interval: '15s',
  /** push.push_after, when unset, is this many collect intervals. */
  push_after_intervals: 3,
  advertise_interfaces: ['127.0.0.1'],
} as const;

const EXPORTER_NAME = /^[a-z][a-z0-9_-]*$/;

export const agentBufferSchema = obj({
  /** Bound on the on-disk buffer; when full, the oldest samples are dropped and counted. */
  max_bytes: size().prefault('64MiB'),
  /** Samples older than this are dropped even when there is room. */
  max_age: duration().prefault('7d'),
  /** Writes are batched this long to spare SD cards. */
  flush_interval: duration().prefault('5s'),
}).superRefine((b, ctx) => {
  if (b.max_bytes === 0) ctx.addIssue({ code: 'custom', path: ['max_bytes'], message: 'must be greater than 0' });
  if (b.max_age === 0) ctx.addIssue({ code: 'custom', path: ['max_age'], message: 'must be greater than 0' });
  if (b.flush_interval === 0) ctx.addIssue({ code: 'custom', path: ['flush_interval'], message: 'must be greater than 0' });
});

/** A calendar date (`2026-01-01`) or an RFC 3339 time, as ms since the epoch. */
const dateMs = () =>
  z.unknown().transform((v, ctx): number => {
    const s = v instanceof YamlScalar ? v.source : v;
    const ok = typeof s === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(s);
    const ms = ok ? Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T')) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `expected a date such as 2026-01-01 or 2026-01-01T00:00:00Z, got ${describeValue(v)}` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * When the agent trusts the device's wall clock (boards without an RTC boot in 1970 until
 * NTP sets the time): samples collected while it does not are held with monotonic time and
 * re-based once it does (docs/agent.md "Clock trust").
 */
export const agentClockSchema = obj({
  /** A wall-clock step larger than this between two collections (against monotonic time) is a jump. */
  jump_tolerance: duration().prefault('1s'),
  /** After a jump the clock is untrusted until it has run this long without another. */
  stable_for: duration().prefault('30s'),
  /** Wall clocks before this are implausible; default: the agent's release date (clock/release-date.ts). */
  not_before: dateMs().optional(),
  /**
   * File whose existence means the OS has synchronised the clock (systemd-timesyncd's flag),
   * under --path.rootfs. While its directory exists but the file does not, the clock is
   * untrusted; with no directory the OS gives no signal. Empty: ignore the OS.
   */
  os_sync_file: str().default('/run/systemd/timesync/synchronized'),
}).superRefine((c, ctx) => {
  if (c.jump_tolerance === 0) ctx.addIssue({ code: 'custom', path: ['jump_tolerance'], message: 'must be greater than 0' });
});

export const agentMqttSchema = obj({
  // The schemes the agent's own client speaks (agent-mqtt-url.ts): no ws/wss.
  url: str().superRefine((s, ctx) => {
    const why = agentMqttUrlError(s);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  }),
  username: str().optional(),
  password: str().optional(),
  password_file: str().optional(),
  client_id: nonEmptyStr().optional(),
  topic_prefix: topicPrefix().default('edgeprom/'),
}).superRefine((m, ctx) => {
  if ((m.password ?? '') !== '' && (m.password_file ?? '') !== '') {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'at most one of password & password_file must be configured' });
  }
});

export const agentPushSchema = obj({
  /**
   * auto: serve /metrics and push buffered history over MQTT when not scraped for
   * `push_after`; pull: never push; push: always push (intermittent devices).
   */
  mode: z.enum(['auto', 'pull', 'push']).default('auto'),
  /** Unset: 3 × collect_interval. */
  push_after: duration().optional(),
  /** Largest batch sent at once (the aggregator refuses batches above its mqtt.max_batch_bytes). */
  max_batch_bytes: size().prefault(DEFAULT_MAX_WIRE_BYTES),
  /** Bytes per second while sending a backlog; 0: no limit. */
  rate_limit: size().prefault('0'),
}).superRefine((p, ctx) => {
  if (p.push_after === 0) ctx.addIssue({ code: 'custom', path: ['push_after'], message: 'must be greater than 0' });
  if (p.max_batch_bytes === 0) ctx.addIssue({ code: 'custom', path: ['max_batch_bytes'], message: 'must be greater than 0' });
});

export const agentMdnsSchema = obj({
  /** Announce this agent as `_edgeprom._tcp` so aggregators find it. */
  enabled: bool().default(true),
  /**
   * IPv4 addresses of the interfaces to announce on. The default announces on loopback only,
   * so nothing is multicast to a network until you list its interface address here (or
   * `0.0.0.0` for every interface).
   */
  advertise_interfaces: z
    .array(
      str().superRefine((s, ctx) => {
        if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(s) || s.split('.').some((o) => Number(o) > 255)) {
          ctx.addIssue({ code: 'custom', message: `${quote(s)} is not an IPv4 interface address` });
        }
      }),
    )
    .min(1, { error: 'at least one interface is required (set enabled: false to not announce)' })
    .default(() => [...AGENT_DEFAULTS.advertise_interfaces]),
  /** Instance name announced; default: the agent id. */
  instance_name: nonEmptyStr().optional(),
});

export const agentConfigSchema = obj({
  /** Where /metrics is served. */
  listen: listenAddress().default(AGENT_DEFAULTS.listen),
  /** Buffer and state directory. */
  storage_path: nonEmptyStr().default(AGENT_DEFAULTS.storage_path),
  /** Names this device in topics and labels; default: the host name. */
  agent_id: agentId().optional(),
  /** How often exporters are collected into the buffer. */
  collect_interval: duration().prefault(AGENT_DEFAULTS.collect_interval),
  /** Exporters switched on (true) or off (false) by name; unnamed ones keep their default. */
  exporters: z
    .record(z.string(), bool())
    .superRefine((rec, ctx) => {
      for (const name of Object.keys(rec)) {
        if (!EXPORTER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], params: AT_KEY, message: `${quote(name)} is not an exporter name` });
      }
    })
    .default(() => ({})),
  /** Directory of *.prom files for the textfile exporter. */
  textfile_directory: nonEmptyStr().optional(),
  buffer: agentBufferSchema.prefault({}),
  /** The broker to push to and announce presence on; unset: pull only. */
  mqtt: agentMqttSchema.optional(),
  push: agentPushSchema.prefault({}),
  mdns: agentMdnsSchema.prefault({}),
  clock: agentClockSchema.prefault({}),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
})
  .superRefine((c, ctx) => {
    if (c.collect_interval === 0) ctx.addIssue({ code: 'custom', path: ['collect_interval'], message: 'must be greater than 0' });
    if (c.push.mode === 'push' && c.mqtt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['push', 'mode'], message: 'push mode needs an mqtt section with the broker url' });
    }
    if (c.buffer.max_age < c.collect_interval) {
      ctx.addIssue({ code: 'custom', path: ['buffer', 'max_age'], message: 'must be at least collect_interval' });
    }
  })
  .transform((c) => ({
    ...c,
    push: { ...c.push, push_after: c.push.push_after ?? AGENT_DEFAULTS.push_after_intervals * c.collect_interval },
  }));

/** The agent config as parsed: defaults applied, durations in ms, sizes in bytes. */
export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentBufferConfig = AgentConfig['buffer'];
export type AgentMqttConfig = NonNullable<AgentConfig['mqtt']>;
export type AgentPushConfig = AgentConfig['push'];
export type AgentMdnsConfig = AgentConfig['mdns'];
export type AgentClockConfig = AgentConfig['clock'];
