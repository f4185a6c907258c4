import { readFileSync } from 'node:fs';

/**
 * The node flags of a bin's shebang (`#!/usr/bin/env -S node --flag ...`, see cli.ts), which
 * the README's systemd unit repeats: bench:agent runs the agent with them, as users do.
 */
export function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env (?:-S )?node((?: +\S+)*) *$/.exec(first);
  if (!m) throw new Error(`${file}: the first line is not a "#!/usr/bin/env [-S] node [flags]" shebang: ${JSON.stringify(first)}`);
  return m[1].split(' ').filter((f) => f !== '');
}
