/**
 * Field types shared by the config schemas. Each takes what our YAML tree gives (see
 * `YamlScalar` in yaml-tree.ts) and what a caller building a config in code would pass.
 */
import { z } from 'zod';
import { isValidLabelName } from '../labels.js';
import { agentIdProblem } from '../wire/topics.js';
import { DurationError, parseDuration } from './duration.js';
import { SizeError, parseSize } from './size.js';
import { YamlScalar } from './yaml-tree.js';
import { RE2JS } from 're2js';

/** A plain scalar's source text (`0123` stays "0123"), as Go's decoder fills a string field. */
function toSource(v: unknown): unknown {
  return v instanceof YamlScalar ? v.source : v;
}
/** A plain scalar's resolved value (`0x10` is 16), for number and boolean fields. */
function toValue(v: unknown): unknown {
  return v instanceof YamlScalar ? v.value : v;
}

/** Describes an input value for an error message. */
export function describeValue(v: unknown): string {
  if (v instanceof YamlScalar) return describeValue(v.value);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'a sequence';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** JSON-quotes, shortened to keep messages on one line. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/** Issue params that make the error point at a mapping key rather than at its value. */
export const AT_KEY = { position: 'key' } as const;

function custom(ctx: z.RefinementCtx, message: string): void {
  ctx.addIssue({ code: 'custom', message });
}

/** A string; plain YAML numbers and booleans count as their source text, as in Prometheus. */
export const str = () => z.preprocess(toSource, z.string());

/** A string that must not be empty. */
export const nonEmptyStr = () => z.preprocess(toSource, z.string().min(1, { error: 'must not be empty' }));

export const bool = () => z.preprocess(toValue, z.boolean());

const intError = (iss: { code: string; input?: unknown }) =>
  iss.code === 'invalid_type' ? `expected an integer, got ${describeValue(iss.input)}` : undefined;

/** A non-negative integer (`0` usually meaning "no limit" or "inherit"). */
export const uint = () => z.preprocess(toValue, z.int({ error: intError }).min(0));

/** A positive integer. */
export const posInt = () => z.preprocess(toValue, z.int({ error: intError }).min(1));

/** A Prometheus duration (`15s`, `1h30m`, `0`), as milliseconds. */
export const duration = () =>
  z.unknown().transform((v, ctx): number => {
    const s = toSource(v);
    if (typeof s !== 'string') {
      custom(ctx, `expected a duration such as 15s or 1h30m, got ${describeValue(v)}`);
      return z.NEVER;
    }
    try {
      return parseDuration(s);
    } catch (e) {
      custom(ctx, e instanceof DurationError ? e.message : String(e));
      return z.NEVER;
    }
  });

/** A byte size (`10MB`, `64MiB`, or a plain number of bytes), as bytes. */
export const size = () =>
  z.unknown().transform((v, ctx): number => {
    const n = toValue(v);
    if (typeof n === 'number') {
      if (Number.isSafeInteger(n) && n >= 0) return n;
      custom(ctx, `expected a size such as 10MB or a whole number of bytes, got ${describeValue(v)}`);
      return z.NEVER;
    }
    if (typeof n !== 'string') {
      custom(ctx, `expected a size such as 10MB, got ${describeValue(v)}`);
      return z.NEVER;
    }
    try {
      return parseSize(n);
    } catch (e) {
      custom(ctx, e instanceof SizeError ? e.message : String(e));
      return z.NEVER;
    }
  });

/**
 * Checks that a regex compiles with RE2 syntax, as the aggregator compiles it (re2js: linear
 * time, so no backreferences or lookaround; `(?P<name>...)` and inline flags are fine).
 * Returns the reason when it does not.
 */
export function regexError(source: string): string | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return msg.replace(/^error parsing regexp: /, '');
  }
}

/** A regular expression (RE2 syntax), kept as its source string. */
export const regex = () =>
  str().superRefine((s, ctx) => {
    const err = regexError(s);
    if (err !== undefined) custom(ctx, `invalid regular expression ${quote(s)}: ${err}`);
  });

/** A legacy Prometheus label name, `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const labelName = () =>
  str().superRefine((s, ctx) => {
    if (!isValidLabelName(s)) custom(ctx, `${quote(s)} is not a valid label name`);
  });

function dropUndefined(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof YamlScalar) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val !== undefined) Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A label set `{name: value}`; a null value is an empty one, which Prometheus drops. */
export const labelSet = () =>
  z.preprocess(
    dropUndefined,
    z.record(z.string(), str()).superRefine((rec, ctx) => {
      for (const name of Object.keys(rec)) {
        if (!isValidLabelName(name)) ctx.addIssue({ code: 'custom', message: `${quote(name)} is not a valid label name`, path: [name], params: AT_KEY });
      }
    }),
  );

