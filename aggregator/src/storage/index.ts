/**
 * The storage seams and what comes with them: matchers, errors, sample-value helpers and
 * the in-memory reference store. Other folders import from here; the contract suite
 * (./contract.js) is imported by test files directly, since it pulls in vitest.
 */
export * from './interface.js';
export * from './matcher.js';
export * from './errors.js';
export * from './value.js';
export * from './histogram.js';
export { MemoryStorage } from './memory.js';
