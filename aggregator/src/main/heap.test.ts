import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { heapGrowthFlag } from './heap.js';

describe('heapGrowthFlag', () => {
  it('asks for Go-like growth (GOGC=100) by default', () => {
    expect(heapGrowthFlag([], undefined)).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=400')).toBe('--heap-growing-percent=100');
  });

  it('leaves a flag given to node alone, on the command line or in NODE_OPTIONS', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=50'], undefined)).toBeUndefined();
    expect(heapGrowthFlag(['--heap_growing_percent=50'], undefined)).toBeUndefined();
    expect(heapGrowthFlag([], '--max-old-space-size=400 --heap-growing-percent=300')).toBeUndefined();
    expect(heapGrowthFlag(['--heap-growing-percentage-like-flag'], undefined)).toBe('--heap-growing-percent=100');
  });

  it('names a flag this V8 has', () => {
    // setFlagsFromString ignores an unknown flag silently; --v8-options lists the known ones.
    const name = heapGrowthFlag([], undefined)!.split('=')[0]!;
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    expect(known).toContain(`  ${name} (`);
  });
});
