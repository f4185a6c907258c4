export { ClockTrust, DEFAULT_JUMP_TOLERANCE_MS, DEFAULT_STABLE_FOR_MS } from './trust.js';
export type { ClockTrustOptions, TrustVerdict, UntrustedReason } from './trust.js';
export { ClockGate } from './gate.js';
export type { ClockGateOptions } from './gate.js';
export { bootMonotonic, readUptimeMs } from './boot-monotonic.js';
export type { BootMonotonic } from './boot-monotonic.js';
export { readOsSync, DEFAULT_OS_SYNC_FILE } from './os-sync.js';
export type { OsSync } from './os-sync.js';
export { RELEASE_DATE_MS } from './release-date.js';
