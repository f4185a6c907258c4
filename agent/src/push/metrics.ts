/** `edgeprom_push_*` and `edgeprom_mqtt_*` metrics through the Exporter seam (live: no I/O). */
import type { Exporter } from '../exporter/interface.js';
import { FamilySet } from '@edgeprom/shared';
import type { BatchResult, PushMode, PushStats } from './pusher.js';

// Kept here, not imported from pusher.ts, so this exporter does not load MQTT/CBOR code.
const PUSH_MODES: readonly PushMode[] = ['auto', 'pull', 'push'];
const RESULTS: readonly BatchResult[] = ['acked', 'timeout', 'disconnected', 'error'];

export interface PushMetricsSource {
  stats(): PushStats;
}

export function pushExporter(source: () => PushMetricsSource | undefined, mqtt: () => { connected: boolean; connects: number } | undefined): Exporter {
  return {
    name: 'push',
    live: true,
    async collect() {
      const f = new FamilySet();
      const c = mqtt();
      if (c) {
        f.gauge('edgeprom_mqtt_connected', 'Whether the agent is connected to its MQTT broker.', undefined, c.connected ? 1 : 0);
        f.counter('edgeprom_mqtt_connects_total', 'Successful connections to the MQTT broker (reconnects included).', undefined, c.connects);
      }
      const p = source()?.stats();
      if (!p) return f.list();
      for (const r of RESULTS) f.counter('edgeprom_push_batches_total', 'Batches pushed, by outcome: acked, timeout (resent), disconnected (resent), error (could not be encoded; dropped).', { result: r }, p.batches[r]);
      f.counter('edgeprom_push_samples_total', 'Samples in batches the aggregator acked.', undefined, p.samples);
      f.gauge('edgeprom_push_acked_seq', 'Highest seq the aggregator acked (of the boot acked last).', undefined, p.ackedSeq);
      f.gauge('edgeprom_push_backlog_samples', 'Buffered samples the pusher still has to deliver.', undefined, p.backlog);
      for (const m of PUSH_MODES) f.gauge('edgeprom_push_mode', 'The configured push mode (1 for the one in use).', { mode: m }, p.mode === m ? 1 : 0);
      f.gauge('edgeprom_push_active', 'Whether the pusher is pushing (not scraped for push_after, catching up, or push mode).', undefined, p.active ? 1 : 0);
      f.counter('edgeprom_push_local_trims_total', 'Times samples delivered by scrapes were trimmed from the buffer without a push (auto mode).', undefined, p.localTrims);
      return f.list();
    },
  } satisfies Exporter;
}
