#!/usr/bin/env node
// Bootstrap for the two README commands. A fresh Debian machine has Node.js and npm but
// no pnpm, so we run the pinned pnpm through npx (no global install, no corepack keys).
// Usage: node scripts/pm.mjs start|test [args...]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // "pnpm@x.y.z"
const isWin = process.platform === 'win32';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: isWin });
  if (r.error) {
    console.error(`edgeprom: could not run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const pnpm = (...args) => run('npx', ['--yes', pinned, ...args]);

const [task, ...rest] = process.argv.slice(2);
const ci = process.env.CI === 'true' || process.env.CI === '1';
switch (task) {
  case 'start':
    pnpm('install', ...(ci ? ['--frozen-lockfile'] : []));
    pnpm('run', 'build');
    pnpm('run', 'main', ...rest);
    break;
  case 'test':
    // Real peers (Debian's prometheus as the PromQL oracle) before anything else.
    if (!isWin) run('bash', ['scripts/peers.sh']);
    pnpm('install', '--frozen-lockfile');
    pnpm('run', 'build');
    // Conformance counts first (the PromQL one still reports known gaps, e.g. native
    // histograms, without failing); the unit/e2e suite, which does fail on regressions, last.
    pnpm('run', 'conformance:openmetrics');
    pnpm('run', 'conformance:promql');
    pnpm('run', 'test:unit', ...rest);
    break;
  default:
    console.error('usage: node scripts/pm.mjs start|test [args...]');
    process.exit(2);
}
