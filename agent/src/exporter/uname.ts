/** `uname` exporter: `node_uname_info` with node_exporter's labels. */
import * as os from 'node:os';
import { join } from 'node:path';
import type { Exporter } from './interface.js';
import { FamilySet } from '@edgeprom/shared';
import { readValue } from './family.js';
import { resolveRoots, type OsRoots } from './roots.js';

export interface UnameInfo {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
}

/** uname(2) as Node exposes it. */
export function systemUname(): UnameInfo {
  return { sysname: os.type(), nodename: os.hostname(), release: os.release(), version: os.version(), machine: os.machine() };
}

export interface UnameExporterOptions {
  roots?: Partial<OsRoots>;
  /** Injected in tests; defaults to the running kernel's. */
  uname?: () => UnameInfo;
}

export function unameExporter(opts: UnameExporterOptions = {}): Exporter {
  const { procfs } = resolveRoots(opts.roots);
  const uname = opts.uname ?? systemUname;
  return {
    name: 'uname',
    async collect(signal) {
      // Node has no getdomainname(); the kernel's NIS domain is here ("(none)" when unset).
      const domainname = (await readValue(join(procfs, 'sys', 'kernel', 'domainname'), signal)) ?? '(none)';
      const u = uname();
      return new FamilySet()
        .gauge('node_uname_info', 'Labeled system information as provided by the uname system call.', { ...u, domainname }, 1)
        .list();
    },
  } satisfies Exporter;
}
