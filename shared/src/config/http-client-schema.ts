/**
 * The HTTP client settings Prometheus inlines into scrape, Alertmanager and remote-write
 * configs (prometheus/common config.HTTPClientConfig), cut to what edgeprom implements:
 * basic_auth, authorization, the legacy bearer_token fields, tls_config, proxy_url,
 * follow_redirects, enable_http2. The checks and messages are those of its `Validate`.
 *
 * Secret fields (password, credentials, bearer_token) are listed in secrets.ts.
 */
import { z } from 'zod';
import { bool, nonEmptyStr, obj, str, url } from './fields.js';

export const basicAuthSchema = obj({
  username: str().optional(),
  username_file: str().optional(),
  password: str().optional(),
  password_file: str().optional(),
});

export const authorizationSchema = obj({
  /** Trimmed; defaults to Bearer. */
  type: str().optional(),
  credentials: str().optional(),
  credentials_file: str().optional(),
});

export const tlsConfigSchema = obj({
  ca_file: nonEmptyStr().optional(),
  cert_file: nonEmptyStr().optional(),
  key_file: nonEmptyStr().optional(),
  server_name: str().optional(),
  insecure_skip_verify: bool().default(false),
  min_version: z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']).optional(),
});

/** Shape to spread into a strict object; `enable_http2` is resolved by the owner (defaults differ). */
export const httpClientShape = {
  basic_auth: basicAuthSchema.optional(),
  authorization: authorizationSchema.optional(),
  /** Deprecated in Prometheus in favour of `authorization`, still accepted. */
  bearer_token: str().optional(),
  bearer_token_file: str().optional(),
  tls_config: tlsConfigSchema.prefault({}),
  proxy_url: url(['http', 'https']).optional(),
  follow_redirects: bool().default(true),
  enable_http2: bool().optional(),
};

type HttpClientFields = z.output<z.ZodObject<typeof httpClientShape>>;

/** Adds Prometheus's HTTPClientConfig.Validate failures to ctx. */
export function checkHttpClient(c: HttpClientFields, ctx: z.RefinementCtx): void {
  const fail = (message: string, path: PropertyKey[] = []) => ctx.addIssue({ code: 'custom', message, path });
  const bearer = (c.bearer_token ?? '') !== '' || (c.bearer_token_file ?? '') !== '';
  if ((c.bearer_token ?? '') !== '' && (c.bearer_token_file ?? '') !== '') {
    fail('at most one of bearer_token & bearer_token_file must be configured', ['bearer_token']);
  }
  if (c.basic_auth && bearer) {
    fail('at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured', ['basic_auth']);
  }
  if (c.basic_auth) {
    const b = c.basic_auth;
    if ((b.username ?? '') !== '' && (b.username_file ?? '') !== '') {
      fail('at most one of basic_auth username, username_file & username_ref must be configured', ['basic_auth']);
    }
    if ((b.password ?? '') !== '' && (b.password_file ?? '') !== '') {
      fail('at most one of basic_auth password, password_file & password_ref must be configured', ['basic_auth']);
    }
  }
  if (c.authorization) {
    const a = c.authorization;
    if (bearer) fail('authorization is not compatible with bearer_token & bearer_token_file', ['authorization']);
    if ((a.credentials ?? '') !== '' && (a.credentials_file ?? '') !== '') {
      fail('at most one of authorization credentials & credentials_file must be configured', ['authorization']);
    }
    if ((a.type ?? '').trim().toLowerCase() === 'basic') {
      fail('authorization type cannot be set to "basic", use "basic_auth" instead', ['authorization', 'type']);
    }
    if (c.basic_auth) fail('at most one of basic_auth, oauth2 & authorization must be configured', ['authorization']);
  }
  const t = c.tls_config;
  if (t.cert_file !== undefined && t.key_file === undefined) {
    fail(`client cert file ${JSON.stringify(t.cert_file)} specified without client key file`, ['tls_config', 'cert_file']);
  }
  if (t.key_file !== undefined && t.cert_file === undefined) {
    fail(`client key file ${JSON.stringify(t.key_file)} specified without client cert file`, ['tls_config', 'key_file']);
  }
}

/** The resolved HTTP client settings, with `authorization.type` defaulted and `enable_http2` set. */
export function resolveHttpClient<T extends HttpClientFields>(c: T, enableHttp2Default: boolean) {
  return {
    ...c,
    authorization: c.authorization ? { ...c.authorization, type: (c.authorization.type ?? '').trim() || 'Bearer' } : undefined,
    enable_http2: c.enable_http2 ?? enableHttp2Default,
  };
}

export type BasicAuth = z.output<typeof basicAuthSchema>;
export type Authorization = z.output<typeof authorizationSchema> & { type: string };
export type TlsConfig = z.output<typeof tlsConfigSchema>;
