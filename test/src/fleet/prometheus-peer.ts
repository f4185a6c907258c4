/**
 * Our aggregator beside Prometheus, for differential tests: both read the same scrape config
 * and scrape the same local targets (fixed bodies on 127.0.0.1), each with its own storage in
 * one temporary directory.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGGREGATOR_CLI, freePort, startPrometheus, startProcess, stop, type Proc } from './harness.js';

export class PrometheusPeer {
  /** The temporary directory: the config file and both stores. */
  readonly dir: string;
  ours: Proc | undefined;
  prom: Proc | undefined;
  private readonly servers: http.Server[] = [];

  /** `name` names the directory (`edgeprom-<name>-…`) and the config file (`<name>.yml`). */
  constructor(private readonly name: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), `edgeprom-${name}-`));
  }

  /** A scrape target on 127.0.0.1 that always answers `body` as `contentType`; its `host:port`. */
  async target(body: string, contentType: string): Promise<string> {
    const s = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(body);
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    this.servers.push(s);
    return `127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  /** Writes `config` and starts our aggregator (the CLI) and Prometheus on it. */
  async start(config: string): Promise<{ ours: Proc; prom: Proc }> {
    const file = path.join(this.dir, `${this.name}.yml`);
    writeFileSync(file, config);
    const mqttPort = await freePort();
    const [ours, prom] = await Promise.all([
      startProcess('edgeprom-aggregator', [
        AGGREGATOR_CLI,
        `--config.file=${file}`,
        `--storage.tsdb.path=${path.join(this.dir, 'ours')}`,
        '--web.listen-address=127.0.0.1:0',
        `--mqtt.listen-address=127.0.0.1:${mqttPort}`,
        '--log.level=warn',
      ]),
      startPrometheus(file, path.join(this.dir, 'prometheus')),
    ]);
    this.ours = ours;
    this.prom = prom;
    return { ours, prom };
  }

  /** Stops both, closes the targets and removes the directory. */
  async close(): Promise<void> {
    await Promise.all([stop(this.ours), stop(this.prom)]);
    for (const s of this.servers) await new Promise((resolve) => s.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
