#!/usr/bin/env node
// Runs a built CLI with the Node flags of its `#!/usr/bin/env -S node ...` line (the
// aggregator's V8 heap flags: aggregator/src/cli.ts), as it runs when started as a binary.
// `node FILE` alone would ignore them. Used by the root package.json `aggregator` script;
// main.mjs imports nodeFlagsOf (aggregator/src/bench/ingest-scrape.ts has the same rule in TS).
//
// Usage: node scripts/node-cli.mjs FILE [args...]
// The CLI runs in a process group of its own (as main.mjs runs its children), so a terminal's
// Ctrl-C reaches it once, forwarded by this script (a second SIGINT would cut its graceful
// stop short). SIGINT, SIGTERM and SIGHUP (the aggregator's reload) are forwarded; this script
// exits with the CLI's code, or by the CLI's signal.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The node flags of `file`'s #! line (`#!/usr/bin/env -S node FLAGS` or `#!/path/node FLAGS`); [] without one. */
export function nodeFlagsOf(file) {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0];
  const m = /^#!\s*\S*env\s+(?:-S\s+)?node((?:\s+\S+)*)\s*$/.exec(first) ?? /^#!\s*\S*\/node((?:\s+\S+)*)\s*$/.exec(first);
  return m ? m[1].split(/\s+/).filter(Boolean) : [];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, ...args] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node scripts/node-cli.mjs FILE [args...]');
    process.exit(2);
  }
  let flags;
  try {
    flags = nodeFlagsOf(file);
  } catch (e) {
    console.error(`node-cli: cannot read ${file}: ${e.message}`);
    process.exit(1);
  }
  const posix = process.platform !== 'win32';
  const child = spawn(process.execPath, [...flags, file, ...args], { stdio: 'inherit', detached: posix });
  const signals = posix ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
  const forward = (sig) => child.kill(sig);
  for (const sig of signals) process.on(sig, forward);
  // Should this script die of an uncaught error, the CLI goes too.
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  child.once('error', (err) => {
    console.error(`node-cli: cannot start ${file}: ${err.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
