/** The logger the mqtt and ingest parts take (pino-compatible). */
export interface MqttLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: MqttLogger = { info() {}, warn() {}, error() {} };
