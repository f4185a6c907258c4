import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig, loadAggregatorConfig, parseAgentConfig, parseAggregatorConfig } from './config-files.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const AGGREGATOR_EXAMPLE = root('aggregator/aggregator.example.yml');
const AGENT_EXAMPLE = root('agent/agent.example.yml');

describe('example config files', () => {
  it('aggregator.example.yml parses', async () => {
    const c = await loadAggregatorConfig(AGGREGATOR_EXAMPLE);
    expect(c.global.scrape_interval).toBe(15_000);
    expect(c.scrape_configs.map((s) => s.job_name)).toEqual(['edgeprom', 'devices', 'sensors', 'secured']);
    expect(c.scrape_configs[2].scrape_interval).toBe(30_000);
    expect(c.scrape_configs[2].scrape_timeout).toBe(10_000);
    expect(c.mqtt.mode).toBe('embedded');
    expect(c.mqtt.embedded?.devices).toHaveLength(2);
  });

  it('agent.example.yml parses', async () => {
    const c = await loadAgentConfig(AGENT_EXAMPLE);
    expect(c.agent_id).toBe('pi-kitchen');
    expect(c.push.push_after).toBe(45_000);
    expect(c.mdns.advertise_interfaces).toEqual(['127.0.0.1']);
  });

  it('values marked "(default)" in the examples are the defaults', async () => {
    // Dropping every line marked "(default)" must not change the parsed config, except for
    // the sections that then become empty (and so default as a whole).
    for (const [file, parse] of [
      [AGGREGATOR_EXAMPLE, parseAggregatorConfig],
      [AGENT_EXAMPLE, parseAgentConfig],
    ] as const) {
      const text = await readFile(file, 'utf8');
      const stripped = text
        .split('\n')
        .filter((l) => !/#\s*\(default\)/.test(l) || /:\s*#/.test(l) /* a section header marked default stays */)
        .join('\n');
      expect(parse(stripped)).toEqual(parse(text));
    }
  });
});
