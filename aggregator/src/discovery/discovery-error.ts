/**
 * Discovery errors, created only here, each with a stable code callers switch on.
 */
import { EdgepromError } from '@edgeprom/shared';

export const DISCOVERY_ERROR_CODES = {
  /** A file_sd file could not be read or is not a list of target groups; its last good groups stay. */
  FILE: 'ERR_DISCOVERY_FILE',
  /** mqtt_sd_configs are configured but the manager was given no MQTT client to use. */
  NO_MQTT_CLIENT: 'ERR_DISCOVERY_NO_MQTT_CLIENT',
  /** The mDNS socket could not be opened (port 5353 taken without SO_REUSEADDR, no permission). */
  MDNS: 'ERR_DISCOVERY_MDNS',
  /** A presence message that cannot be used (bad CBOR, agent differs from the topic). */
  PRESENCE: 'ERR_DISCOVERY_PRESENCE',
} as const;

export type DiscoveryErrorCode = (typeof DISCOVERY_ERROR_CODES)[keyof typeof DISCOVERY_ERROR_CODES];

export class DiscoveryError extends EdgepromError {
  constructor(code: DiscoveryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DiscoveryError';
  }
}
