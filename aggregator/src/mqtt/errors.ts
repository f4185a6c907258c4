/**
 * MQTT errors, each created once with a stable code. Auth failures never carry the password.
 */
import { EdgepromError } from '@edgeprom/shared';

export type MqttErrorCode =
  /** The embedded broker could not listen (address in use, bad host). */
  | 'ERR_MQTT_LISTEN'
  /** A device's password_file could not be read, or is empty. */
  | 'ERR_MQTT_CREDENTIALS'
  /** Connecting to the (embedded or external) broker failed. */
  | 'ERR_MQTT_CONNECT'
  /** A listen address that is not host:port. */
  | 'ERR_MQTT_LISTEN_ADDRESS';

export const MQTT_ERROR_CODES: readonly MqttErrorCode[] = [
  'ERR_MQTT_LISTEN',
  'ERR_MQTT_CREDENTIALS',
  'ERR_MQTT_CONNECT',
  'ERR_MQTT_LISTEN_ADDRESS',
];

export class MqttError extends EdgepromError {
  declare readonly code: MqttErrorCode;
  constructor(code: MqttErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'MqttError';
  }
}

/** `:1883`, `127.0.0.1:0`, `[::1]:1883` → host (undefined = every interface) and port. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new MqttError('ERR_MQTT_LISTEN_ADDRESS', `mqtt listen address: expected host:port, got ${JSON.stringify(addr)}`);
  }
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
