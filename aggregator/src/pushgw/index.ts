/**
 * The Pushgateway-compatible push API for short-lived jobs, storing straight into the TSDB.
 * See docs/push-api.md.
 */
export { createPushGateway, TTL_HEADER } from './gateway.js';
export type { GroupInfo, PushGateway } from './gateway.js';
export { PUSH_DEFAULTS } from './options.js';
export type { PushAuthOptions, PushLogger, PushOptions } from './options.js';
export { hashPassword } from './auth.js';
export type { BasicUser } from './auth.js';
export { PushError, PUSH_ERROR_CODES } from './errors.js';
export type { PushErrorCode } from './errors.js';
