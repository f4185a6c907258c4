import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { parseAggregatorConfig } from './config-files.js';

function errors(yaml: string): string[] {
  try {
    parseAggregatorConfig(yaml, 'a.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const S = 1000;
const M = 60 * S;

describe('aggregator config defaults', () => {
  it('match Prometheus for an empty file', () => {
    const c = parseAggregatorConfig('');
    expect(c.global).toEqual({
      scrape_interval: M,
      scrape_timeout: 10 * S,
      evaluation_interval: M,
      rule_query_offset: 0,
      external_labels: {},
      body_size_limit: 0,
      sample_limit: 0,
      target_limit: 0,
      label_limit: 0,
      label_name_length_limit: 0,
      label_value_length_limit: 0,
      keep_dropped_targets: 0,
    });
    expect(c.scrape_configs).toEqual([]);
    expect(c.rule_files).toEqual([]);
    expect(c.alerting).toEqual({ alert_relabel_configs: [], alertmanagers: [] });
    expect(c.remote_write).toEqual([]);
    expect(c.storage.tsdb.out_of_order_time_window).toBe(7 * 24 * 60 * M);
    expect(c.storage.tsdb.retention).toEqual({ time: 15 * 24 * 60 * M, size: 0 });
  });

  it('fill a scrape config like Prometheus', () => {
    const c = parseAggregatorConfig('scrape_configs:\n  - job_name: node\n');
    expect(c.scrape_configs[0]).toEqual({
      job_name: 'node',
      honor_labels: false,
      honor_timestamps: true,
      track_timestamps_staleness: false,
      params: {},
      scrape_interval: M,
      scrape_timeout: 10 * S,
      metrics_path: '/metrics',
      scheme: 'http',
      enable_compression: true,
      body_size_limit: 0,
      sample_limit: 0,
      label_limit: 0,
      label_name_length_limit: 0,
      label_value_length_limit: 0,
      target_limit: 0,
      keep_dropped_targets: 0,
      basic_auth: undefined,
      authorization: undefined,
      bearer_token: undefined,
      bearer_token_file: undefined,
      tls_config: { insecure_skip_verify: false },
      proxy_url: undefined,
      follow_redirects: true,
      enable_http2: true,
      static_configs: [],
      file_sd_configs: [],
      mdns_sd_configs: [],
      mqtt_sd_configs: [],
      relabel_configs: [],
      metric_relabel_configs: [],
    });
  });

  it('default the global timeout to min(10s, interval) and refuse a timeout above the interval', () => {
    expect(parseAggregatorConfig('global: {scrape_interval: 5s}').global.scrape_timeout).toBe(5 * S);
    expect(parseAggregatorConfig('global: {scrape_interval: 0}').global.scrape_interval).toBe(M);
    expect(errors('global:\n  scrape_interval: 10s\n  scrape_timeout: 11s\n')).toEqual([
      'a.yml:3:19: global.scrape_timeout: global scrape timeout greater than scrape interval',
    ]);
  });

  it('let scrape configs inherit interval, timeout and limits from global', () => {
    const c = parseAggregatorConfig(`
global:
  scrape_interval: 30s
  scrape_timeout: 20s
  sample_limit: 1000
  body_size_limit: 10MB
scrape_configs:
  - job_name: a
  - job_name: b
    scrape_interval: 5s
    sample_limit: 5
    body_size_limit: 1KiB
  - job_name: c
    scrape_interval: 1m
    scrape_timeout: 0
`);
    const [a, b, cc] = c.scrape_configs;
    expect([a.scrape_interval, a.scrape_timeout, a.sample_limit, a.body_size_limit]).toEqual([30 * S, 20 * S, 1000, 10 * 1024 * 1024]);
    expect([b.scrape_interval, b.scrape_timeout, b.sample_limit, b.body_size_limit]).toEqual([5 * S, 5 * S, 5, 1024]);
    expect([cc.scrape_interval, cc.scrape_timeout]).toEqual([M, 20 * S]);
  });

  it('refuse a scrape timeout above the (inherited) interval', () => {
    expect(errors('global: {scrape_interval: 10s}\nscrape_configs:\n  - job_name: x\n    scrape_timeout: 15s\n')).toEqual([
      'a.yml:4:21: scrape_configs[0].scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "x"',
    ]);
  });
});

describe('scrape config checks', () => {
  it('require a unique, non-empty job_name', () => {
    expect(errors('scrape_configs:\n  - job_name: a\n  - job_name: b\n  - job_name: a\n')).toEqual([
      'a.yml:4:15: scrape_configs[2].job_name: found multiple scrape configs with job name "a" (first at scrape_configs[0])',
    ]);
    expect(errors('scrape_configs:\n  - job_name: ""\n')).toEqual(['a.yml:2:15: scrape_configs[0].job_name: must not be empty']);
    expect(errors('scrape_configs:\n  - metrics_path: /m\n')).toEqual(['a.yml:2:5: scrape_configs[0].job_name: missing required field']);
    expect(errors('scrape_configs:\n  -\n')).toEqual(['a.yml:2:4: scrape_configs[0]: expected a mapping, got null']);
  });

  it('validate static targets unless relabeling may rewrite them', () => {
    expect(
      errors(`scrape_configs:
  - job_name: a
    static_configs:
      - targets: ['ok:9100', 'http://x:9100/metrics', '::1:9100', 'host:99999', '[::1]:9100', 'plainhost']
`),
    ).toEqual([
      'a.yml:4:30: scrape_configs[0].static_configs[0].targets[1]: "http://x:9100/metrics" is not a valid hostname (a target is host:port, not a URL)',
      'a.yml:4:55: scrape_configs[0].static_configs[0].targets[2]: "::1:9100" is not a valid target: an IPv6 address must be written in brackets, e.g. [::1]:9100',
      'a.yml:4:67: scrape_configs[0].static_configs[0].targets[3]: "host:99999" is not a valid target: port out of range',
    ]);
    const blackbox = parseAggregatorConfig(`scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    static_configs:
      - targets: ['https://example.org/health']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
`);
    expect(blackbox.scrape_configs[0].static_configs[0].targets).toEqual(['https://example.org/health']);
  });

  it('validate static labels', () => {
    expect(errors('scrape_configs:\n  - job_name: a\n    static_configs:\n      - labels: {ok: 1, "bad-name": x}\n')).toEqual([
      'a.yml:4:25: scrape_configs[0].static_configs[0].labels["bad-name"]: "bad-name" is not a valid label name',
    ]);
    const c = parseAggregatorConfig('scrape_configs:\n  - job_name: a\n    static_configs:\n      - labels: {floor: 3, version: 1.10, empty: }\n');
    expect(c.scrape_configs[0].static_configs[0].labels).toEqual({ floor: '3', version: '1.10' });
  });

  it('check HTTP client settings as Prometheus does', () => {
    const job = (extra: string) => `scrape_configs:\n  - job_name: a\n${extra}`;
    expect(errors(job('    basic_auth: {username: u, password: p, password_file: f}\n'))).toEqual([
      'a.yml:3:17: scrape_configs[0].basic_auth: at most one of basic_auth password, password_file & password_ref must be configured',
    ]);
    expect(errors(job('    authorization: {credentials: c, credentials_file: f}\n'))).toEqual([
      'a.yml:3:20: scrape_configs[0].authorization: at most one of authorization credentials & credentials_file must be configured',
    ]);
    expect(errors(job('    authorization: {type: Basic, credentials: c}\n'))).toEqual([
      'a.yml:3:27: scrape_configs[0].authorization.type: authorization type cannot be set to "basic", use "basic_auth" instead',
    ]);
    expect(errors(job('    authorization: {credentials: c}\n    basic_auth: {username: u}\n'))).toEqual([
      'a.yml:3:20: scrape_configs[0].authorization: at most one of basic_auth, oauth2 & authorization must be configured',
    ]);
    expect(errors(job('    bearer_token: t\n    bearer_token_file: f\n'))).toEqual([
      'a.yml:3:19: scrape_configs[0].bearer_token: at most one of bearer_token & bearer_token_file must be configured',
    ]);
    expect(errors(job('    tls_config: {cert_file: c.pem}\n'))).toEqual([
      'a.yml:3:29: scrape_configs[0].tls_config.cert_file: client cert file "c.pem" specified without client key file',
    ]);
    expect(errors(job('    scheme: ftp\n'))).toEqual(['a.yml:3:13: scrape_configs[0].scheme: must be one of "http", "https"; got the string "ftp"']);
    const ok = parseAggregatorConfig(job('    authorization: {credentials_file: /etc/token}\n'));
    expect(ok.scrape_configs[0].authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/token' });
  });

  it('parse body_size_limit with Prometheus units', () => {
    const c = parseAggregatorConfig('scrape_configs:\n  - job_name: a\n    body_size_limit: 10MB\n  - job_name: b\n    body_size_limit: 2048\n');
    expect(c.scrape_configs.map((s) => s.body_size_limit)).toEqual([10 * 1024 * 1024, 2048]);
    expect(errors('scrape_configs:\n  - job_name: a\n    body_size_limit: 10kb\n')[0]).toMatch(/^a\.yml:3:22: scrape_configs\[0\]\.body_size_limit: not a valid size "10kb": unknown unit "kb"/);
  });

  it('default and check discovery configs', () => {
    const c = parseAggregatorConfig(`scrape_configs:
  - job_name: a
    file_sd_configs:
      - files: [targets/*.json]
    mdns_sd_configs:
      - {}
      - service_types: [_custom._tcp]
        interface: 127.0.0.1
    mqtt_sd_configs:
      - {}
`);
    const sc = c.scrape_configs[0];
    expect(sc.file_sd_configs).toEqual([{ files: ['targets/*.json'], refresh_interval: 5 * M }]);
    expect(sc.mdns_sd_configs).toEqual([
      { service_types: ['_edgeprom._tcp', '_prometheus-http._tcp'], refresh_interval: M },
      { service_types: ['_custom._tcp'], interface: '127.0.0.1', refresh_interval: M },
    ]);
    expect(sc.mqtt_sd_configs).toEqual([{ topic_prefix: 'edgeprom/', include_offline: false }]);
    expect(
      errors(`scrape_configs:
  - job_name: a
    file_sd_configs:
      - files: [targets.txt, "*/x.json"]
      - files: []
    mdns_sd_configs:
      - service_types: [edgeprom]
    mqtt_sd_configs:
      - topic_prefix: edgeprom
`),
    ).toEqual([
      'a.yml:4:17: scrape_configs[0].file_sd_configs[0].files[0]: path name "targets.txt" is not valid for file discovery (use .json, .yml or .yaml)',
      'a.yml:4:30: scrape_configs[0].file_sd_configs[0].files[1]: path name "*/x.json" is not valid for file discovery (use .json, .yml or .yaml)',
      'a.yml:5:16: scrape_configs[0].file_sd_configs[1].files: at least one file is required',
      'a.yml:7:25: scrape_configs[0].mdns_sd_configs[0].service_types[0]: "edgeprom" is not a DNS-SD service type like _edgeprom._tcp',
      'a.yml:9:23: scrape_configs[0].mqtt_sd_configs[0].topic_prefix: topic prefix "edgeprom" must end with "/"',
    ]);
  });
});

describe('other sections', () => {
  it('check rule file patterns', () => {
    expect(parseAggregatorConfig('rule_files: [rules/*.yml, /etc/x.yml]\n').rule_files).toEqual(['rules/*.yml', '/etc/x.yml']);
    expect(errors('rule_files: ["rules/*/x.yml"]\n')).toEqual([
      'a.yml:1:14: rule_files[0]: invalid rule file path "rules/*/x.yml": only the last path element may contain "*"',
    ]);
  });

  it('default alertmanagers and remote_write like Prometheus', () => {
    const c = parseAggregatorConfig(`alerting:
  alertmanagers:
    - static_configs: [{targets: ['am:9093']}]
remote_write:
  - url: https://vm.example/api/v1/write
`);
    const am = c.alerting.alertmanagers[0];
    expect([am.scheme, am.path_prefix, am.timeout, am.api_version, am.enable_http2]).toEqual(['http', '/', 10 * S, 'v2', true]);
    const rw = c.remote_write[0];
    expect([rw.remote_timeout, rw.enable_http2, rw.follow_redirects]).toEqual([30 * S, false, true]);
    expect(rw.queue_config).toEqual({
      capacity: 10000,
      max_shards: 50,
      min_shards: 1,
      max_samples_per_send: 2000,
      batch_send_deadline: 5 * S,
      min_backoff: 30,
      max_backoff: 5 * S,
      retry_on_http_429: false,
      sample_age_limit: 0,
    });
    expect(rw.metadata_config).toEqual({ send: true, send_interval: M, max_samples_per_send: 2000 });
  });

  it('check remote_write', () => {
    expect(
      errors(`remote_write:
  - name: a
    url: ftp://x
  - name: a
    url: http://y
    headers: {Authorization: x, Content-Type: y, X-Scope-OrgID: z}
  - {}
`),
    ).toEqual([
      'a.yml:3:10: remote_write[0].url: URL scheme "ftp" is not supported (use http, https)',
      'a.yml:6:15: remote_write[1].headers.Authorization: authorization header must be changed via the basic_auth or authorization parameter',
      'a.yml:6:33: remote_write[1].headers["Content-Type"]: Content-Type is a reserved header. It must not be changed',
      'a.yml:7:5: remote_write[2].url: missing required field',
    ]);
    expect(
      errors(`remote_write:
  - name: a
    url: http://x
  - name: a
    url: http://y
    headers: {Authorization: x, Content-Type: y, X-Scope-OrgID: z}
`),
    ).toEqual([
      'a.yml:4:11: remote_write[1].name: found multiple remote write configs with name "a" (first at remote_write[0])',
      'a.yml:6:15: remote_write[1].headers.Authorization: authorization header must be changed via the basic_auth or authorization parameter',
      'a.yml:6:33: remote_write[1].headers["Content-Type"]: Content-Type is a reserved header. It must not be changed',
    ]);
    expect(errors('remote_write:\n  - {name: a, url: "http://x"}\n  - {name: a, url: "http://y"}\n')).toEqual([
      'a.yml:3:12: remote_write[1].name: found multiple remote write configs with name "a" (first at remote_write[0])',
    ]);
  });

  it('validate external labels', () => {
    expect(parseAggregatorConfig('global:\n  external_labels: {site: kitchen, floor: 2}\n').global.external_labels).toEqual({ site: 'kitchen', floor: '2' });
    expect(errors('global:\n  external_labels: {"1x": a}\n')).toEqual(['a.yml:2:21: global.external_labels["1x"]: "1x" is not a valid label name']);
  });
});

describe('mqtt section', () => {
  it('defaults to an embedded broker on :1883', () => {
    expect(parseAggregatorConfig('').mqtt).toEqual({
      mode: 'embedded',
      url: undefined,
      topic_prefix: 'edgeprom/',
      max_batch_bytes: 256 * 1024,
      embedded: { listen: ':1883', allow_anonymous: false, devices: [] },
    });
  });

  it('configures devices with credentials and ACLs', () => {
    const c = parseAggregatorConfig(`mqtt:
  embedded:
    listen: 127.0.0.1:0
    persistence_path: data/mqtt
    devices:
      - username: pi-kitchen
        password_file: /etc/edgeprom/pi-kitchen.pass
      - username: esp32-garden
        password: s3cret
        agent_id: garden
        acl:
          publish: [edgeprom/custom/garden/#]
`);
    expect(c.mqtt.mode).toBe('embedded');
    expect(c.mqtt.embedded?.devices).toEqual([
      { username: 'pi-kitchen', password_file: '/etc/edgeprom/pi-kitchen.pass', acl: { publish: [], subscribe: [] } },
      { username: 'esp32-garden', password: 's3cret', agent_id: 'garden', acl: { publish: ['edgeprom/custom/garden/#'], subscribe: [] } },
    ]);
  });

  it('checks devices', () => {
    expect(
      errors(`mqtt:
  embedded:
    devices:
      - username: a
      - username: a
        password: x
        password_file: y
      - username: b
        password: x
        agent_id: a
        acl: {publish: ["x/#/y", "a+"]}
`),
    ).toEqual([
      'a.yml:4:9: mqtt.embedded.devices[0]: exactly one of password and password_file must be configured',
      'a.yml:5:9: mqtt.embedded.devices[1]: exactly one of password and password_file must be configured',
      'a.yml:5:9: mqtt.embedded.devices[1]: agent id "a" is already used by devices[0]',
      'a.yml:5:19: mqtt.embedded.devices[1].username: username "a" is already used by devices[0]',
      'a.yml:8:9: mqtt.embedded.devices[2]: agent id "a" is already used by devices[0]',
      'a.yml:11:25: mqtt.embedded.devices[2].acl.publish[0]: "x/#/y": "#" must be a whole level at the end',
      'a.yml:11:34: mqtt.embedded.devices[2].acl.publish[1]: "a+": "+" must be a whole level',
    ]);
    expect(
      errors(`mqtt:
  embedded:
    devices:
      - {username: a, password: x}
      - {username: a, password: x}
      - {username: b, password: x, agent_id: a}
`),
    ).toEqual([
      'a.yml:5:9: mqtt.embedded.devices[1]: agent id "a" is already used by devices[0]',
      'a.yml:5:20: mqtt.embedded.devices[1].username: username "a" is already used by devices[0]',
      'a.yml:6:9: mqtt.embedded.devices[2]: agent id "a" is already used by devices[0]',
    ]);
  });

  it('takes an external broker instead', () => {
    const c = parseAggregatorConfig('mqtt:\n  url: mqtts://broker.lan:8883\n  username: agg\n  password_file: /run/secrets/mqtt\n  topic_prefix: site1/\n');
    expect(c.mqtt).toMatchObject({ mode: 'external', url: 'mqtts://broker.lan:8883', username: 'agg', topic_prefix: 'site1/', embedded: undefined });
    expect(errors('mqtt:\n  url: http://x\n')).toEqual(['a.yml:2:8: mqtt.url: URL scheme "http" is not supported (use mqtt, mqtts, tcp, tls, ws, wss)']);
    expect(errors('mqtt:\n  url: mqtt://x\n  embedded: {}\n')).toEqual([
      'a.yml:2:8: mqtt.url: at most one of url (external broker) and embedded must be configured',
    ]);
    expect(errors('mqtt:\n  username: x\n')).toEqual([
      'a.yml:2:13: mqtt.username: username is for an external broker; set url, or configure devices under embedded',
    ]);
    expect(errors('mqtt:\n  embedded: {listen: "9100"}\n')).toEqual([
      'a.yml:2:22: mqtt.embedded.listen: "9100" is not a valid listen address: a port is required, e.g. :9100',
    ]);
  });
});

describe('mqtt.embedded.allow_anonymous', () => {
  it('takes true, false or loopback', () => {
    const anon = (v: string) => parseAggregatorConfig(`mqtt:\n  embedded:\n    allow_anonymous: ${v}\n`).mqtt.embedded?.allow_anonymous;
    expect(anon('true')).toBe(true);
    expect(anon('false')).toBe(false);
    expect(anon('loopback')).toBe('loopback');
    expect(anon('"loopback"')).toBe('loopback');
    expect(errors('mqtt:\n  embedded:\n    allow_anonymous: lan\n')).toEqual([
      'a.yml:3:22: mqtt.embedded.allow_anonymous: expected true, false or loopback, got the string "lan"',
    ]);
  });
});

describe('push section', () => {
  const HASH = '$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

  it('is off by default, with its limits', () => {
    expect(parseAggregatorConfig('').push).toEqual({
      enabled: false,
      basic_auth_users: {},
      insecure: false,
      default_ttl: 0,
      max_ttl: 0,
      body_size_limit: 4 * 1024 * 1024,
      max_groups: 10000,
      max_series_per_group: 10000,
      interval: 15_000,
      persistence_interval: 300_000,
    });
  });

  it('takes scrypt-hashed users and a token file', () => {
    const c = parseAggregatorConfig(`push:\n  enabled: true\n  basic_auth_users:\n    ci: ${HASH}\n  bearer_token_file: push.tokens\n  default_ttl: 10m\n  max_ttl: 1h\n`);
    expect(c.push).toMatchObject({ enabled: true, basic_auth_users: { ci: HASH }, bearer_token_file: 'push.tokens', default_ttl: 600_000, max_ttl: 3_600_000 });
  });

  it('refuses unauthenticated, bcrypt, malformed hashes and inconsistent limits, each where it is', () => {
    expect(errors('push:\n  enabled: true\n')).toEqual([
      'a.yml:2:12: push.enabled: the push API is enabled without authentication: set basic_auth_users or bearer_token_file, or insecure: true',
    ]);
    expect(parseAggregatorConfig('push:\n  enabled: true\n  insecure: true\n').push.insecure).toBe(true);
    expect(errors('push:\n  basic_auth_users:\n    ci: $2b$10$abcdefghijklmnopqrstuv\n')).toEqual([
      'a.yml:3:9: push.basic_auth_users.ci: bcrypt hashes are not supported (no bcrypt implementation is bundled); use an scrypt hash, see docs/push-api.md',
    ]);
    expect(errors('push:\n  basic_auth_users:\n    ci: plain-password\n')).toEqual([
      'a.yml:3:9: push.basic_auth_users.ci: expected an scrypt hash "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" (see docs/push-api.md)',
    ]);
    expect(errors(`push:\n  basic_auth_users:\n    ci: ${HASH.replace('ln=14', 'ln=30')}\n`)).toEqual([
      'a.yml:3:9: push.basic_auth_users.ci: scrypt cost ln=30 is outside 10..20',
    ]);
    expect(errors('push:\n  default_ttl: 2h\n  max_ttl: 1h\n')).toEqual(['a.yml:2:16: push.default_ttl: must not exceed max_ttl']);
    expect(errors('push:\n  interval: 0s\n')).toEqual(['a.yml:2:13: push.interval: must be greater than 0']);
  });
});
