/** Service discovery: the Discoverer seam, the built-in discoverers and the manager. */
export * from './interface.js';
export * from './discovery-error.js';
export { StaticDiscoverer, staticGroups } from './static-sd.js';
export { FileDiscoverer, globToRegExp, type FileSdOptions } from './file-sd.js';
export { FILEPATH_LABEL, fileSdFormat, fileSource, parseFileSd, type FileSdFormat } from './file-sd-parse.js';
export { MDNS_META, MdnsDiscoverer, mdnsSocketOptions, serviceGroup, type MdnsSdOptions } from './mdns-sd.js';
export { MQTT_META, MqttPresenceDiscoverer, type MqttSdOptions, type PresenceClient } from './mqtt-sd.js';
export {
  DEFAULT_UPDATE_INTERVAL_MS,
  DiscoveryManager,
  type DiscovererFactory,
  type DiscoveryJobConfig,
  type DiscoveryManagerOptions,
  type ProviderKind,
  type TargetSets,
} from './manager.js';
