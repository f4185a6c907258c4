/** @edgeprom/agent: the exporter seam, the collector, the /metrics server and the agent. */
export type { Exporter } from './exporter/interface.js';
export { Collector, DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS } from './collector.js';
export type { CollectListener, CollectorOptions, ExporterStatus } from './collector.js';
export { DEFAULT_ROOTS, resolveRoots } from './exporter/roots.js';
export type { OsRoots } from './exporter/roots.js';
export { defaultExporters } from './exporter/defaults.js';
export type { DefaultExportersOptions } from './exporter/defaults.js';
export { cpuExporter, statExporter } from './exporter/cpu.js';
export { loadavgExporter } from './exporter/loadavg.js';
export { meminfoExporter } from './exporter/meminfo.js';
export { filesystemExporter } from './exporter/filesystem.js';
export { diskstatsExporter } from './exporter/diskstats.js';
export { netdevExporter } from './exporter/netdev.js';
export { hwmonExporter } from './exporter/hwmon.js';
export { thermalZoneExporter } from './exporter/thermal-zone.js';
export { timeExporter } from './exporter/time.js';
export { unameExporter } from './exporter/uname.js';
export { osReleaseExporter } from './exporter/os-release.js';
export { hardwareExporter } from './exporter/hardware.js';
export { processExporter } from '@edgeprom/shared';
export { textfileExporter } from './exporter/textfile.js';
export { WebServer, acceptsGzip } from './web/server.js';
export type { BoundAddress, MetricsSource, WebServerOptions } from './web/server.js';
export { ScrapeStats } from './web/scrape-stats.js';
export { parseListenAddress } from './web/listen-address.js';
export { Agent } from './agent.js';
export type { AgentOptions, AgentSettings } from './agent.js';
export { LevelSampleBuffer, MemorySampleBuffer, StoredSampleBuffer, LevelStore, MemoryStore, BufferError, bufferExporter, DROP_REASONS } from './buffer/index.js';
export type { SampleBuffer, BufferPosition, BufferedRun, BufferStats, BootStats, DropReason, SampleBufferOptions, LevelSampleBufferOptions, MemorySampleBufferOptions, BufferStore, StoreOp } from './buffer/index.js';
// Presence and push: types only here, so importing the package does not load the MQTT client,
// bonjour-service or the CBOR wire format (the Agent loads them when configured).
export type { MqttConnection, MqttSettings } from './mqtt/connection.js';
export type { Presence, PresenceInfo } from './presence/presence.js';
export type { MdnsAdvertiser, MdnsInfo } from './presence/mdns.js';
export type { Pusher, PushMode, PushSettings, PushStats, BatchResult } from './push/pusher.js';
