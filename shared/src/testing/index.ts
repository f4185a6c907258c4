/** Helpers for tests and benchmarks: `@edgeprom/shared/testing`. */
export { prng } from './prng.js';
