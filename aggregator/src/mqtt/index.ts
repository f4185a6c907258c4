export * from './access-policy.js';
export * from './broker.js';
export * from './connection.js';
export * from './errors.js';
export * from './logger.js';
