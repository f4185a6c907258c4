/** Scraping: the manager, its pools and loops, targets, and the `/api/v1/targets` shaping. */
export { ScrapeManager } from './manager.js';
export { ScrapeMetrics } from './scrape-metrics.js';
export type { ScrapeOutcome } from './scrape-metrics.js';
export type { ScrapeManagerOptions, TargetRetriever } from './manager.js';
export { ScrapePool } from './scrape-pool.js';
export type { StopMode } from './scrape-pool.js';
export { ScrapeLoop } from './scrape-loop.js';
export type { ScrapeLoopOptions, ScrapeReport } from './scrape-loop.js';
export { ScrapeCache } from './scrape-cache.js';
export { Target, TargetError, populateLabels, targetUrl, targetsFromGroup } from './target.js';
export { ScrapeError } from './errors.js';
export type { ScrapeErrorCode } from './errors.js';
export { goTime, targetsData, targetsResponse } from './targets-api.js';
export type { ApiActiveTarget, ApiDroppedTarget, TargetDiscovery, TargetsQuery } from './targets-api.js';
export { scrapeJob } from './types.js';
export type { ScrapeJob, TargetGroup, TargetHealth } from './types.js';
export { TargetMetadata, metadataOf, scrapeMetadata } from './target-metadata.js';
export type { FamilyMetadata, MetadataLoops, NamedMetadata } from './target-metadata.js';
