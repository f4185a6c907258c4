/**
 * The server's heap grows as Go's does with GOGC=100, which Prometheus runs with: a full GC
 * once the heap has doubled since the last one. V8's own policy lets the old generation grow
 * to up to 4x its live size between full GCs; scraping 100 targets x 1,000 series, that was a
 * peak RSS of 406 MiB against 320 MiB with this setting, for no measurable CPU
 * (docs/benchmarks.md, "Scrape memory").
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * The V8 flag the server sets at start (`v8.setFlagsFromString`), or undefined when node was
 * given its own `--heap-growing-percent` on the command line or in NODE_OPTIONS, which wins.
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
  return given ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}
