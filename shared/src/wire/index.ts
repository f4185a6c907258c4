export * from './message.js';
export * from './wire-error.js';
export * from './encode.js';
export * from './decode.js';
export * from './topics.js';
export * from './stale.js';
export * from './metadata.js';
