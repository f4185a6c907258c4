import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConformanceRoot } from '@edgeprom/shared/conformance';

/**
 * The folder holding Prometheus's PromQL `.test` files: `promql/` under the conformance root
 * ($EDGEPROM_CONFORMANCE_DIR or ../shared/conformance beside the repository). The variable
 * may also name the promql folder itself.
 */
export function defaultConformanceDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = defaultConformanceRoot(env);
  return existsSync(join(root, 'promql')) ? join(root, 'promql') : root;
}
