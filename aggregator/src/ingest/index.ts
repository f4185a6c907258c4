export * from './apply-batch.js';
export * from './ingest.js';
export * from './device-metadata.js';
export * from './ingest-metrics.js';
export * from './push-labels.js';
export * from './watermarks.js';
