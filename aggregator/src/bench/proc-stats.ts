// Moved to @edgeprom/shared (shared/src/process/proc-stats.ts), shared with bench:agent.
export { cpuSeconds, memoryBytes } from '@edgeprom/shared';
