// The root entry point holds what every process needs and loads nothing heavy: a device
// agent pays RSS for each module it imports. Config schemas (zod, ~13 MB) live behind
// '@edgeprom/shared/config' and the CBOR wire format behind '@edgeprom/shared/wire'.
export * from './errors.js';
export * from './labels.js';
export * from './clock.js';
export * from './exposition/model.js';
export * from './exposition/parse.js';
export type { ExpositionFormat } from './exposition/parse-options.js';
export * from './exposition/encode-text.js';
export * from './exposition/encode-openmetrics.js';
export * from './exposition/negotiate.js';
export * from './exposition/family-set.js';
export * from './config/duration.js';
export * from './config/size.js';
export * from './config/agent-mqtt-url.js';
export * from './process/process-exporter.js';
export * from './process/proc-stats.js';