/** A string map (headers, per-exporter settings). */
export const stringMap = () => z.preprocess(dropUndefined, z.record(z.string(), str()));

/** Splits `host:port`, `[v6]:port` or `host`. Returns the reason when malformed. */
function splitHostPort(s: string, needPort: boolean): { host: string; port?: string } | string {
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return 'unclosed "[" in an IPv6 address';
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return `unexpected ${quote(rest)} after the IPv6 address`;
      port = rest.slice(1);
    }
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      if (s.indexOf(':') !== colon) return 'an IPv6 address must be written in brackets, e.g. [::1]:9100';
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
  }
  if (port === undefined && needPort) return 'a port is required, e.g. :9100';
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port)) return `${quote(port)} is not a valid port`;
  return { host, port };
}

const BAD_HOST_CHARS = /[\s/?#@\\]/;

/** Why `s` is not a scrape target `host[:port]`, or undefined when it is one. */
export function targetError(s: string): string | undefined {
  if (s === '') return 'a target must not be empty';
  if (s.includes('/')) return `${quote(s)} is not a valid hostname (a target is host:port, not a URL)`;
  const hp = splitHostPort(s, false);
  if (typeof hp === 'string') return `${quote(s)} is not a valid target: ${hp}`;
  if (hp.host === '' || BAD_HOST_CHARS.test(hp.host)) return `${quote(s)} is not a valid target: bad host`;
  if (hp.port !== undefined && (Number(hp.port) < 1 || Number(hp.port) > 65535)) {
    return `${quote(s)} is not a valid target: port out of range`;
  }
  return undefined;
}

/** A listen address: `:9100`, `127.0.0.1:9100`, `[::]:1883`; port 0 picks a free port. */
export const listenAddress = () =>
  str().superRefine((s, ctx) => {
    const hp = splitHostPort(s, true);
    if (typeof hp === 'string') return custom(ctx, `${quote(s)} is not a valid listen address: ${hp}`);
    if (BAD_HOST_CHARS.test(hp.host)) return custom(ctx, `${quote(s)} is not a valid listen address: bad host`);
    if (Number(hp.port) > 65535) custom(ctx, `${quote(s)} is not a valid listen address: port out of range`);
  });

/** An absolute URL whose scheme is one of `protocols` (without the colon). */
export const url = (protocols: readonly string[]) =>
  str().superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return custom(ctx, `${quote(s)} is not a valid URL`);
    }
    const scheme = u.protocol.replace(/:$/, '');
    if (!protocols.includes(scheme)) {
      custom(ctx, `URL scheme ${quote(scheme)} is not supported (use ${protocols.join(', ')})`);
    } else if (u.hostname === '') {
      custom(ctx, `${quote(s)} has no host`);
    }
  });

/** MQTT topic prefix: empty or ending with `/`, no wildcards (the rule of wire/topics.ts). */
export const topicPrefix = () =>
  str().superRefine((s, ctx) => {
    if (s !== '' && !s.endsWith('/')) custom(ctx, `topic prefix ${quote(s)} must end with "/"`);
    else if (/[+#\u0000]/.test(s)) custom(ctx, `topic prefix ${quote(s)} must not contain MQTT wildcards (+, #) or NUL`);
  });

/** Any id the wire format accepts as a topic level (wire/topics.ts), e.g. for broker ACLs. */
export const wireAgentId = () =>
  str().superRefine((s, ctx) => {
    const problem = agentIdProblem(s);
    if (problem !== undefined) custom(ctx, `${quote(s)} is not a valid agent id: ${problem}`);
  });

/**
 * The ids the agent itself takes (its --agent.id flag has the same rule): a subset of what
 * the wire accepts, safe as a topic level, a label value and a file name.
 */
export const AGENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const agentId = () =>
  str().superRefine((s, ctx) => {
    if (!AGENT_ID_RE.test(s)) {
      custom(ctx, `${quote(s)} is not a valid agent id (letters, digits, and _ . : -, starting with a letter or digit)`);
    }
  });

/**
 * A file path pattern: only the last path element may contain `*` (Prometheus's rule for
 * rule_files, which file_sd_configs also follow in practice).
 */
const PATH_PATTERN = /^[^*]*(\*[^/]*)?$/;
export const filePattern = (what: string) =>
  nonEmptyStr().superRefine((s, ctx) => {
    if (!PATH_PATTERN.test(s)) custom(ctx, `invalid ${what} ${quote(s)}: only the last path element may contain "*"`);
  });

/** Strict mapping: unknown fields are errors, as with Prometheus's strict YAML decoding. */
export const obj = z.strictObject;

/** A list that may be left out (empty). */
export const list = <T extends z.ZodType>(item: T) => z.array(item).default(() => []);
