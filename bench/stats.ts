// Small statistics helpers shared by the benchmarks.

/** The q-quantile (0..1) of `values`, by nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Times an async function once, in milliseconds. */
export async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Prints one result line: name, figure, and the goal it is judged against. */
export function report(name: string, value: string, goal: string): void {
  process.stdout.write(`${name.padEnd(58)} ${value.padStart(14)}   goal: ${goal}\n`);
}
