#!/usr/bin/env node
// The main job (`npm start` → `pnpm run main`): the aggregator with its embedded MQTT broker,
// and a local agent that connects to it. The aggregator discovers the agent by itself (MQTT
// presence, and mDNS on loopback) and scrapes it; nothing is configured.
//
// Plain Node ESM on the built CLIs (aggregator/dist, agent/dist): `npm start` builds first.
// Log lines of both are prefixed; data lives in data/ (or --data DIR) and survives restarts.
// SIGINT/SIGTERM: the agent is stopped first (it says goodbye over MQTT while the broker is
// still up), then the aggregator; exits 0 when both stopped cleanly. If one of them dies on
// its own, the other is stopped and this exits non-zero.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// The node flags of a built CLI's #! line, so that it runs here as it does when started as a binary.
import { nodeFlagsOf } from './node-cli.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const AGGREGATOR = join(root, 'aggregator/dist/cli.js');
const AGENT = join(root, 'agent/dist/cli.js');
const STOP_GRACE_MS = 15_000;

let args;
try {
  ({ values: args } = parseArgs({
    options: { data: { type: 'string', default: 'data' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  }));
} catch (e) {
  console.error(`edgeprom: ${e.message}\nusage: npm start [-- --data DIR]`);
  process.exit(2);
}
if (args.help) {
  console.log('usage: npm start [-- --data DIR]   (or: node scripts/main.mjs [--data DIR])\n\n' +
    'Runs the aggregator (with its embedded MQTT broker) and a local agent; data in DIR/aggregator\n' +
    'and DIR/agent (default: data, relative to the repository), kept across restarts.');
  process.exit(0);
}
// Relative to the repository root, where the children run.
const DATA = args.data;

for (const f of [AGGREGATOR, AGENT]) {
  if (!existsSync(f)) {
    console.error(`edgeprom: ${f} is missing; build first (npm start does: pnpm run build)`);
    process.exit(1);
  }
}

const color = process.stdout.isTTY ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_code, s) => s;
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'app', 'name', 'pid', 'hostname', 'v']);

/**
 * V8's notice that --lite-mode (the agent's node flag) turns off WebAssembly: printed by every
 * `node --lite-mode` at start, not actionable, so not shown.
 */
const V8_LITE_NOTICE = 'Warning: disabling flag --expose_wasm due to conflicting flags';

/** A pino JSON line → `LEVEL msg key=value ...`; anything else unchanged. */
function pretty(line) {
  if (!line.startsWith('{')) return line;
  let o;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null || typeof o.msg !== 'string') return line;
  const extra = Object.entries(o)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const level = (LEVELS[o.level] ?? String(o.level)).padEnd(5);
  return `${level} ${o.msg}${extra ? ` ${extra}` : ''}`;
}

const children = new Map(); // name → {child, exited: Promise<{code, signal}>, done}
let stopping = false;
let failed = false;

function start(name, tag, args, onLine) {
  // detached: a process group of its own, so a terminal's Ctrl-C reaches only this script,
  // which stops the agent before the aggregator (whose broker carries the agent's goodbye).
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const prefix = color(tag, `[${name}]`.padEnd(12));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (line === V8_LITE_NOTICE) return;
      process.stdout.write(`${prefix} ${pretty(line)}\n`);
      onLine?.(line);
    });
  }
  const entry = { child, done: false };
  entry.exited = new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`edgeprom: cannot start the ${name}: ${err.message}`);
      entry.done = true;
      resolve({ code: 1, signal: null });
    });
    child.once('exit', (code, signal) => {
      entry.done = true;
      resolve({ code, signal });
    });
  });
  entry.exited.then(({ code, signal }) => {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!stopping) {
      // Died on its own: that is a failure whatever the code.
      failed = true;
      console.error(`edgeprom: the ${name} exited (${how}); stopping the rest`);
      void stopAll();
    } else if (code !== 0) {
      failed = true;
      console.error(`edgeprom: the ${name} exited (${how})`);
    }
  });
  children.set(name, entry);
  return entry;
}

async function stopOne(name) {
  const e = children.get(name);
  if (!e || e.done) return;
  e.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error(`edgeprom: the ${name} did not stop within ${STOP_GRACE_MS / 1000}s; killing it`);
    e.child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await e.exited;
  clearTimeout(timer);
}

let stopAllPromise;
function stopAll() {
  stopping = true;
  stopAllPromise ??= (async () => {
    await stopOne('agent');
    await stopOne('aggregator');
    process.exit(failed ? 1 : 0);
  })();
  return stopAllPromise;
}

// Should this script die without stopping them (an uncaught error), the children go too.
process.on('exit', () => {
  for (const { child, done } of children.values()) if (!done) child.kill('SIGTERM');
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (!stopping) console.log(`edgeprom: ${sig}: stopping the agent, then the aggregator`);
    void stopAll();
  });
}

// The aggregator first: the agent connects to its broker.
let aggregatorUrl;
const aggregatorReady = new Promise((resolve) => {
  start('aggregator', '36', [...nodeFlagsOf(AGGREGATOR), AGGREGATOR, '--storage.tsdb.path', join(DATA, 'aggregator')], (line) => {
    const m = /listening on (http:\/\/[^\s"]+)/.exec(line);
    if (m && !aggregatorUrl) {
      aggregatorUrl = m[1];
      resolve();
    }
  });
});
await Promise.race([aggregatorReady, children.get('aggregator').exited]);
if (stopping) await stopAllPromise;

let agentUrl;
// --lite-mode: as the agent's own #! line runs it (agent/src/cli.ts), for its small footprint.
start('agent', '35', ['--lite-mode', AGENT, '--storage.path', join(DATA, 'agent'), '--mqtt.url', 'mqtt://127.0.0.1:1883'], (line) => {
  const m = /listening on (http:\/\/[^\s"]+)/.exec(line);
  if (m && !agentUrl) {
    agentUrl = m[1].replace('0.0.0.0', 'localhost');
    const q = `${aggregatorUrl}/api/v1/query?query=up`;
    console.log(
      [
        '',
        color('1', 'edgeprom is running:'),
        `  aggregator (Prometheus API)  ${aggregatorUrl}`,
        `    e.g. the scraped agent:    ${q}`,
        `    pushed, if not scraped:    ${aggregatorUrl}/api/v1/query?query=edgeprom_ingest_watermark`,
        `    the devices (fleet view):  ${aggregatorUrl}/api/v1/fleet`,
        `  agent metrics                ${agentUrl}`,
        '  MQTT broker                  mqtt://localhost:1883 (anonymous clients from this machine only)',
        `  data                         ${join(DATA, 'aggregator')}, ${join(DATA, 'agent')} (kept across restarts)`,
        'The aggregator discovers the agent (MQTT presence / mDNS) and scrapes it every 15s.',
        'Ctrl-C stops both.',
        '',
      ].join('\n'),
    );
  }
});
